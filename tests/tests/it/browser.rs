//! The tag in headless Chromium against the real collector binary and ClickHouse: fixture
//! portal pages (tests/fixtures/*.html) served under `*.gov.vn` names on loopback.
use emc_e2e::browser::{Browser, Page};
use emc_e2e::Collector;
use emc_sql::testing::tables_containing;
use emc_sql::Db;
use std::time::{Duration, Instant};

const STEP: Duration = Duration::from_secs(5);

/// Serves a fixture page (any path, as an SPA's server does) on `portal.gov.vn`, a PDF under
/// `*.pdf`, and another site on `other.gov.vn`; both names resolve to 127.0.0.1 in the browser.
pub(crate) struct Fixtures {
    pub(crate) portal: String,
    other: String,
    server: tokio::task::JoinHandle<()>,
}

impl Fixtures {
    pub(crate) async fn start(file: &str, collector: &str) -> Fixtures {
        use axum::http::{header, HeaderMap, StatusCode, Uri};
        use axum::response::IntoResponse;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let other = format!("http://other.gov.vn:{port}");
        let path = emc_e2e::workspace_root().join("tests/fixtures").join(file);
        let html =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let html = html
            .replace("{{COLLECTOR}}", collector)
            .replace("{{OTHER}}", &other);
        let app = axum::Router::new().fallback(move |headers: HeaderMap, uri: Uri| {
            let html = html.clone();
            async move {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default();
                let html_type = [(header::CONTENT_TYPE, "text/html; charset=utf-8")];
                if host.starts_with("other.gov.vn") {
                    (
                        html_type,
                        "<!doctype html><meta charset=utf-8><title>Khác</title><h1>Cổng khác</h1>",
                    )
                        .into_response()
                } else if uri.path().ends_with(".pdf") {
                    let headers = [
                        (header::CONTENT_TYPE, "application/pdf"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=qd-123.pdf",
                        ),
                    ];
                    (headers, "%PDF-1.4\n%%EOF\n").into_response()
                } else if uri.path() == "/favicon.ico" {
                    StatusCode::NOT_FOUND.into_response()
                } else {
                    (html_type, html).into_response()
                }
            }
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fixtures {
            portal: format!("http://portal.gov.vn:{port}"),
            other,
            server,
        }
    }
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A test database with site 227 on portal.gov.vn.
pub(crate) async fn portal_db(name: &str) -> Db {
    let db = emc_sql::testing::test_db(name).await;
    emc_e2e::register_portal_227(&db, "Cổng A").await;
    db
}

/// Polls `sql` (a count) until it reaches `want`; the collector flushes every 200 ms.
pub(crate) async fn wait_count(db: &Db, sql: &str, want: u64, collector: &Collector) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n: u64 = db.client().query(sql).fetch_one().await.unwrap();
        if n >= want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: {n} < {want} after 10 s\n{}",
            collector.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn sent(page: &Page, n: usize) {
    page.wait_for(
        &format!("window.__sent && window.__sent.length >= {n}"),
        STEP,
    )
    .await
    .unwrap();
}

#[derive(clickhouse::Row, serde::Deserialize, Debug)]
struct Ev {
    name: String,
    pathname: String,
    session_id: u64,
    fcp: u32,
    lcp: u32,
    load: u32,
    emc_label: u8,
    dc_elements: Vec<String>,
    props_values: Vec<String>,
}

async fn events(db: &Db) -> Vec<Ev> {
    db.client()
        .query("SELECT ?fields FROM events ORDER BY timestamp, timestamp_ms")
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_portal_page_with_spa_navigation_links_and_hiding() {
    let db = portal_db("e2e_browser_portal").await;
    let collector = Collector::start(&db, &[]).await;
    let fx = Fixtures::start("portal.html", &collector.base).await;
    let browser = Browser::launch().await.unwrap();
    let page = browser.open(&format!("{}/", fx.portal)).await.unwrap();
    sent(&page, 1).await;
    for (i, (path, title)) in [("/tin-tuc", "Tin tức"), ("/lien-he", "Liên hệ")]
        .into_iter()
        .enumerate()
    {
        let js = format!("history.pushState({{}}, '', '{path}'); document.title = '{title}'; true");
        assert!(page.eval::<bool>(&js).await.unwrap());
        sent(&page, 2 + i).await;
    }
    page.screenshot("portal").await.unwrap();
    let before = page.eval::<usize>("window.__sent.length").await.unwrap();
    page.click("#pdf").await.unwrap();
    sent(&page, before + 1).await;
    assert_eq!(
        page.console_errors(),
        Vec::<String>::new(),
        "the page logs no error"
    );
    page.click("#outbound").await.unwrap();
    page.wait_for("location.hostname == 'other.gov.vn'", STEP)
        .await
        .unwrap();
    page.hide().await.unwrap();

    wait_count(
        &db,
        "SELECT count() FROM events WHERE name = 'engagement'",
        1,
        &collector,
    )
    .await;
    wait_count(
        &db,
        "SELECT count() FROM events WHERE name = 'pageview'",
        3,
        &collector,
    )
    .await;
    wait_count(
        &db,
        "SELECT count() FROM events WHERE name IN ('outbound', 'download')",
        2,
        &collector,
    )
    .await;
    browser.close().await;
    let evs = events(&db).await;
    let pageviews: Vec<&Ev> = evs.iter().filter(|e| e.name == "pageview").collect();
    let paths: Vec<&str> = pageviews.iter().map(|e| e.pathname.as_str()).collect();
    assert_eq!(paths, ["/", "/tin-tuc", "/lien-he"], "{evs:#?}");
    assert!(
        evs.iter().all(|e| e.session_id == evs[0].session_id),
        "one session: {evs:#?}"
    );
    for pv in &pageviews {
        assert_eq!(
            pv.dc_elements,
            ["Creator", "Date", "Description", "Title"],
            "DC as the page has them"
        );
        assert_eq!(pv.emc_label, 1, "the EMC badge is visible");
    }
    let measured: Vec<&Ev> = evs
        .iter()
        .filter(|e| e.name == "engagement" && e.fcp > 0)
        .collect();
    assert_eq!(measured.len(), 1, "one measured page load: {evs:#?}");
    let m = measured[0];
    assert!(
        m.lcp >= m.fcp && m.load > 0,
        "fcp {} lcp {} load {}",
        m.fcp,
        m.lcp,
        m.load
    );
    let sessions: i64 = db
        .client()
        .query("SELECT sum(sign * pageviews) FROM sessions")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(sessions, 3, "the session has the three page views");

    let outbound: Vec<&Ev> = evs.iter().filter(|e| e.name == "outbound").collect();
    let downloads: Vec<&Ev> = evs.iter().filter(|e| e.name == "download").collect();
    assert_eq!(outbound.len(), 1, "{evs:#?}");
    assert!(
        outbound[0]
            .props_values
            .iter()
            .any(|v| v.starts_with(&fx.other)),
        "{:?}",
        outbound[0]
    );
    assert_eq!(downloads.len(), 1, "{evs:#?}");
    assert!(
        downloads[0]
            .props_values
            .iter()
            .any(|v| v.ends_with("/van-ban/qd-123.pdf")),
        "{:?}",
        downloads[0]
    );
}

#[tokio::test]
async fn the_legacy_govaq_snippet_reports_page_views_and_dvc_without_personal_data() {
    let db = portal_db("e2e_browser_legacy").await;
    let collector = Collector::start(&db, &[]).await;
    let fx = Fixtures::start("legacy.html", &collector.base).await;
    let browser = Browser::launch().await.unwrap();
    let page = browser
        .open(&format!("{}/dich-vu-cong", fx.portal))
        .await
        .unwrap();
    sent(&page, 1).await;
    page.click("#submit").await.unwrap();
    sent(&page, 2).await;
    assert_eq!(page.console_errors(), Vec::<String>::new());
    page.hide().await.unwrap();
    wait_count(
        &db,
        "SELECT count() FROM events WHERE name = 'dvc'",
        1,
        &collector,
    )
    .await;
    wait_count(
        &db,
        "SELECT count() FROM events WHERE name = 'pageview'",
        1,
        &collector,
    )
    .await;
    browser.close().await;

    let evs = events(&db).await;
    let pv = evs.iter().find(|e| e.name == "pageview").unwrap();
    assert_eq!(pv.pathname, "/dich-vu-cong");
    assert_eq!(pv.emc_label, 1, "the legacy form renders the label");
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Props {
        props_keys: Vec<String>,
        props_values: Vec<String>,
    }
    let dvc: Props = db
        .client()
        .query("SELECT ?fields FROM events WHERE name = 'dvc'")
        .fetch_one()
        .await
        .unwrap();
    let props: Vec<(String, String)> = dvc.props_keys.into_iter().zip(dvc.props_values).collect();
    let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["date", "dossier_hash", "flag", "service"],
        "{props:?}"
    );
    assert!(props.contains(&("service".into(), "1.004227".into())));
    assert!(props.contains(&("date".into(), "05032024".into())));
    for needle in ["Nguyễn Văn An", "001203004567", "000.00.12.H56-240305-0001"] {
        assert_eq!(
            tables_containing(&db, needle).await,
            Vec::<String>::new(),
            "{needle} is stored"
        );
    }
}

#[tokio::test]
async fn a_broken_page_still_reports_and_a_blocked_tag_breaks_nothing() {
    let db = portal_db("e2e_browser_broken").await;
    let collector = Collector::start(&db, &[]).await;
    let browser = Browser::launch().await.unwrap();

    let throws = Fixtures::start("throws.html", &collector.base).await;
    let page = browser
        .open(&format!("{}/loi", throws.portal))
        .await
        .unwrap();
    sent(&page, 1).await;
    page.wait_for("document.readyState == 'complete'", STEP)
        .await
        .unwrap();
    let errors = page.console_errors();
    assert!(
        errors.iter().any(|e| e.contains("portal script failed")),
        "the page's own errors are seen: {errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("portalWidgetInit")),
        "{errors:?}"
    );
    assert!(
        errors.iter().all(|e| !e.contains("tracker.js")),
        "none from the tag: {errors:?}"
    );
    page.hide().await.unwrap();
    wait_count(
        &db,
        "SELECT count() FROM events WHERE pathname = '/loi' AND name = 'pageview'",
        1,
        &collector,
    )
    .await;
    wait_count(
        &db,
        "SELECT count() FROM events WHERE pathname = '/loi' AND name = 'engagement'",
        1,
        &collector,
    )
    .await;

    let blocked = Fixtures::start("blocked.html", &collector.base).await;
    let page = browser
        .open(&format!("{}/chan", blocked.portal))
        .await
        .unwrap();
    page.wait_for("document.readyState == 'complete'", STEP)
        .await
        .unwrap();
    let heading: String = page
        .eval("document.getElementById('heading').textContent")
        .await
        .unwrap();
    assert_eq!(heading, "Trang vẫn hiển thị");
    let height: f64 = page
        .eval("document.getElementById('heading').getBoundingClientRect().height")
        .await
        .unwrap();
    assert!(height > 0.0, "the page is laid out");
    assert!(
        !page.eval::<bool>("'__emc' in window").await.unwrap(),
        "no tag ran"
    );
    let png = page.screenshot("blocked-tag").await.unwrap();
    assert!(
        std::fs::metadata(&png).unwrap().len() > 1000,
        "a real screenshot"
    );
    let errors = page.console_errors();
    assert!(
        errors
            .iter()
            .all(|e| e.contains("404") || e.contains("Failed to load resource")),
        "only the tag's 404: {errors:?}"
    );
    browser.close().await;
}
