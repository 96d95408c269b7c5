//! `GET /api/v1/compliance`, `/api/v1/health`, `/metrics`, and the connection figures of the
//! overview and site pages, against the crafted beacons of `it::compliance` and a connection
//! log written relative to now; the scope check on each (401, 403).
use crate::compliance::{insert_events, log, scenario};
use crate::support::*;
use emc_sql::registry::{AgencyGroup, SiteKind};
use emc_sql::rows::ConnectionLogRow;

fn at(secs_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(secs_ago))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn compliance_and_health_api_over_crafted_beacons() {
    let db = emc_sql::testing::test_db("compliance_api").await;
    agency(&db, "bo-a", AgencyGroup::Ministry, None).await;
    agency(&db, "bo-b", AgencyGroup::Ministry, None).await;
    site(&db, "101", "a.gov.vn", "bo-a", SiteKind::Portal, None).await;
    site(&db, "102", "b.com.vn", "bo-b", SiteKind::Portal, None).await;
    insert_events(&db, &scenario()).await;
    // 101 heard an hour ago (one request of two rejected); 102 never.
    let rows = [
        log("101", &at(3600), 202, "ok"),
        log("101", &at(1800), 403, "hostname_mismatch"),
    ];
    let mut ins = db
        .client()
        .insert::<ConnectionLogRow>("connection_log")
        .await
        .unwrap();
    for r in &rows {
        ins.write(r).await.unwrap();
    }
    ins.end().await.unwrap();
    user(&db, "admin", "admin", &[]).await;
    user(&db, "an", "analyst", &["bo-a"]).await;
    let router = dashboard(&db);
    let admin = api_token(&router, "admin").await;
    let an = api_token(&router, "an").await;

    // One site: the figures it::compliance checked against the same beacons.
    let r = get(
        &router,
        "/api/v1/compliance?site=101&from=2025-03-01&to=2025-03-31",
        &admin,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.json();
    let t = &c["total"];
    assert_eq!(c["site"], "101");
    assert_eq!(
        (
            t["pageviews"].as_u64(),
            t["dc_complete"].as_u64(),
            t["labelled"].as_u64(),
            t["https"].as_u64(),
            t["page_loads"].as_u64()
        ),
        (Some(6), Some(4), Some(3), Some(4), Some(5))
    );
    assert_eq!(t["timings"][1]["name"], "lcp");
    assert_eq!(t["timings"][1]["p75_ms"].as_f64(), Some(5250.0));
    assert_eq!(t["timings"][0]["threshold_ms"].as_u64(), Some(3000));
    assert_eq!(
        (t["dc_share"].as_f64(), t["label_seen"].as_bool()),
        (Some(4.0 / 6.0), Some(true))
    );
    assert_eq!(
        (t["days_reporting"].as_u64(), t["days_in_range"].as_u64()),
        (Some(4), Some(31)),
        "10, 11, 12 and 13 March"
    );
    assert!(t["last_seen"].as_u64().is_some() && t["silent"] == false);
    assert_eq!(c["failing_pages"][0]["pathname"], "/a");
    assert_eq!(c["failing_pages"][0]["slow_loads"].as_u64(), Some(3));

    // As CSV: the site's row and the total, then the failing pages, worst first.
    let csv = get(
        &router,
        "/api/v1/export.csv?report=compliance&site=101&from=2025-03-01&to=2025-03-31",
        &admin,
    )
    .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let lines: Vec<Vec<&str>> = csv.body.lines().map(|l| l.split(',').collect()).collect();
    let col = |name: &str| {
        lines[0]
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", lines[0]))
    };
    assert_eq!(lines.len(), 3, "101, then the total: {}", csv.body);
    assert_eq!((lines[1][0], lines[2][0]), ("101", "*"));
    assert_eq!(
        (
            lines[1][col("page_loads")],
            lines[1][col("pageviews")],
            lines[1][col("lcp_p75_ms")]
        ),
        ("5", "6", "5250")
    );
    assert_eq!(
        (
            lines[1][col("dc_share")],
            lines[1][col("silent")],
            lines[1][col("days_reporting")]
        ),
        (format!("{:.4}", 4.0 / 6.0).as_str(), "false", "4")
    );
    let csv = get(
        &router,
        "/api/v1/export.csv?report=failing_pages&site=101&from=2025-03-01&to=2025-03-31",
        &admin,
    )
    .await;
    let lines: Vec<Vec<&str>> = csv.body.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        lines[0],
        [
            "site",
            "pathname",
            "page_loads",
            "slow_loads",
            "pageviews",
            "missing_dc",
            "unlabelled",
            "insecure",
            "failures"
        ]
    );
    assert_eq!((lines[1][1], lines[1][3]), ("/a", "3"));
    assert_eq!(
        get(
            &router,
            "/api/v1/export.csv?report=compliance&site=102",
            &an
        )
        .await
        .status,
        403
    );

    // The fleet (admin): both sites; 102 is silent.
    let f = get(
        &router,
        "/api/v1/compliance?from=2025-03-01&to=2025-03-31",
        &admin,
    )
    .await
    .json();
    assert!(f["site"].is_null());
    assert_eq!(
        (
            f["total"]["pageviews"].as_u64(),
            f["total"]["page_loads"].as_u64()
        ),
        (Some(7), Some(5))
    );
    assert_eq!(f["sites"].as_array().unwrap().len(), 2);
    assert_eq!(f["silent_sites"], serde_json::json!(["102"]));
    assert_eq!(
        (
            f["sites"][1]["site"].as_str(),
            f["sites"][1]["silent"].as_bool(),
            f["sites"][1]["last_seen"].is_null()
        ),
        (Some("102"), Some(true), true)
    );
    assert_eq!(f["silence_secs"].as_u64(), Some(86_400));

    // Scope: the analyst of bo-a has only 101.
    let f = get(
        &router,
        "/api/v1/compliance?from=2025-03-01&to=2025-03-31",
        &an,
    )
    .await
    .json();
    assert_eq!(
        (
            f["total"]["pageviews"].as_u64(),
            f["sites"].as_array().unwrap().len()
        ),
        (Some(6), 1)
    );
    assert_eq!(
        get(&router, "/api/v1/compliance?site=102", &an)
            .await
            .status,
        403
    );
    assert_eq!(
        get(&router, "/api/v1/compliance?site=999", &admin)
            .await
            .status,
        404
    );
    assert_eq!(get(&router, "/api/v1/compliance", "nope").await.status, 401);
    assert_eq!(
        get(&router, "/api/v1/compliance?from=2025-13-01", &admin)
            .await
            .status,
        400
    );

    // Health: last seen, silence, rejections (default range: the last 30 days).
    let h = get(&router, "/api/v1/health", &admin).await.json();
    assert_eq!(h["silent_sites"], serde_json::json!(["102"]));
    let rej = &h["rejections"][0];
    assert_eq!(
        (
            rej["site"].as_str(),
            rej["requests"].as_u64(),
            rej["rejected"].as_u64(),
            rej["share"].as_f64()
        ),
        (Some("101"), Some(2), Some(1), Some(0.5))
    );
    assert_eq!(
        rej["reasons"][0],
        serde_json::json!(["hostname_mismatch", 1])
    );
    let h = get(&router, "/api/v1/health", &an).await.json();
    assert_eq!(h["sites"].as_array().unwrap().len(), 1);
    assert_eq!(get(&router, "/api/v1/health", "nope").await.status, 401);

    // /metrics: admins only.
    let m = get(&router, "/metrics", &admin).await;
    assert_eq!(m.status, 200);
    assert!(m.body.contains("emc_sites_silent 1"), "{}", m.body);
    assert!(
        m.body.contains("emc_site_last_seen_seconds{site=\"101\"}"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains("emc_site_silent{site=\"102\"} 1"),
        "{}",
        m.body
    );
    assert_eq!(get(&router, "/metrics", &an).await.status, 403);
    assert_eq!(get(&router, "/metrics", "nope").await.status, 401);

    // Pages: the overview flags 102; the site page shows the rejected share and why.
    let (cookie, _) = browser_login(&router, "admin").await;
    let o = get_page(&router, "/", &cookie).await;
    assert!(
        o.body
            .contains("data-flag=\"silent_sites\"><span class=\"v\">1</span>"),
        "the overview counts the silent site and links to the list: {}",
        o.body
    );
    let list = get_page(&router, "/compliance", &cookie).await;
    assert!(
        list.body.contains("Trang mất kết nối (1)")
            && list.body.contains("<a href=\"/sites/102\">Cổng 102</a>"),
        "the list names the silent site: {}",
        list.body
    );
    let s = get_page(&router, "/sites/101", &cookie).await;
    assert!(
        s.body.contains("1/2 (50.0%)") && s.body.contains("hostname_mismatch"),
        "{}",
        s.body
    );
    let p = get_page(
        &router,
        "/compliance?site=101&from=2025-03-01&to=2025-03-31",
        &cookie,
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains("5250 ms") && p.body.contains("/a"),
        "{}",
        p.body
    );
    let (an_cookie, _) = browser_login(&router, "an").await;
    assert_eq!(
        get_page(&router, "/compliance?site=102", &an_cookie)
            .await
            .status,
        403
    );
    assert_eq!(
        get_page(&router, "/compliance", &an_cookie).await.status,
        200
    );
}
