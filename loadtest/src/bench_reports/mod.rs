//! `emc-loadtest bench-reports` (what `make bench-reports` runs): a year of traffic for a
//! fleet of sites (Zipf popularity), made by the collector's pipeline and multiplied inside
//! ClickHouse ([`data`], [`multiply`], [`fleet`]), then every report, the site page, the
//! overview, the yearly ranking of every portal, fleet compliance and the open-data year files
//! timed over HTTP against a real `emc-dashboard serve` with an API token ([`dashboard`],
//! [`probes`]); `target/bench/reports.json` and a table with the misses ([`output`]).
//!
//! It lives in `emc-loadtest` because it is a client of the system, as the load generator
//! is: it needs the seeder and process handling that are here, and nothing of the
//! dashboard's insides, so the report layer can change under it and the figures stay
//! comparable.
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

/// Builds or reuses the data, times every figure, writes reports.json.
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
    let (db, built) = data::ensure(a, &url, &say).await?;
    let bytes = bytes_on_disk(&db).await?;
    let sites = crate::model::site_models(data::SITE_PREFIX, a.sites);
    let plan = probes::Plan {
        large: sites[0].code.clone(),
        typical: sites[a.sites / 2].code.clone(),
        from: built.first_day,
        to: built.last_day,
    };
    let bin = match &a.dashboard_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("emc-dashboard"),
    };
    let dash = dashboard::Dashboard::start(dashboard::Spec {
        bin,
        clickhouse_url: &url,
        database: &a.clickhouse_db,
        timezone: &a.timezone,
        data_dir: &a.data_dir,
        log: a.out.join("reports-dashboard.log"),
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
    let mut single = Vec::new();
    for f in plan.figures() {
        let ms = timer.time(&f).await;
        let ms = match ms {
            Ok(ms) => ms,
            Err(e) => {
                dash.stop().await;
                return Err(e);
            }
        };
        say(format!(
            "{:<46} p50 {:>8.1} ms  p95 {:>8.1} ms",
            f.name, ms.p50, ms.p95
        ));
        single.push(Timing {
            name: f.name,
            kind: f.kind,
            ms,
        });
    }
    dash.stop().await;
    drop(server);
    let json = ReportsJson {
        single: Figures::new(a.events, a.sites, bytes, &single),
        cluster: None,
        cluster_note: Some(
            "pending: the 2 × 2 cluster starter is not on main yet, so only the single node \
             is measured"
                .into(),
        ),
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
        misses: output::misses(&single, None),
        timings: single,
        cluster_timings: None,
    };
    write_json(&a.out.join("reports.json"), &json)?;
    Ok(json)
}
