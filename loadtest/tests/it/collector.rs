//! A few thousand events from the real binary to the real collector and ClickHouse: every
//! accepted event lands once, and each site's page views, visits and visitors in ClickHouse
//! (sign-weighted for visits) are what the generator's books say it sent.
use crate::support::Collector;
use emc_loadtest::model::site_models;
use serde_json::Value;
use std::collections::BTreeMap;

const REQUESTS: u64 = 3000;
const SITES: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_run_lands_every_accepted_event_and_matches_the_books() {
    let db = emc_sql::testing::test_db("loadtest_collector_run").await;
    // Registered before the collector starts, as an operator would; the run finds them there.
    emc_loadtest::sites::ensure_registered(&db, &site_models("e2e", SITES))
        .await
        .unwrap();
    let collector = Collector::start(&db).await;
    let out = tempfile::tempdir().unwrap();
    let summary = out.path().join("summary.json");
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_emc-loadtest"))
        .args([
            "--target",
            &collector.base,
            "--concurrency",
            "8",
            "--connections",
            "12",
        ])
        .args([
            "--requests",
            &REQUESTS.to_string(),
            "--sites",
            &SITES.to_string(),
            "--site-prefix",
            "e2e",
        ])
        .args([
            "--visitors",
            "600",
            "--settle",
            "600ms",
            "--quiet",
            "--server-pid",
            &collector.pid().to_string(),
        ])
        .arg("--json-out")
        .arg(&summary)
        .env("EMC_CLICKHOUSE_URL", db.url())
        .env("EMC_CLICKHOUSE_DB", db.database())
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    let report: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert!(
        status.success(),
        "emc-loadtest failed: {:#}\ncollector: {}",
        report["problems"],
        collector.log_text()
    );

    let req = &report["requests"];
    assert_eq!(
        (req["sent"].as_u64(), req["accepted"].as_u64()),
        (Some(REQUESTS), Some(REQUESTS)),
        "{req}"
    );
    let landed = &report["landed"];
    assert_eq!(landed["landed"], landed["accepted"], "{landed}");
    assert_eq!(landed["duplicates"], 0);
    let sites = report["sites"].as_array().unwrap();
    assert_eq!(sites.len(), SITES);
    for s in sites {
        assert_eq!(s["expected"], s["clickhouse"], "site {}", s["site"]);
    }
    let expected = |field: &str| -> BTreeMap<String, i64> {
        sites
            .iter()
            .map(|s| {
                (
                    s["site"].as_str().unwrap().to_owned(),
                    s["expected"][field].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let (pageviews, visits, visitors) = (
        expected("pageviews"),
        expected("visits"),
        expected("visitors"),
    );
    let total = |m: &BTreeMap<String, i64>| m.values().sum::<i64>();
    assert!(
        total(&visits) > 0 && total(&visits) < total(&pageviews),
        "visits of several pages: {visits:?} {pageviews:?}"
    );
    // A run shorter than the session timeout: a visitor coming back to a site goes on with
    // the visit still open there, so each (site, visitor) is exactly one visit.
    assert_eq!(visitors, visits);
    let sources = sites
        .iter()
        .flat_map(|s| {
            s["expected"]["visits_by_source"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
        })
        .collect::<std::collections::BTreeSet<_>>();
    assert!(sources.len() >= 4, "a mix of sources: {sources:?}");

    // After the collector's own flush at shutdown, from ClickHouse directly: still exactly
    // the accepted events, once each, and the figures of the books.
    collector.stop().await;
    let run = report["run_id"].as_str().unwrap();
    let (rows, ids): (u64, u64) = db
        .client()
        .query("SELECT count(), uniqExact(event_id) FROM events WHERE has(props_values, ?)")
        .bind(run)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((rows, ids), (REQUESTS, REQUESTS));
    let by_site: Vec<(String, u64, u64)> = db
        .client()
        .query("SELECT site, countIf(name = 'pageview'), uniqExactIf(visitor_id, session_id != 0) FROM events GROUP BY site ORDER BY site")
        .fetch_all()
        .await
        .unwrap();
    let visits_ch: BTreeMap<String, i64> = db
        .client()
        .query("SELECT site, sum(sign) FROM sessions GROUP BY site ORDER BY site")
        .fetch_all::<(String, i64)>()
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (site, pv, vis) in by_site {
        assert_eq!(pv as i64, pageviews[&site], "page views of {site}");
        assert_eq!(vis as i64, visitors[&site], "visitors of {site}");
    }
    assert_eq!(visits_ch, visits, "visits (sign-weighted) per site");
    let server = &report["server"];
    assert!(
        server["cpu_us_per_request"].as_f64().unwrap() > 0.0,
        "{server}"
    );
}
