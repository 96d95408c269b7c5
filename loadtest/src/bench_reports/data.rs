//! The bench's data: a complete seed is reused (a marker row in `bench_seed` names its
//! shape, and the event count must match); otherwise the database is built afresh:
//! 1. the fleet is registered (agencies, 1 portal per site) in the bench database, and the
//!    registry copied into the base database `<db>_base`;
//! 2. `emc-loadtest seed` makes `events / copies` events over the days through the
//!    collector's pipeline into the base (real sessions, rollups, connection log);
//! 3. the base's sessions are collapsed (`OPTIMIZE … FINAL`: one row per visit, what merges
//!    leave of a −1/+1 history), then copied `copies` times into the bench database
//!    ([`super::multiply`]); the base is kept to load the cluster from;
//! 4. the rollups are merged (`OPTIMIZE … FINAL` on every Summing/Aggregating table), as a
//!    year-old table is after background merges, and the marker written.
use super::{fleet, multiply};
use crate::cli::{BenchReportsArgs, DbArgs, SeedArgs, TrafficArgs};
use crate::run::open_db;
use anyhow::Context;
use chrono::NaiveDate;
use emc_sql::db::quote_ident;
use emc_sql::Db;
use serde::Serialize;
use std::time::Instant;

/// Bumped when the way the data is built changes, so an older seed is rebuilt.
const FORMAT: u32 = 1;
pub const SITE_PREFIX: &str = "br";

/// How the data came to be.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Built {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    #[serde(default)]
    pub reused: bool,
    pub base_events: u64,
    pub copies: u32,
    pub pipeline_secs: f64,
    pub pipeline_events_per_sec: f64,
    pub copies_secs: f64,
    pub optimize_secs: f64,
}

fn shape(a: &BenchReportsArgs) -> String {
    format!(
        "format={FORMAT};events={};sites={};days={};copies={};visitors={};seed={};tz={}",
        a.events, a.sites, a.days, a.copies, a.visitors, a.seed, a.timezone
    )
}

fn db_args(a: &BenchReportsArgs, url: &str, database: &str) -> DbArgs {
    DbArgs {
        clickhouse_url: Some(url.to_owned()),
        clickhouse_db: database.to_owned(),
        data_dir: a.data_dir.clone(),
        timezone: a.timezone.clone(),
    }
}

/// Checks the arguments: the base must be a whole number of events.
pub fn base_events(a: &BenchReportsArgs) -> anyhow::Result<u64> {
    anyhow::ensure!(
        a.copies >= 1 && a.days >= 1 && a.sites >= 2,
        "--copies, --days >= 1, --sites >= 2"
    );
    anyhow::ensure!(
        a.events.is_multiple_of(u64::from(a.copies)) && a.events >= u64::from(a.copies),
        "--events {} is not a multiple of --copies {}: every copy holds the same base",
        a.events,
        a.copies
    );
    Ok(a.events / u64::from(a.copies))
}

/// The seeded database, reused or built; `say` prints progress.
pub async fn ensure(
    a: &BenchReportsArgs,
    url: &str,
    say: &dyn Fn(String),
) -> anyhow::Result<Seeded> {
    let base = base_events(a)?;
    let base_db = format!("{}_base", a.clickhouse_db);
    let db = open_db(&db_args(a, url, &a.clickhouse_db)).await?;
    if !a.reseed {
        let staging = Db::from_url(url, &base_db);
        if let Some(built) = marker(&db, &staging, a).await? {
            say(format!(
                "reusing the seed in database {} ({} events, {} to {}); --reseed builds it again",
                a.clickhouse_db, a.events, built.first_day, built.last_day
            ));
            return Ok(Seeded {
                db,
                base: staging,
                built,
            });
        }
    }
    // A client without a database: the first drop removes the one `db` is bound to.
    let server = emc_sql::db::client(url);
    for name in [&a.clickhouse_db, &base_db] {
        server
            .query(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)?))
            .execute()
            .await?;
    }
    let db = open_db(&db_args(a, url, &a.clickhouse_db)).await?;
    let staging = open_db(&db_args(a, url, &base_db)).await?;

    let t = Instant::now();
    let sites = crate::model::site_models(SITE_PREFIX, a.sites);
    fleet::register(&db, &sites).await?;
    for table in ["agencies", "sites"] {
        let t = quote_ident(table)?;
        let sql = format!(
            "INSERT INTO {}.{t} SELECT * FROM {}.{t}",
            quote_ident(&base_db)?,
            quote_ident(&a.clickhouse_db)?
        );
        db.client().query(&sql).execute().await?;
    }
    say(format!(
        "registered {} sites in {:.1} s",
        a.sites,
        t.elapsed().as_secs_f64()
    ));

    let seed = crate::seed::seed(&seed_args(a, url, &base_db, base)).await?;
    anyhow::ensure!(
        seed.problems.is_empty() && seed.accepted == base,
        "the pipeline seed accepted {} of {base} events: {:?}",
        seed.accepted,
        seed.problems
    );
    say(format!(
        "pipeline: {base} events ({} to {}) in {:.1} s, {:.0} events/s",
        seed.first_day, seed.last_day, seed.elapsed_secs, seed.events_per_sec
    ));

    let t = Instant::now();
    staging
        .client()
        .query("OPTIMIZE TABLE sessions FINAL")
        .execute()
        .await?;
    let copy = multiply::Copy {
        base: &staging,
        remote: None,
        dst: &db,
        copies: a.copies,
    };
    for (table, secs) in copy.run().await? {
        say(format!("{table}: {} copies in {secs:.1} s", a.copies));
    }
    let copies_secs = t.elapsed().as_secs_f64();
    say(format!("{} copies in {copies_secs:.1} s", a.copies));

    let t = Instant::now();
    optimize_rollups(&db).await?;
    let optimize_secs = t.elapsed().as_secs_f64();
    say(format!("rollups merged in {optimize_secs:.1} s"));
    let built = Built {
        first_day: seed.first_day,
        last_day: seed.last_day,
        reused: false,
        base_events: base,
        copies: a.copies,
        pipeline_secs: seed.elapsed_secs,
        pipeline_events_per_sec: seed.events_per_sec,
        copies_secs,
        optimize_secs,
    };
    write_marker(&db, a, &built).await?;
    Ok(Seeded {
        db,
        base: staging,
        built,
    })
}

/// The bench database, the base it was copied from (kept: the cluster is loaded from it),
/// and how they were made.
pub struct Seeded {
    pub db: Db,
    pub base: Db,
    pub built: Built,
}

fn seed_args(a: &BenchReportsArgs, url: &str, base_db: &str, base: u64) -> SeedArgs {
    SeedArgs {
        events: base,
        days: a.days,
        end: None,
        traffic: TrafficArgs {
            sites: a.sites,
            site_prefix: SITE_PREFIX.into(),
            visitors: a.visitors,
            bounce_rate: 0.55,
            engagement_rate: 0.6,
            seed: Some(a.seed),
            session_timeout: 1800,
        },
        db: db_args(a, url, base_db),
        geoip_db: a.geoip_db.clone(),
        workers: None,
        batch_rows: 100_000,
        no_verify: true,
        json_out: a.out.join("reports-seed.json"),
        quiet: a.quiet,
    }
}

/// `OPTIMIZE TABLE … FINAL` on every rollup (Summing/AggregatingMergeTree) of the database.
async fn optimize_rollups(db: &Db) -> anyhow::Result<()> {
    let tables: Vec<String> = db
        .client()
        .query(
            "SELECT name FROM system.tables WHERE database = ? \
             AND engine IN ('SummingMergeTree', 'AggregatingMergeTree') ORDER BY name",
        )
        .bind(db.database())
        .fetch_all()
        .await?;
    for t in tables {
        db.client()
            .query(&format!("OPTIMIZE TABLE {} FINAL", quote_ident(&t)?))
            .execute()
            .await
            .with_context(|| format!("merging rollup {t}"))?;
    }
    Ok(())
}

const MARKER_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_seed (shape String, \
    first_day String, last_day String, built String, events UInt64, built_at DateTime) ENGINE = TinyLog";

/// The marker's record of a complete seed of this shape, when the events are all there.
async fn marker(db: &Db, base: &Db, a: &BenchReportsArgs) -> anyhow::Result<Option<Built>> {
    db.client().query(MARKER_TABLE).execute().await?;
    let row: Option<(String, u64)> = db
        .client()
        .query(
            "SELECT built, events FROM bench_seed WHERE shape = ? ORDER BY built_at DESC LIMIT 1",
        )
        .bind(shape(a))
        .fetch_optional()
        .await?;
    let Some((built, events)) = row else {
        return Ok(None);
    };
    let count: u64 = db
        .client()
        .query("SELECT count() FROM events")
        .fetch_one()
        .await?;
    let in_base = base
        .client()
        .query("SELECT count() FROM events")
        .fetch_one::<u64>()
        .await
        .unwrap_or(0);
    if count != events || events != a.events || in_base != events / u64::from(a.copies) {
        return Ok(None);
    }
    let mut built: Built = serde_json::from_str(&built).context("reading the bench_seed marker")?;
    built.reused = true;
    Ok(Some(built))
}

async fn write_marker(db: &Db, a: &BenchReportsArgs, b: &Built) -> anyhow::Result<()> {
    db.client().query(MARKER_TABLE).execute().await?;
    db.client()
        .query("INSERT INTO bench_seed SELECT ?, ?, ?, ?, ?, now()")
        .bind(shape(a))
        .bind(b.first_day.to_string())
        .bind(b.last_day.to_string())
        .bind(serde_json::to_string(b)?)
        .bind(a.events)
        .execute()
        .await?;
    Ok(())
}
