//! `emc-loadtest demo`: the demo agency `demo-data` ("Demo — dữ liệu mẫu"), a portal and two
//! components with a year of traffic seeded through the collector's pipeline ([`crate::seed`]),
//! so every page and the ranking show something; `--remove` takes all of it away again.
use crate::cli::{DemoArgs, SeedArgs, TrafficArgs};
use crate::run::open_db;
use crate::seed;
use crate::sites::Owner;
use emc_sql::registry;
use emc_sql::Db;
use std::time::{Duration, Instant};

/// The demo agency: its name says the data is not real.
pub const DEMO: Owner = Owner {
    agency: "demo-data",
    agency_name: "Demo — dữ liệu mẫu",
    // In the ranking's default group, so `/ranking` shows the demo portal at first sight.
    group: registry::AgencyGroup::Ministry,
    components: true,
    site_names: &[
        "Cổng thông tin mẫu (dữ liệu demo)",
        "Dịch vụ công mẫu (dữ liệu demo)",
        "Tin tức mẫu (dữ liệu demo)",
    ],
};
/// Site codes are `demo-data-001…`.
pub const SITES: usize = 3;

/// What `demo` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Seeded { events: u64 },
    AlreadyThere,
    Removed { sites: Vec<String> },
    NothingToRemove,
}

pub async fn main(a: &DemoArgs) -> anyhow::Result<bool> {
    let outcome = run(a).await?;
    match &outcome {
        Outcome::Seeded { events } => println!(
            "demo data seeded: agency {} ({}), {SITES} sites, {events} events over {} days; remove it with `make demo ARGS=--remove`",
            DEMO.agency, DEMO.agency_name, a.days
        ),
        Outcome::AlreadyThere => println!(
            "the demo data exists (agency {}): nothing done; `make demo ARGS=--reseed` seeds it again, `make demo ARGS=--remove` removes it",
            DEMO.agency
        ),
        Outcome::Removed { sites } => println!(
            "demo data removed: agency {}, sites {sites:?} and their rows",
            DEMO.agency
        ),
        Outcome::NothingToRemove => println!("no demo data to remove"),
    }
    Ok(true)
}

pub async fn run(a: &DemoArgs) -> anyhow::Result<Outcome> {
    let db = open_db(&a.db).await?;
    let there = exists(&db).await?;
    if a.remove {
        return Ok(if there || !demo_sites(&db).await?.is_empty() {
            Outcome::Removed {
                sites: remove(&db).await?,
            }
        } else {
            Outcome::NothingToRemove
        });
    }
    if there && !a.reseed {
        return Ok(Outcome::AlreadyThere);
    }
    if there {
        remove(&db).await?;
    }
    let report = seed::seed_as(&seed_args(a), &DEMO).await?;
    anyhow::ensure!(
        report.problems.is_empty(),
        "the demo seed went wrong: {:?}",
        report.problems
    );
    Ok(Outcome::Seeded {
        events: report.accepted,
    })
}

fn seed_args(a: &DemoArgs) -> SeedArgs {
    SeedArgs {
        events: a.events,
        days: a.days,
        end: a.end,
        traffic: TrafficArgs {
            sites: SITES,
            site_prefix: DEMO.agency.into(),
            visitors: (a.events / 8).clamp(100, 50_000),
            bounce_rate: 0.55,
            engagement_rate: 0.6,
            seed: Some(2026),
            session_timeout: 1800,
        },
        db: a.db.clone(),
        geoip_db: a.geoip_db.clone(),
        workers: None,
        batch_rows: 50_000,
        no_verify: false,
        json_out: a.db.data_dir.join("demo-seed.json"),
        quiet: a.quiet,
    }
}

/// Whether the demo agency is registered.
pub async fn exists(db: &Db) -> anyhow::Result<bool> {
    Ok(registry::list_agencies(db)
        .await?
        .iter()
        .any(|a| a.id == DEMO.agency))
}

/// Every site code ever registered under the demo agency (deleted versions included).
pub async fn demo_sites(db: &Db) -> anyhow::Result<Vec<String>> {
    Ok(db
        .client()
        .query("SELECT DISTINCT code FROM sites WHERE agency = ? ORDER BY code")
        .bind(DEMO.agency)
        .fetch_all::<String>()
        .await?)
}

/// Deletes the demo agency, its sites and every row of theirs: in each table of the database
/// with a `site` column the rows of the demo sites, with an `agency` column the agency's rows
/// (its sites in the registry, goals, annotations…), and the agency itself. ClickHouse
/// mutations (`ALTER TABLE … DELETE`), waited for. Single server only: on a cluster the
/// tables behind the Distributed ones would need `ON CLUSTER` mutations of their own.
pub async fn remove(db: &Db) -> anyhow::Result<Vec<String>> {
    let codes = demo_sites(db).await?;
    let tables: Vec<(String, String)> = db
        .client()
        .query(
            "SELECT c.table, c.name FROM system.columns AS c \
             ANY INNER JOIN (SELECT name AS table, engine FROM system.tables WHERE database = ?) AS t \
             USING table \
             WHERE c.database = ? AND c.name IN ('site', 'agency') AND t.engine LIKE '%MergeTree%' \
             ORDER BY c.table, c.name",
        )
        .bind(db.database())
        .bind(db.database())
        .fetch_all()
        .await?;
    for (table, column) in &tables {
        let sql = if column == "site" {
            if codes.is_empty() {
                continue;
            }
            format!("ALTER TABLE `{table}` DELETE WHERE has(?, site)")
        } else {
            format!("ALTER TABLE `{table}` DELETE WHERE agency = ?")
        };
        let q = db.client().query(&sql);
        let q = if column == "site" {
            q.bind(&codes)
        } else {
            q.bind(DEMO.agency)
        };
        q.execute().await?;
    }
    db.client()
        .query("ALTER TABLE agencies DELETE WHERE id = ?")
        .bind(DEMO.agency)
        .execute()
        .await?;
    wait_mutations(db, Duration::from_secs(300)).await?;
    Ok(codes)
}

/// Polls `system.mutations` until every mutation of the database is done.
async fn wait_mutations(db: &Db, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let pending: u64 = db
            .client()
            .query("SELECT count() FROM system.mutations WHERE database = ? AND is_done = 0")
            .bind(db.database())
            .fetch_one()
            .await?;
        if pending == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{pending} deletions still running after {timeout:?} (see system.mutations)"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
