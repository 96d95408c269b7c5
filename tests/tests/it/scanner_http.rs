//! `emc-scanner scan --json` over the fixture fleet (HTTP, TLS and HTML checks; the browser
//! off): every check of every site has the outcome and value the fixture was written for;
//! the rows land in `scan_checks`/`scans`; a check that flips between two scans shows in
//! "what changed".
use crate::scanner_fleet::{self, DOWN};
use emc_e2e::sites::{Fixtures, Page, TestCa};
use emc_sql::scan::{Change, Check, Outcome, CHANGES};
use emc_sql::Db;
use std::collections::BTreeMap;

pub const COLLECTOR: &str = "https://emc-collector.gov.vn";

/// `check=outcome[:value]` pairs, space separated; a value is compared when given.
const EXPECTED: &[(&str, &str)] = &[
    ("100", "http=pass:200 https_redirect=pass:https://portal.gov.vn/ tls_valid=pass:valid tls_expiry_days=pass:89 hsts=pass:31536000 security_headers=pass:4/4 mixed_content=pass:0 domain_gov_vn=pass:portal.gov.vn tag_present=pass:emc tag_site_id=pass:100 tag_collector=pass:https://emc-collector.gov.vn/tracker.js label_visible=pass:html dc_complete=pass:3/3 links_components=pass:2/2 link_parent=n/a footer_contact=pass:4/4 robots=pass:200 sitemap=pass:3 not_found=pass:404"),
    ("101", "http=pass:200 https_redirect=pass:https://c1.portal.gov.vn/ tls_valid=pass:valid tls_expiry_days=pass:89 hsts=pass:31536000 security_headers=pass:4/4 mixed_content=pass:0 domain_gov_vn=pass:c1.portal.gov.vn tag_present=pass:emc tag_site_id=pass:101 tag_collector=pass label_visible=pass:html dc_complete=pass:3/3 links_components=n/a link_parent=pass:https://portal.gov.vn/ footer_contact=pass:4/4 robots=pass:200 sitemap=pass:3 not_found=pass:404"),
    ("102", "http=pass:200 https_redirect=pass tls_valid=pass tls_expiry_days=pass:89 hsts=pass security_headers=pass:4/4 mixed_content=pass:0 domain_gov_vn=pass tag_present=pass:emc tag_site_id=pass:102 tag_collector=pass label_visible=pass:html dc_complete=pass:3/3 links_components=n/a link_parent=fail footer_contact=pass:4/4 robots=pass sitemap=pass:3 not_found=pass:404"),
    ("200", "http=pass:200 https_redirect=fail:http://bare.gov.vn/ tls_valid=pass tls_expiry_days=pass:89 hsts=fail security_headers=fail:0/4 mixed_content=fail:1 domain_gov_vn=pass tag_present=pass:emc tag_site_id=pass:200 tag_collector=pass label_visible=fail dc_complete=fail:0/2 links_components=n/a link_parent=n/a footer_contact=pass:4/4 robots=pass:200 sitemap=fail not_found=fail:200"),
    ("300", "http=pass:200 https_redirect=fail tls_valid=pass tls_expiry_days=pass:89 hsts=fail security_headers=fail:0/4 mixed_content=pass:0 domain_gov_vn=pass tag_present=pass:emc tag_site_id=fail:999 tag_collector=pass label_visible=pass:html dc_complete=fail:0/1 links_components=n/a link_parent=n/a footer_contact=pass:4/4 robots=fail:404 sitemap=fail:404 not_found=pass:404"),
    ("400", "http=pass:200 https_redirect=fail tls_valid=pass tls_expiry_days=pass hsts=fail security_headers=fail:0/4 mixed_content=pass:0 domain_gov_vn=pass tag_present=pass:emc tag_site_id=pass:400 tag_collector=fail:https://stats.example.org/tracker.js label_visible=pass dc_complete=fail:0/1 links_components=n/a link_parent=n/a footer_contact=pass:4/4 robots=fail:404 sitemap=fail:404 not_found=pass:404"),
    ("500", "http=pass:200 https_redirect=fail tls_valid=pass tls_expiry_days=pass hsts=fail security_headers=fail:0/4 mixed_content=pass:0 domain_gov_vn=pass tag_present=pass:matomo tag_site_id=pass:500 tag_collector=pass:https://emc-collector.gov.vn/ label_visible=pass dc_complete=fail:0/1 links_components=n/a link_parent=n/a footer_contact=pass:4/4 robots=fail:404 sitemap=fail:404 not_found=pass:404"),
    ("600", "http=pass:200 https_redirect=fail:http://expired.gov.vn/ tls_valid=fail:invalid tls_expiry_days=fail:-35 hsts=fail security_headers=fail:0/4 mixed_content=n/a domain_gov_vn=pass tag_present=pass:emc tag_site_id=pass:600 tag_collector=pass label_visible=pass dc_complete=fail:0/1 links_components=n/a link_parent=n/a footer_contact=pass:4/4 robots=fail:404 sitemap=fail:404 not_found=pass:404"),
    ("700", "http=pass:200 https_redirect=fail:http://httponly.gov.vn/ tls_valid=fail: tls_expiry_days=n/a hsts=fail security_headers=fail:0/4 mixed_content=n/a domain_gov_vn=pass tag_present=pass:emc tag_site_id=pass:700 tag_collector=pass label_visible=pass dc_complete=fail:0/1 links_components=n/a link_parent=n/a footer_contact=pass:4/4 robots=fail:404 sitemap=fail:404 not_found=pass:404"),
    ("800", "http=fail: https_redirect=fail tls_valid=fail tls_expiry_days=n/a hsts=fail security_headers=error mixed_content=error domain_gov_vn=fail:down-site.vn tag_present=error tag_site_id=error tag_collector=error label_visible=error dc_complete=error links_components=error link_parent=error footer_contact=error robots=error sitemap=error not_found=error"),
    ("900", "http=pass:200 https_redirect=fail tls_valid=pass tls_expiry_days=pass hsts=fail security_headers=fail:0/4 mixed_content=pass:0 domain_gov_vn=pass tag_present=pass:emc tag_site_id=pass:900 tag_collector=pass label_visible=pass dc_complete=fail:0/1 links_components=n/a link_parent=n/a footer_contact=fail:0/4 robots=fail:404 sitemap=fail:404 not_found=pass:404"),
];

#[derive(serde::Deserialize, Debug)]
pub struct JsonScan {
    pub site: String,
    pub domain: String,
    pub scanned_at: String,
    pub checks: Vec<JsonCheck>,
}

#[derive(serde::Deserialize, Debug)]
pub struct JsonCheck {
    pub check: String,
    pub outcome: String,
    pub value: String,
    pub detail: String,
}

/// Runs `emc-scanner` with the fixtures' names and trust, and returns its JSON lines.
pub async fn scan(db: &Db, env: &[(&str, &str)], args: &[&str]) -> Vec<JsonScan> {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(emc_e2e::bin("emc-scanner"));
    cmd.arg("scan")
        .arg("--json")
        .args(args)
        .env("EMC_CLICKHOUSE_URL", db.url())
        .env("EMC_CLICKHOUSE_DB", db.database())
        .env("EMC_DATA_DIR", data.path())
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(240), cmd.output())
        .await
        .expect("the scan ends within 4 minutes")
        .expect("running emc-scanner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "emc-scanner failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Asserts `expected` (`check=outcome[:value]` pairs) against one scan.
pub fn assert_checks(s: &JsonScan, expected: &str) {
    let got: BTreeMap<&str, &JsonCheck> = s.checks.iter().map(|c| (c.check.as_str(), c)).collect();
    for pair in expected.split_whitespace() {
        let (check, want) = pair.split_once('=').unwrap();
        let (outcome, value) = match want.split_once(':') {
            Some((o, v)) => (o, Some(v)),
            None => (want, None),
        };
        let c = got
            .get(check)
            .unwrap_or_else(|| panic!("site {}: no {check} result", s.site));
        assert_eq!(c.outcome, outcome, "site {} {check}: {c:?}", s.site);
        if let Some(v) = value {
            assert_eq!(c.value, v, "site {} {check}: {c:?}", s.site);
        }
        if c.outcome != "pass" && c.outcome != "n/a" {
            assert!(
                !c.detail.is_empty(),
                "site {} {check}: a failure says why",
                s.site
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanner_http_checks_of_the_fixture_fleet() {
    let db = emc_sql::testing::test_db("scanner_http").await;
    scanner_fleet::register(&db).await;
    let ca = TestCa::new();
    let web = Fixtures::start(&ca, scanner_fleet::fleet(COLLECTOR)).await;
    let connect_to = web.connect_to(&[DOWN]);
    let ca_path = ca.pem_path.to_string_lossy().into_owned();
    let env = [
        ("EMC_SCANNER_CONNECT_TO", connect_to.as_str()),
        ("EMC_SCANNER_EXTRA_CA", ca_path.as_str()),
        ("EMC_COLLECTOR_PUBLIC_URL", COLLECTOR),
        ("EMC_SCANNER_BROWSER", "false"),
        ("EMC_SCANNER_TIMEOUT_SECS", "5"),
    ];
    let scans = scan(&db, &env, &[]).await;
    let sites: Vec<&str> = scans.iter().map(|s| s.site.as_str()).collect();
    assert_eq!(
        sites,
        ["100", "101", "102", "200", "300", "400", "500", "600", "700", "800", "900"]
    );
    let browserless: Vec<&str> = Check::ALL
        .iter()
        .filter(|c| !c.needs_browser())
        .map(|c| c.key())
        .collect();
    for s in &scans {
        let keys: Vec<&str> = s.checks.iter().map(|c| c.check.as_str()).collect();
        assert_eq!(
            keys, browserless,
            "site {}: each HTTP/HTML check once, in order",
            s.site
        );
        let t = s.scanned_at.as_bytes();
        assert!(
            t.len() == 20 && t[4] == b'-' && t[10] == b'T' && t[13] == b':' && t[19] == b'Z',
            "{}",
            s.scanned_at
        );
        let (_, expected) = EXPECTED.iter().find(|(code, _)| *code == s.site).unwrap();
        assert_checks(s, expected);
    }
    assert_eq!(scans[9].domain, DOWN);

    // Stored: one scans row per domain, one scan_checks row per check, outcomes as printed.
    let rows: Vec<(String, String, String)> = db
        .client()
        .query("SELECT site, check, toString(outcome) FROM scan_checks ORDER BY site, check")
        .fetch_all()
        .await
        .unwrap();
    let mut printed: Vec<(String, String, String)> = scans
        .iter()
        .flat_map(|s| {
            s.checks
                .iter()
                .map(|c| (s.site.clone(), c.check.clone(), c.outcome.clone()))
        })
        .collect();
    printed.sort();
    assert_eq!(rows, printed);
    let n: u64 = db
        .client()
        .query("SELECT count() FROM scans WHERE trigger = 'cli'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(n, 11);

    // The wrong site id is fixed: a second scan of site 300 flips tag_site_id, and only it.
    let unix = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let first_second = unix();
    web.set_page(
        "wrongid.gov.vn",
        "/",
        Page::html(scanner_fleet::html(
            "Trang",
            &scanner_fleet::tag("300", COLLECTOR),
            &format!(
                "{}{}",
                scanner_fleet::LABEL,
                scanner_fleet::footer("Site 300", "wrongid.gov.vn")
            ),
        )),
    );
    // Scan times are whole seconds: the second scan must start in a later one.
    while unix() == first_second {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let again = scan(&db, &env, &["--site", "300"]).await;
    assert_eq!(again.len(), 1);
    let changes: Vec<Change> = db
        .client()
        .query(CHANGES)
        .bind("")
        .bind("")
        .fetch_all()
        .await
        .unwrap();
    let flipped: Vec<(&str, &str, Option<Outcome>, Option<Outcome>)> = changes
        .iter()
        .map(|c| {
            (
                c.site.as_str(),
                c.check.as_str(),
                Outcome::from_code(c.before),
                Outcome::from_code(c.now),
            )
        })
        .collect();
    assert_eq!(
        flipped,
        [(
            "300",
            "tag_site_id",
            Some(Outcome::Fail),
            Some(Outcome::Pass)
        )]
    );
}
