//! The importer on a crafted access log: assets, bots, a 404, a POST, a malformed line,
//! campaign and search referrers, and a visitor with two sessions.
use crate::support::*;
use emc_collector::config::ImportConfig;
use std::collections::BTreeMap;

const BOT: &str = "Googlebot/2.1 (+http://www.google.com/bot.html)";

/// (client, time, request, status, referrer, user agent, fate: "" = page view, else the skip reason, source if it starts a visit)
type Line = (
    &'static str,
    &'static str,
    &'static str,
    u16,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
const LINES: &[Line] = &[
    (
        "14.160.12.107",
        "01/Mar/2026:08:00:00 +0700",
        "GET / HTTP/1.1",
        200,
        "https://www.google.com.vn/search?q=cong",
        CHROME,
        "",
        "organic",
    ),
    (
        "14.160.12.107",
        "01/Mar/2026:08:00:01 +0700",
        "GET /static/app.css HTTP/1.1",
        200,
        "https://portal.gov.vn/",
        CHROME,
        "static_asset",
        "",
    ),
    (
        "14.160.12.107",
        "01/Mar/2026:08:00:01 +0700",
        "GET /images/logo.png HTTP/1.1",
        200,
        "https://portal.gov.vn/",
        CHROME,
        "static_asset",
        "",
    ),
    (
        "14.160.12.107",
        "01/Mar/2026:08:02:00 +0700",
        "GET /tin-tuc HTTP/1.1",
        200,
        "https://portal.gov.vn/",
        CHROME,
        "",
        "",
    ),
    (
        "66.249.66.1",
        "01/Mar/2026:08:03:00 +0700",
        "GET / HTTP/1.1",
        200,
        "-",
        BOT,
        "bot",
        "",
    ),
    (
        "113.160.1.1",
        "01/Mar/2026:08:10:00 +0700",
        "GET /?utm_source=zalo&utm_medium=social&utm_campaign=tet HTTP/1.1",
        200,
        "-",
        IPHONE,
        "",
        "campaign",
    ),
    (
        "113.160.1.1",
        "01/Mar/2026:08:11:00 +0700",
        "GET /missing HTTP/1.1",
        404,
        "-",
        IPHONE,
        "status",
        "",
    ),
    (
        "113.160.1.1",
        "01/Mar/2026:08:12:00 +0700",
        "POST /tim-kiem HTTP/1.1",
        200,
        "https://portal.gov.vn/",
        IPHONE,
        "method",
        "",
    ),
    (
        "113.160.1.1",
        "01/Mar/2026:08:13:00 +0700",
        "GET /dich-vu HTTP/1.1",
        304,
        "https://portal.gov.vn/",
        IPHONE,
        "",
        "",
    ),
    (
        "14.160.12.107",
        "01/Mar/2026:09:00:00 +0700",
        "GET /lien-he HTTP/1.1",
        200,
        "-",
        CHROME,
        "",
        "direct",
    ),
    (
        "27.72.1.1",
        "01/Mar/2026:09:30:00 +0700",
        "GET /van-ban HTTP/1.1",
        200,
        "https://coccoc.com/search?query=van+ban",
        FIREFOX,
        "",
        "organic",
    ),
];

fn log_text() -> String {
    let mut out = String::new();
    for (i, (ip, t, req, status, referrer, ua, _, _)) in LINES.iter().enumerate() {
        out.push_str(&format!(
            "{ip} - - [{t}] \"{req}\" {status} 512 \"{referrer}\" \"{ua}\"\n"
        ));
        if i == 4 {
            out.push_str("14.160.12.107 - - [01/Mar/2026:08:03:30 +0700] \"GET /cut-off\n");
        }
    }
    out
}

#[tokio::test]
async fn a_crafted_log_imports_exactly() {
    let db = emc_sql::testing::test_db("import_crafted").await;
    register_portal(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(&log, log_text()).unwrap();
    let cfg = ImportConfig {
        site: "227".into(),
        format: "combined".into(),
        files: vec![log],
    };
    let summary = emc_collector::import::run(&common(&db, dir.path()), &cfg, db.clone())
        .await
        .unwrap();

    // Truth from the table: fates, then sessions per client cut at 30 minutes.
    let page_views: Vec<_> = LINES.iter().filter(|l| l.6.is_empty()).collect();
    let mut skips: BTreeMap<&str, u64> = BTreeMap::new();
    for l in LINES.iter().filter(|l| !l.6.is_empty()) {
        *skips.entry(l.6).or_default() += 1;
    }
    skips.insert("malformed_line", 1);
    let starts: Vec<_> = page_views.iter().filter(|l| !l.7.is_empty()).collect();
    let visits = starts.len() as i64;
    let mut per_visit: BTreeMap<usize, i64> = BTreeMap::new(); // index of the starting line → page views
    let mut current: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, l) in page_views.iter().enumerate() {
        if !l.7.is_empty() {
            current.insert(l.0, i);
        }
        *per_visit.entry(current[l.0]).or_default() += 1;
    }
    let bounces = per_visit.values().filter(|n| **n == 1).count() as i64;

    assert_eq!(summary.lines_read, LINES.len() as u64 + 1);
    assert_eq!(summary.accepted, page_views.len() as u64);
    let got_skips: BTreeMap<&str, u64> = summary.skipped.iter().map(|(k, v)| (*k, v.0)).collect();
    assert_eq!(got_skips, skips);
    assert_eq!(
        summary.skipped["malformed_line"]
            .1
            .rsplit(':')
            .next()
            .unwrap(),
        "6",
        "first line number of the reason"
    );
    assert!(summary.render().contains("static_asset"));

    let (v, b, pv): (i64, i64, i64) = db
        .client()
        .query("SELECT sum(sign), sum(sign * is_bounce), sum(sign * pageviews) FROM sessions WHERE site = '227'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((v, b, pv), (visits, bounces, page_views.len() as i64));
    // Durations: 08:00→08:02 (120 s) and 08:10→08:13 (180 s); the others are single pages.
    let duration: i64 = db
        .client()
        .query("SELECT sum(sign * duration) FROM sessions")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(duration, 300);
    let organic: i64 = db
        .client()
        .query("SELECT sum(sign) FROM sessions WHERE source = 'organic'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        organic,
        starts.iter().filter(|l| l.7 == "organic").count() as i64
    );
    let events_at: u64 = count(
        &db,
        "SELECT count() FROM events WHERE origin = 'import' AND toDate(timestamp) = '2026-03-01'",
    )
    .await;
    assert_eq!(
        events_at,
        page_views.len() as u64,
        "events carry the log's own time"
    );
}
