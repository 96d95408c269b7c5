//! `seed` through the collector's pipeline library into ClickHouse, checked by its own books
//! (durations included: event times are the generator's).
use emc_loadtest::cli::{DbArgs, SeedArgs, TrafficArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_days_land_exactly_with_their_sessions() {
    let db = emc_sql::testing::test_db("loadtest_seed").await;
    let dir = tempfile::tempdir().unwrap();
    let args = SeedArgs {
        events: 4000,
        days: 2,
        end: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        traffic: TrafficArgs {
            sites: 4,
            site_prefix: "seed".into(),
            visitors: 300,
            bounce_rate: 0.55,
            engagement_rate: 0.6,
            seed: Some(7),
            session_timeout: 1800,
        },
        db: DbArgs {
            clickhouse_url: Some(db.url().into()),
            clickhouse_db: db.database().into(),
            data_dir: dir.path().into(),
            timezone: "Asia/Ho_Chi_Minh".into(),
        },
        geoip_db: vec![],
        workers: Some(2),
        batch_rows: 1000,
        no_verify: false,
        json_out: dir.path().join("seed.json"),
        quiet: true,
    };
    let report = emc_loadtest::seed::seed(&args).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.generated, report.accepted), (4000, 4000));
    let landed = report.landed.unwrap();
    assert_eq!((landed.landed, landed.duplicates), (4000, 0));
    assert!(report
        .sites
        .unwrap()
        .iter()
        .all(|s| s.ok && s.expected.duration.unwrap_or(0) > 0));
    // The rollups were fed: page views by day from the daily rollup equal the raw events'.
    let (raw, rolled): (u64, u64) = db
        .client()
        .query("SELECT (SELECT countIf(name = 'pageview') FROM events), (SELECT sumMerge(pageviews) FROM events_daily)")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(raw, rolled);
    let days: u64 = db
        .client()
        .query("SELECT uniqExact(toDate(timestamp, 'UTC')) FROM events")
        .fetch_one()
        .await
        .unwrap();
    assert!(days >= 2, "spread over the days");
}
