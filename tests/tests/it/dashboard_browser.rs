//! The dashboard in headless Chromium: sign in as a person would, open a site report with
//! real data, and check the chart is there and the page logs no error.
use emc_e2e::browser::Browser;
use emc_e2e::{Collector, Service};
use std::time::Duration;

const PASSWORD: &str = "mat-khau-thu-nghiem-1";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

#[tokio::test]
async fn sign_in_and_read_a_site_report_with_its_chart() {
    let db = emc_sql::testing::test_db("e2e_dashboard_browser").await;
    emc_e2e::register_portal_227(&db, "Cổng thông tin A").await;

    // Three visitors, four page views, through the real collector.
    let mut collector = Collector::start(&db, &[]).await;
    let http = reqwest::Client::new();
    for (ip, path) in [
        ("14.160.12.107", "/"),
        ("14.160.12.107", "/tin-tuc"),
        ("113.160.1.1", "/"),
        ("27.72.1.1", "/lien-he"),
    ] {
        let body = format!(
            r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn{path}","title":"<script>alert(1)</script>"}}"#
        );
        let res = http
            .post(format!("{}/api/event", collector.base))
            .header("content-type", "text/plain")
            .header("user-agent", CHROME)
            .header("x-forwarded-for", ip)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    collector.stop();

    let dashboard = Service::dashboard(&db, &[("EMC_ADMIN_PASSWORD", PASSWORD)]).await;
    let browser = Browser::launch().await.unwrap();
    let page = browser
        .open(&format!("{}/login", dashboard.base))
        .await
        .unwrap();
    page.page
        .find_element("#username")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str("admin")
        .await
        .unwrap();
    page.page
        .find_element("#password")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(PASSWORD)
        .await
        .unwrap();
    page.click("button[type=submit], input[type=submit]")
        .await
        .unwrap();
    page.wait_for("location.pathname === '/'", Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", dashboard.log()));

    page.page
        .goto(format!("{}/sites/227", dashboard.base))
        .await
        .unwrap();
    page.wait_for(
        "document.querySelector('svg') !== null",
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    let text: String = page.eval("document.body.innerText").await.unwrap();
    assert!(
        text.contains("Lượt truy cập"),
        "the report speaks Vietnamese: {text:.300}"
    );
    assert!(text.contains("Cổng thông tin A"));
    let alerts: bool = page
        .eval("document.querySelectorAll('script:not([src])').length === 0")
        .await
        .unwrap();
    assert!(
        alerts,
        "no inline script (a title holding <script> renders as text)"
    );
    // The map of the 34 provinces of 2025, each unit titled for hover and screen readers.
    let units: i64 = page
        .eval("document.querySelectorAll('svg.vn-map path title').length")
        .await
        .unwrap();
    assert_eq!(units, 34, "the site page shows the map of Vietnam");
    let shot = page.screenshot("dashboard-site-report").await.unwrap();
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot at {}",
        shot.display()
    );
    assert_eq!(page.console_errors(), Vec::<String>::new());
    drop(page);
    browser.close().await;
}
