//! `bench-reports` at a tiny scale, the whole path: the fleet registered, a base through the
//! pipeline, its copies made inside ClickHouse, the real dashboard timed over HTTP, the JSON
//! written; then a second run that reuses the seed.
use emc_loadtest::cli::BenchReportsArgs;
use emc_sql::server::{LocalServer, Ports, ServerSpec};
use std::time::Duration;

const EVENTS: u64 = 24_000;
const COPIES: u32 = 4;
const SITES: usize = 12;

fn dashboard_bin() -> std::path::PathBuf {
    let bin = super::support::collector_bin().with_file_name("emc-dashboard");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

async fn count(db: &emc_sql::Db, sql: &str) -> u64 {
    db.client()
        .query(sql)
        .fetch_one::<u64>()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_reports_seeds_the_requested_events_and_writes_every_key() {
    // A server of the test's own: the cluster loads the base from it by its TCP port.
    let dir = tempfile::tempdir().unwrap();
    let server = LocalServer::start(ServerSpec {
        dir: dir.path().join("clickhouse"),
        ports: Ports::free().unwrap(),
        binary: emc_sql::server::DEFAULT_BINARY.into(),
        die_with_parent: true,
    })
    .await
    .unwrap();
    let db = emc_sql::Db::from_url(&server.url(), "bench_reports_it");
    let args = BenchReportsArgs {
        events: EVENTS,
        sites: SITES,
        days: 3,
        copies: COPIES,
        visitors: 400,
        seed: 11,
        runs: 1,
        figure_budget: Duration::from_secs(2),
        reseed: false,
        out: dir.path().join("out"),
        clickhouse_url: Some(server.url()),
        clickhouse_tcp_port: server.ports().tcp,
        no_cluster: true,
        clickhouse_db: db.database().into(),
        data_dir: dir.path().join("var"),
        dashboard_bin: Some(dashboard_bin()),
        geoip_db: vec![],
        timezone: "Asia/Ho_Chi_Minh".into(),
        quiet: true,
    };
    let first = emc_loadtest::bench_reports::run(&args).await.unwrap();
    assert!(!first.build.reused);

    // Exactly the events asked for, none twice, in the three days ending yesterday (UTC).
    assert_eq!(count(&db, "SELECT count() FROM events").await, EVENTS);
    assert_eq!(
        count(&db, "SELECT uniqExact(event_id) FROM events").await,
        EVENTS
    );
    let last = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let (lo, hi): (String, String) = db
        .client()
        .query(
            "SELECT toString(min(toDate(timestamp))), toString(max(toDate(timestamp))) FROM events",
        )
        .fetch_one()
        .await
        .unwrap();
    assert!(
        lo >= (last - chrono::Duration::days(2)).to_string() && hi <= last.to_string(),
        "{lo}..{hi}"
    );
    // Every copy is the base again: each site's events and the visits come in fours.
    assert_eq!(
        count(&db, &format!("SELECT count() FROM (SELECT site, count() AS c FROM events GROUP BY site HAVING c % {COPIES} != 0)")).await,
        0
    );
    let visits = count(&db, "SELECT toUInt64(sum(sign)) FROM sessions").await;
    assert!(
        visits > 0 && visits % u64::from(COPIES) == 0,
        "{visits} visits"
    );
    // The copies' sessions are their events' sessions, and the rollups agree with the raw rows.
    assert_eq!(
        count(&db, "SELECT uniqExact(session_id) FROM sessions").await,
        count(
            &db,
            "SELECT uniqExact(session_id) FROM events WHERE session_id != 0"
        )
        .await
    );
    assert_eq!(
        visits,
        count(&db, "SELECT toUInt64(sum(visits)) FROM sessions_daily").await
    );
    assert_eq!(
        count(&db, "SELECT countIf(name = 'pageview') FROM events").await,
        count(&db, "SELECT toUInt64(sum(pageviews)) FROM visitors_daily").await
    );
    assert_eq!(
        count(&db, "SELECT count() FROM connection_log").await % u64::from(COPIES),
        0
    );
    // The fleet: every site a portal of an agency, the three ranking groups present.
    let agencies = emc_sql::registry::list_agencies(&db).await.unwrap();
    let sites = emc_sql::registry::list_sites(&db).await.unwrap();
    assert_eq!(sites.len(), SITES);
    let mut groups: Vec<&str> = sites
        .iter()
        .map(|s| {
            assert_eq!(s.kind, "portal");
            agencies
                .iter()
                .find(|a| a.id == s.agency)
                .expect("the site's agency")
                .group_kind
                .as_str()
        })
        .collect();
    groups.sort_unstable();
    groups.dedup();
    assert_eq!(groups, ["ministry", "other", "province"]);

    // reports.json has every key of the issue.
    let path = args.out.join("reports.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["events"], EVENTS);
    assert_eq!(json["sites"], SITES);
    assert!(json["bytes_on_disk"].as_u64().unwrap() > 0);
    assert!(json["cluster"].is_null(), "skipped in the first run");
    for key in [
        "site_page_ms",
        "overview_ms",
        "ranking_1000_ms",
        "compliance_fleet_ms",
        "open_data_year_ms",
    ] {
        let (p50, p95) = (json[key]["p50"].as_f64(), json[key]["p95"].as_f64());
        assert!(
            matches!((p50, p95), (Some(a), Some(b)) if a > 0.0 && a <= b),
            "{key}: {}",
            json[key]
        );
    }
    let reports = json["reports"].as_object().unwrap();
    for role in ["large", "typical"] {
        for name in [
            "stats",
            "stats filter=source:organic",
            "timeseries day",
            "timeseries month",
        ] {
            assert!(
                reports.contains_key(&format!("{role}/{name}")),
                "{role}/{name}"
            );
        }
        for by in emc_loadtest::bench_reports::probes::BREAKDOWNS {
            assert!(
                reports.contains_key(&format!("{role}/breakdown {by}")),
                "{role} {by}"
            );
        }
    }
    for (name, r) in reports {
        let (p50, p95) = (r["p50_ms"].as_f64(), r["p95_ms"].as_f64());
        assert!(
            matches!((p50, p95), (Some(a), Some(b)) if a > 0.0 && a <= b),
            "{name}: {r}"
        );
    }

    // A second run finds the seed complete, times it again, and this time loads the same data
    // into the 2 × 2 cluster and times it there too.
    let with_cluster = BenchReportsArgs {
        no_cluster: false,
        ..args.clone()
    };
    let again = emc_loadtest::bench_reports::run(&with_cluster)
        .await
        .unwrap();
    assert!(again.build.reused);
    assert_eq!(count(&db, "SELECT count() FROM events").await, EVENTS);
    assert_eq!(again.range.from, first.range.from);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cluster = &json["cluster"];
    assert_eq!(
        cluster["events"], EVENTS,
        "the cluster holds the same events"
    );
    assert!(cluster["bytes_on_disk"].as_u64().unwrap() > 0);
    for key in [
        "site_page_ms",
        "overview_ms",
        "ranking_1000_ms",
        "compliance_fleet_ms",
    ] {
        assert!(cluster[key]["p95"].as_f64().unwrap() > 0.0, "cluster {key}");
    }
    assert_eq!(
        cluster["reports"].as_object().unwrap().len(),
        reports.len(),
        "every report timed on the cluster too"
    );
    for (name, r) in cluster["reports"].as_object().unwrap() {
        assert!(r["error"].is_null(), "{name} on the cluster: {r}");
    }
}
