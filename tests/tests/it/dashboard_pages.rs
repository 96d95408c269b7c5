//! Every dashboard page in headless Chromium at 1366×900 and 390×844: a screenshot of each
//! (`EMC_UPDATE_SCREENSHOTS=1` writes them to `docs/screenshots/`, shown in the README) and axe-core's WCAG 2.1 AA rules
//! (the npm package the scanner uses) with no serious or critical violation. Then the
//! site page as a person uses it: with JavaScript (tabs switch in place, the chart tells
//! a point's value on keyboard focus). Without JavaScript the pages are checked as fetched
//! HTML by the dashboard's own tests (`site_page`, `overview_page`).
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::Viewport;
use chromiumoxide::page::ScreenshotParams;
use emc_e2e::browser::{Browser, Page};
use emc_e2e::{workspace_root, Collector, Service};
use std::time::{Duration, Instant};

const PASSWORD: &str = "mat-khau-thu-nghiem-2";
/// The whole test, browser start to the last page (it takes ~30-60 s on 2 busy cores).
const BUDGET: Duration = Duration::from_secs(150);
const SIZES: [(&str, i64, i64); 2] = [("desktop", 1366, 900), ("mobile", 390, 844)];

const UAS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
];
const PATHS: [&str; 6] = [
    "/",
    "/tin-tuc",
    "/gioi-thieu",
    "/lien-he",
    "/van-ban/quyet-dinh-so-1234-qd-ubnd-2026-ve-cai-cach-hanh-chinh",
    "/dich-vu-cong",
];
const REFERRERS: [&str; 5] = [
    "https://www.google.com.vn/",
    "https://www.facebook.com/",
    "",
    "https://baomoi.com/tin",
    "https://zalo.me/",
];

/// Forty visitors from Hanoi, Phu Tho and abroad (addresses of the test geo database),
/// one to three page views each, through the real collector.
async fn traffic(db: &emc_sql::Db) {
    let geo = workspace_root().join("collector/testdata/geo/dbip-flat-test.mmdb");
    let geo = geo.to_str().unwrap().to_owned();
    let mut collector = Collector::start(db, &[("EMC_GEOIP_DB", geo.as_str())]).await;
    let http = reqwest::Client::new();
    for v in 0..40usize {
        let ip = match v % 3 {
            0 => format!("14.160.{}.{}", v, v + 1),
            1 => format!("14.176.{}.{}", v, v + 1),
            _ => format!("8.8.8.{v}"),
        };
        let campaign = if v % 7 == 0 {
            "?utm_campaign=dvc-2026"
        } else {
            ""
        };
        for k in 0..(1 + v % 3) {
            let path = PATHS[(v + k * 2) % PATHS.len()];
            let referrer = if k == 0 {
                REFERRERS[v % REFERRERS.len()]
            } else {
                ""
            };
            let body = serde_json::json!({
                "site": "227",
                "name": "pageview",
                "url": format!("https://portal.gov.vn{path}{campaign}"),
                "referrer": referrer,
                "title": "Cổng thông tin",
                "screen_width": 1280,
            });
            let res = http
                .post(format!("{}/api/event", collector.base))
                .header("content-type", "text/plain")
                .header("user-agent", UAS[v % UAS.len()])
                .header("x-forwarded-for", &ip)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 202);
        }
    }
    collector.stop();
}

async fn viewport(page: &Page, w: i64, h: i64) {
    page.page
        .execute(SetDeviceMetricsOverrideParams::new(w, h, 1.0, w < 500))
        .await
        .unwrap();
}

/// The page's full height at the current width, and its screenshot at that size.
async fn photograph(page: &Page, file: &std::path::Path, w: i64) -> i64 {
    let height: i64 = page
        .eval("document.documentElement.scrollHeight")
        .await
        .unwrap();
    let shot = ScreenshotParams::builder()
        .clip(Viewport {
            x: 0.0,
            y: 0.0,
            width: w as f64,
            height: height as f64,
            scale: 1.0,
        })
        .capture_beyond_viewport(true)
        .build();
    let png = page.page.screenshot(shot).await.unwrap();
    std::fs::write(file, png).unwrap();
    height
}

/// axe-core's serious and critical violations of WCAG 2.0/2.1 A and AA on the open page.
async fn axe(page: &Page, source: &str) -> Vec<String> {
    let _: serde_json::Value = page
        .eval(&format!("(function(){{{source}\n;return true;}})()"))
        .await
        .unwrap();
    let found: Vec<String> = page
        .eval(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
             .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
             .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))",
        )
        .await
        .unwrap();
    found
}

async fn sign_in(page: &Page, base: &str) {
    for (field, value) in [("#username", "admin"), ("#password", PASSWORD)] {
        page.page
            .find_element(field)
            .await
            .unwrap()
            .click()
            .await
            .unwrap()
            .type_str(value)
            .await
            .unwrap();
    }
    page.click("button[type=submit]").await.unwrap();
    page.wait_for("location.pathname === '/'", Duration::from_secs(15))
        .await
        .unwrap_or_else(|e| panic!("signing in at {base}: {e}"));
}

#[tokio::test]
async fn every_page_at_two_sizes_passes_axe_and_is_photographed() {
    tokio::time::timeout(BUDGET, every_page())
        .await
        .unwrap_or_else(|_| panic!("the pages were not all checked within {BUDGET:?}"));
}

async fn every_page() {
    let started = Instant::now();
    let axe_js = workspace_root().join("scanner/js/node_modules/axe-core/axe.min.js");
    let axe_source = std::fs::read_to_string(&axe_js).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/install-deps.sh installs axe-core)",
            axe_js.display()
        )
    });
    // The committed pictures are rewritten only when asked (`EMC_UPDATE_SCREENSHOTS=1`), so a
    // test run leaves the working tree clean; otherwise they go under target/.
    let out = if std::env::var_os("EMC_UPDATE_SCREENSHOTS").is_some() {
        workspace_root().join("docs/screenshots")
    } else {
        workspace_root().join("target/browser-screenshots/dashboard")
    };
    std::fs::create_dir_all(&out).unwrap();

    let db = emc_sql::testing::test_db("e2e_dashboard_pages").await;
    emc_e2e::register_portal_227(&db, "Cổng thông tin điện tử tỉnh Phú Thọ").await;
    traffic(&db).await;
    let dashboard = Service::dashboard(&db, &[("EMC_ADMIN_PASSWORD", PASSWORD)]).await;
    let base = dashboard.base.clone();
    let browser = Browser::launch().await.unwrap();
    let page = browser.open(&format!("{base}/login")).await.unwrap();

    let month = {
        let now = time::OffsetDateTime::now_utc();
        format!("{}-{:02}", now.year(), u8::from(now.month()))
    };
    // (screenshot name, path): every page a signed-in admin can open, and the sign-in page.
    let pages: Vec<(&str, String)> = vec![
        ("overview", "/".into()),
        ("site", "/sites/227".into()),
        ("site-en", "/sites/227?lang=en&tab=referrer&tab=map".into()),
        ("details", "/sites/227/details/page".into()),
        ("agency", "/agencies/bo-a".into()),
        ("compliance", "/compliance".into()),
        ("ranking", "/ranking".into()),
        ("alerts", "/alerts".into()),
        ("scans", "/scans".into()),
        ("scan", "/sites/227/scan".into()),
        ("admin", "/admin".into()),
        ("retention", "/admin/retention".into()),
        ("user", "/users/admin".into()),
        ("open-data", "/open-data".into()),
        (
            "report",
            format!("/reports/monthly?agency=bo-a&month={month}"),
        ),
    ];
    let mut violations = Vec::new();
    let mut site_height = 0;
    for (size, w, h) in SIZES {
        viewport(&page, w, h).await;
        // The sign-in page first, signed out.
        page.page.goto(format!("{base}/login")).await.unwrap();
        violations.extend(
            axe(&page, &axe_source)
                .await
                .into_iter()
                .map(|v| format!("login@{size}: {v}")),
        );
        photograph(&page, &out.join(format!("login-{size}.png")), w).await;
        sign_in(&page, &base).await;
        for (name, path) in &pages {
            assert!(
                started.elapsed() < BUDGET,
                "over {BUDGET:?} at {name}@{size}"
            );
            page.page.goto(format!("{base}{path}")).await.unwrap();
            page.wait_for(
                "document.readyState === 'complete'",
                Duration::from_secs(15),
            )
            .await
            .unwrap();
            let status_ok: bool = page
                .eval(
                    "!document.title.startsWith('Lỗi') && document.querySelector('main') !== null",
                )
                .await
                .unwrap();
            assert!(status_ok, "{path} renders a page");
            violations.extend(
                axe(&page, &axe_source)
                    .await
                    .into_iter()
                    .map(|v| format!("{name}@{size} ({path}): {v}")),
            );
            let height = photograph(&page, &out.join(format!("{name}-{size}.png")), w).await;
            if *name == "site" && size == "desktop" {
                site_height = height;
            }
        }
        // Sign out (from the overview: the printable report has no menu) so the next size
        // starts at the sign-in page.
        page.page.goto(format!("{base}/")).await.unwrap();
        page.click("form[action='/logout'] button").await.unwrap();
        page.wait_for("location.pathname === '/login'", Duration::from_secs(15))
            .await
            .unwrap();
    }
    assert!(
        violations.is_empty(),
        "axe-core (WCAG 2.1 AA) found serious or critical violations:\n{}",
        violations.join("\n")
    );
    eprintln!("site page: {site_height} px tall at 1366 wide");
    assert!(
        (1..=2 * 900).contains(&site_height),
        "the site page fits in two screens at 1366×900: {site_height} px"
    );

    eprintln!("with JavaScript…");
    // With JavaScript: a tab switches in place and the URL remembers it; the chart tells
    // the value of the point chosen with the keyboard.
    viewport(&page, 1366, 900).await;
    page.page.goto(format!("{base}/login")).await.unwrap();
    sign_in(&page, &base).await;
    page.page.goto(format!("{base}/sites/227")).await.unwrap();
    page.wait_for(
        "document.readyState === 'complete'",
        Duration::from_secs(15),
    )
    .await
    .unwrap();
    let _: bool = page.eval("(window.__stayed = true)").await.unwrap();
    eprintln!("clicking a tab…");
    page.click("#tab-referrer").await.unwrap();
    page.wait_for(
        "!document.getElementById('panel-referrer').hidden && document.getElementById('panel-source').hidden",
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let same_page: bool = page
        .eval("window.__stayed === true && location.search.includes('tab=referrer')")
        .await
        .unwrap();
    assert!(same_page, "the tab switched without loading a page");
    let tip: String = page
        .eval(
            "(() => { const f = document.querySelector('[data-chart]'); f.focus(); \
             f.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true})); \
             return f.querySelector('.tip').textContent; })()",
        )
        .await
        .unwrap();
    let expected: String = page
        .eval(
            "(() => { const c = document.querySelectorAll('[data-chart] .pts circle'); \
             const p = c[c.length - 2]; return p.getAttribute('data-t') + ': ' + p.getAttribute('data-v'); })()",
        )
        .await
        .unwrap();
    assert_eq!(
        tip, expected,
        "the focused chart shows the chosen point's value"
    );
    assert_eq!(page.console_errors(), Vec::<String>::new());

    drop(page);
    browser.close().await;
    eprintln!(
        "every page checked in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
