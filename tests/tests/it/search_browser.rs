//! Headless Chromium, the collector binary and ClickHouse: the tag's site search (the
//! `trackSiteSearch` command, `window.emc('event', 'site_search', …)` and a search-results
//! URL) are site-search hits, not page views; Matomo's heart beat (`ping=1`, sent from the
//! page as matomo.js sends it) extends the visit without adding a page view.
use crate::browser::{portal_db, sent, wait_count, Fixtures};
use emc_e2e::browser::Browser;
use emc_e2e::Collector;
use std::time::Duration;

#[derive(clickhouse::Row, serde::Deserialize, Debug, PartialEq)]
struct Search {
    name: String,
    pathname: String,
    search_keyword: String,
    search_category: String,
    search_count: Option<u32>,
}

#[tokio::test]
async fn the_tags_site_search_is_a_search_not_a_page_view() {
    let db = portal_db("e2e_browser_search").await;
    let collector = Collector::start(&db, &[]).await;
    let fx = Fixtures::start("search.html", &collector.base).await;
    let browser = Browser::launch().await.unwrap();
    let page = browser.open(&format!("{}/", fx.portal)).await.unwrap();
    sent(&page, 1).await;
    // The queue command (as Matomo's _paq takes it), the custom-event form, and an SPA
    // navigation to a results URL with `q` (one of the default search parameters).
    let steps = [
        "_govaq.push(['trackSiteSearch', 'hộ chiếu', 'Thủ tục', 0]); true",
        "emc('event', 'site_search', {name: 'đất đai', value: 3}); true",
        "history.pushState({}, '', '/tim-kiem?q=gi%E1%BA%A5y+ph%C3%A9p&page=2'); true",
    ];
    for (i, js) in steps.into_iter().enumerate() {
        assert!(page.eval::<bool>(js).await.unwrap());
        sent(&page, 2 + i).await;
    }
    assert_eq!(page.console_errors(), Vec::<String>::new());
    page.hide().await.unwrap();
    wait_count(
        &db,
        "SELECT count() FROM events WHERE name = 'engagement'",
        1,
        &collector,
    )
    .await;
    wait_count(&db, "SELECT count() FROM events", 5, &collector).await;
    browser.close().await;

    let rows: Vec<Search> = db
        .client()
        .query("SELECT ?fields FROM events WHERE name IN ('pageview', 'site_search') ORDER BY name, search_keyword")
        .fetch_all()
        .await
        .unwrap();
    let row = |name: &str, path: &str, k: &str, c: &str, n: Option<u32>| Search {
        name: name.into(),
        pathname: path.into(),
        search_keyword: k.into(),
        search_category: c.into(),
        search_count: n,
    };
    assert_eq!(
        rows,
        [
            row("pageview", "/", "", "", None),
            row("site_search", "/tim-kiem", "giấy phép", "", None),
            row("site_search", "/", "hộ chiếu", "Thủ tục", Some(0)),
            row("site_search", "/", "đất đai", "", Some(3)),
        ]
    );
    // (rows by name, then keyword bytes: beacons a few ms apart may arrive in any order)
    // One visit holding the one real page view (session rows are written after the events:
    // wait for them).
    wait_count(
        &db,
        "SELECT toUInt64(greatest(sum(sign), 0)) FROM sessions",
        1,
        &collector,
    )
    .await;
    let (visits, pageviews): (i64, i64) = db
        .client()
        .query("SELECT sum(sign), sum(sign * pageviews) FROM sessions")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((visits, pageviews), (1, 1));
}

#[tokio::test]
async fn matomo_heart_beat_extends_the_visit_without_a_page_view() {
    let db = portal_db("e2e_browser_heartbeat").await;
    let collector = Collector::start(&db, &[]).await;
    let fx = Fixtures::start("matomo-heartbeat.html", &collector.base).await;
    let browser = Browser::launch().await.unwrap();
    let page = browser
        .open(&format!("{}/thu-tuc", fx.portal))
        .await
        .unwrap();
    page.wait_for("window.__sent >= 2", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(page.console_errors(), Vec::<String>::new());
    wait_count(&db, "SELECT count() FROM events", 2, &collector).await;
    browser.close().await;

    // The truth from the hits themselves: the ping's second minus the page view's.
    let hits: Vec<(String, u32)> = db
        .client()
        .query("SELECT name, toUInt32(timestamp) FROM events ORDER BY timestamp, timestamp_ms")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
        ["pageview", "engagement"],
        "the ping is a hit, not a page view"
    );
    let want = i64::from(hits[1].1 - hits[0].1);
    assert!(want >= 1, "the ping came 2 s after the page view: {hits:?}");
    let (visits, pageviews, events, duration): (i64, i64, i64, i64) = db
        .client()
        .query("SELECT sum(sign), sum(sign * pageviews), sum(sign * events), sum(sign * duration) FROM sessions")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((visits, pageviews, events, duration), (1, 1, 2, want));
}
