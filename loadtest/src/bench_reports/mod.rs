//! `emc-loadtest bench-reports` (what `make bench-reports` runs): a year of traffic for a
//! fleet of sites (Zipf popularity), made by the collector's pipeline and multiplied inside
//! ClickHouse ([`data`], [`multiply`], [`fleet`]), then every report, the site page, the
//! overview, the yearly ranking of every portal, fleet compliance and the open-data year files
//! timed over HTTP against a real `emc-dashboard serve` with an API token ([`dashboard`],
//! [`probes`]); the same on the 2 × 2 cluster ([`cluster`]); `target/bench/reports.json`
//! and a table with the misses ([`output`]).
//!
//! It lives in `emc-loadtest` because it is a client of the system, as the load generator
//! is: it needs the seeder and process handling that are here, and nothing of the
//! dashboard's insides, so the report layer can change under it and the figures stay
//! comparable.
pub mod cluster;
pub mod dashboard;
pub mod data;
pub mod fleet;
pub mod multiply;
pub mod output;
pub mod probes;

use crate::cli::BenchReportsArgs;
use crate::report::write_json;
use anyhow::Context;
use emc_sql::server::{LocalServer, Ports, ServerSpec};
use emc_sql::Db;
use output::{Figures, ReportsJson, Timing};
use std::path::PathBuf;
use std::time::Duration;

pub async fn main(a: &BenchReportsArgs) -> anyhow::Result<bool> {
    let json = run(a).await?;
    print!("{}", output::table_of(&json));
    Ok(true)
}

/// `/proc/loadavg`'s three load averages, as `uptime` prints them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| {
            let f: Vec<&str> = s.split_whitespace().take(3).collect();
            format!("load average: {}", f.join(", "))
        })
        .unwrap_or_default()
}

/// ClickHouse at `--clickhouse-url`, else one of the bench's own under `--data-dir` (kept).
async fn clickhouse(a: &BenchReportsArgs) -> anyhow::Result<(String, Option<LocalServer>)> {
    if let Some(url) = a
        .clickhouse_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        return Ok((url.trim_end_matches('/').to_owned(), None));
    }
    let spec = ServerSpec {
        dir: std::path::absolute(a.data_dir.join("clickhouse"))?,
        ports: Ports::free()?,
        binary: PathBuf::from(emc_sql::server::DEFAULT_BINARY),
        die_with_parent: true,
    };
    let server = LocalServer::start(spec)
        .await
        .context("starting ClickHouse for bench-reports")?;
    Ok((server.url(), Some(server)))
}

/// Bytes of the database's active parts (`system.parts`).
pub async fn bytes_on_disk(db: &Db) -> anyhow::Result<u64> {
    Ok(db
        .client()
        .query(
            "SELECT toUInt64(sum(bytes_on_disk)) FROM system.parts WHERE database = ? AND active",
        )
        .bind(db.database())
        .fetch_one()
        .await?)
}

/// Where the dashboard reads: a database on the single node or on the cluster.
struct Target<'a> {
    url: &'a str,
    database: &'a str,
    cluster: Option<&'a str>,
    log: PathBuf,
}

/// Starts a dashboard on `t` and times every figure of `plan`.
async fn measure(
    a: &BenchReportsArgs,
    t: Target<'_>,
    plan: &probes::Plan,
    say: &dyn Fn(String),
) -> anyhow::Result<Vec<Timing>> {
    let bin = match &a.dashboard_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("emc-dashboard"),
    };
    let dash = dashboard::Dashboard::start(dashboard::Spec {
        bin,
        clickhouse_url: t.url,
        database: t.database,
        cluster: t.cluster,
        timezone: &a.timezone,
        data_dir: &a.data_dir,
        log: t.log,
    })
    .await?;
    let timer = probes::Timer {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(600))
            .build()?,
        base: dash.base.clone(),
        token: dash.token.clone(),
        runs: a.runs,
        budget: a.figure_budget,
    };
    let on = if t.cluster.is_some() { "cluster " } else { "" };
    let mut out = Vec::new();
    for f in plan.figures() {
        // A figure whose requests fail is recorded with its error, and the others still run.
        let (ms, error) = match timer.time(&f).await {
            Ok(ms) => (ms, None),
            Err(e) => (
                probes::Percentiles {
                    p50: f64::NAN,
                    p95: f64::NAN,
                    runs: 0,
                },
                Some(format!("{e:#}")),
            ),
        };
        match &error {
            None => say(format!(
                "{on}{:<46} p50 {:>8.1} ms  p95 {:>8.1} ms",
                f.name, ms.p50, ms.p95
            )),
            Some(e) => say(format!("{on}{:<46} FAILED: {e}", f.name)),
        }
        out.push(Timing {
            name: f.name,
            kind: f.kind,
            ms,
            error,
        });
    }
    dash.stop().await;
    Ok(out)
}

/// Builds or reuses the data, times every figure on the single node, loads the cluster and
/// times them there, writes reports.json.
pub async fn run(a: &BenchReportsArgs) -> anyhow::Result<ReportsJson> {
    anyhow::ensure!(
        a.clickhouse_db != "emc",
        "bench-reports writes synthetic traffic: give it its own database, not `emc`"
    );
    std::fs::create_dir_all(&a.out)?;
    let quiet = a.quiet;
    let say = move |m: String| {
        if !quiet {
            eprintln!("bench-reports: {m}");
        }
    };
    let load_before = load_average();
    let (url, server) = clickhouse(a).await?;
    let tcp = format!(
        "127.0.0.1:{}",
        server
            .as_ref()
            .map_or(a.clickhouse_tcp_port, |s| s.ports().tcp)
    );
    let data::Seeded { db, base, built } = data::ensure(a, &url, &say).await?;
    let bytes = bytes_on_disk(&db).await?;
    let sites = crate::model::site_models(data::SITE_PREFIX, a.sites);
    let plan = probes::Plan {
        large: sites[0].code.clone(),
        typical: sites[a.sites / 2].code.clone(),
        from: built.first_day,
        to: built.last_day,
    };
    let single = measure(
        a,
        Target {
            url: &url,
            database: &a.clickhouse_db,
            cluster: None,
            log: a.out.join("reports-dashboard.log"),
        },
        &plan,
        &say,
    )
    .await?;
    let interim = |cluster_note: &str| ReportsJson {
        single: Figures::new(a.events, a.sites, bytes, &single),
        cluster: None,
        cluster_note: Some(cluster_note.to_owned()),
        bytes_per_100m_events: output::per_100m(bytes, a.events),
        range: output::Range {
            from: plan.from,
            to: plan.to,
        },
        large_site: plan.large.clone(),
        typical_site: plan.typical.clone(),
        build: built.clone(),
        load_before: load_before.clone(),
        load_after: load_average(),
        misses: output::misses(&single, None),
        timings: single.clone(),
        cluster_timings: None,
    };
    if !a.no_cluster {
        // The single node's figures stand on their own while the cluster loads.
        write_json(&a.out.join("reports.json"), &interim("being measured"))?;
    }
    let (cluster, cluster_timings, cluster_note) = if a.no_cluster {
        (None, None, Some("skipped (--no-cluster)".to_owned()))
    } else {
        let c = cluster::load(&db, &base, &tcp, a.copies, &say).await?;
        let events = cluster::events(&c.db).await?;
        anyhow::ensure!(
            events == a.events,
            "the cluster holds {events} events, not {}",
            a.events
        );
        let timings = measure(
            a,
            Target {
                url: c.db.url(),
                database: c.db.database(),
                cluster: Some(c.cluster.name()),
                log: a.out.join("reports-dashboard-cluster.log"),
            },
            &plan,
            &say,
        )
        .await?;
        let bytes = cluster::bytes_on_disk(&c.cluster, c.db.database()).await?;
        let figures = Figures::new(events, a.sites, bytes, &timings);
        let note = format!(
            "2 shards × 2 replicas on this machine, loaded in {:.0} s; bytes on disk count \
             both replicas",
            c.load_secs
        );
        (Some(figures), Some(timings), Some(note))
    };
    drop(server);
    let json = ReportsJson {
        single: Figures::new(a.events, a.sites, bytes, &single),
        cluster,
        cluster_note,
        bytes_per_100m_events: output::per_100m(bytes, a.events),
        range: output::Range {
            from: plan.from,
            to: plan.to,
        },
        large_site: plan.large,
        typical_site: plan.typical,
        build: built,
        load_before,
        load_after: load_average(),
        misses: output::misses(&single, cluster_timings.as_deref()),
        timings: single,
        cluster_timings,
    };
    write_json(&a.out.join("reports.json"), &json)?;
    Ok(json)
}
