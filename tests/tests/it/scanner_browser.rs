//! The scanner's browser checks in headless Chromium against a real collector: the compliant
//! portal's tag fires (the collector answers 202) and its label is visible, its timings meet
//! the Circular; a page whose LCP image arrives after 5 s fails `lcp`; a page with known
//! axe-core violations (and a label hidden with CSS) fails `a11y` and `label_visible`; the
//! tag with the wrong site id is refused by the collector (`tag_fires` fails on its 404) and
//! the tag of another collector sends this one nothing. Every browser check of each asserted.
use crate::scanner_fleet::{self, html, tag, LABEL};
use crate::scanner_http::{assert_checks, scan, JsonScan};
use emc_e2e::sites::{Fixtures, Page, Site, TestCa};
use emc_e2e::Collector;
use emc_sql::registry::{self, NewSite, SiteKind};

/// Arrives after this long: the largest image of the slow page.
const LCP_DELAY_MS: u64 = 5_000;

fn browser_sites(collector: &str) -> Vec<Site> {
    // Chromium leaves "low-entropy" images (under 0.05 bits per pixel) out of LCP: a
    // 1200×800 picture of 480 coloured tiles, ~30 KB, is a real candidate.
    let tiles: String = (0..480)
        .map(|i| {
            let (x, y) = ((i % 24) * 50, (i / 24) * 40);
            format!(
                r##"<rect x="{x}" y="{y}" width="50" height="40" fill="#{:06x}"/>"##,
                (i * 2_654_435_761u64) & 0xff_ffff
            )
        })
        .collect();
    let big = Page {
        body: format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800">{tiles}</svg>"#
        ),
        content_type: "image/svg+xml",
        delay_ms: LCP_DELAY_MS,
    };
    let slow = Site::new("slow.gov.vn")
        .page(
            "/",
            Page::html(html(
                "Trang chậm",
                &tag("950", collector),
                &format!(r#"<p>Ảnh lớn:</p><img src="/big.svg" width="1200" height="800" alt="Bản đồ">{LABEL}"#),
            )),
        )
        .page("/big.svg", big);
    // Known violations: no lang (serious), an image without alt (critical), an unlabeled
    // input (critical), low contrast text (serious); the label hidden with CSS.
    let axe_page = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Lỗi</title>{}</head><body><main><h1>Trang lỗi</h1><img src="/a.svg"><input type="text"><p style="color:#bbb;background:#fff">Chữ nhạt</p><span data-emc-label style="display:none">Đã kết nối EMC</span></main></body></html>"#,
        tag("960", collector)
    );
    let axe = Site::new("axe.gov.vn")
        .page("/", Page::html(axe_page))
        .page(
            "/a.svg",
            Page::typed(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>"#,
                "image/svg+xml",
            ),
        );
    // The compliant portal, the tag with the wrong site id, the tag of another collector.
    let sites = scanner_fleet::fleet(collector);
    let mut sites: Vec<Site> = sites
        .into_iter()
        .filter(|s| {
            ["portal.gov.vn", "wrongid.gov.vn", "other.gov.vn"].contains(&s.domain.as_str())
        })
        .collect();
    sites.push(slow);
    sites.push(axe);
    sites
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanner_browser_checks_against_a_real_collector() {
    let db = emc_sql::testing::test_db("scanner_browser").await;
    scanner_fleet::register(&db).await;
    for (code, domain) in [("950", "slow.gov.vn"), ("960", "axe.gov.vn")] {
        registry::add_site(
            &db,
            NewSite {
                name: format!("Site {code}"),
                domains: vec![domain.into()],
                kind: SiteKind::Portal,
                parent: None,
                agency: "bo-a".into(),
                code: Some(code.into()),
            },
        )
        .await
        .unwrap();
    }
    let collector = Collector::start(&db, &[]).await;
    let ca = TestCa::new();
    let web = Fixtures::start(&ca, browser_sites(&collector.base)).await;
    // The other collector is refused at once (no lookup leaves the machine).
    let connect_to = web.connect_to(&["stats.example.org"]);
    let ca_path = ca.pem_path.to_string_lossy().into_owned();
    let axe = emc_e2e::workspace_root().join("scanner/js/node_modules/axe-core/axe.min.js");
    let axe = axe.to_string_lossy().into_owned();
    let env = [
        ("EMC_SCANNER_CONNECT_TO", connect_to.as_str()),
        ("EMC_SCANNER_EXTRA_CA", ca_path.as_str()),
        ("EMC_COLLECTOR_PUBLIC_URL", collector.base.as_str()),
        ("EMC_SCANNER_AXE", axe.as_str()),
        ("EMC_SCANNER_TIMEOUT_SECS", "10"),
    ];
    let started = std::time::Instant::now();
    let scans = scan(
        &db,
        &env,
        &["--site", "100", "--site", "950", "--site", "960"],
    )
    .await;
    let took = started.elapsed();
    let by = |code: &str| -> &JsonScan { scans.iter().find(|s| s.site == code).unwrap() };
    let value = |s: &JsonScan, check: &str| -> f64 {
        let c = s.checks.iter().find(|c| c.check == check).unwrap();
        c.value
            .parse()
            .unwrap_or_else(|_| panic!("{check} value {c:?}"))
    };

    // Every check, the browser's included, once per site.
    for s in &scans {
        let keys: Vec<&str> = s.checks.iter().map(|c| c.check.as_str()).collect();
        let all: Vec<&str> = emc_sql::scan::Check::ALL.iter().map(|c| c.key()).collect();
        assert_eq!(keys, all, "site {}", s.site);
    }
    let portal = by("100");
    assert_checks(
        portal,
        "tag_fires=pass:202 label_visible=pass:visible ttfb=pass fcp=pass lcp=pass load=pass a11y=pass",
    );
    let portal_a11y = portal.checks.iter().find(|c| c.check == "a11y").unwrap();
    assert!(
        portal_a11y.value.starts_with("critical 0, serious 0"),
        "{portal_a11y:?}"
    );
    // The beacon the scanner saw was answered 202 and dropped as a bot: the scanner's browser
    // names itself, and monitoring is not a visit. The collector counts it in the connection
    // log (`bot:crawler`), and no page view of portal.gov.vn lands.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let n: u64 = db
            .client()
            .query("SELECT toUInt64(sum(count)) FROM connection_log WHERE site = '100' AND reason = 'bot:crawler' AND status = 202")
            .fetch_one()
            .await
            .unwrap();
        if n >= 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scanner's beacon was not counted as a bot: {}",
            collector.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pageviews: u64 = db
        .client()
        .query("SELECT count() FROM events WHERE site = '100'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(pageviews, 0, "the scanner's loads were counted as hits");

    // The wrong site id reaches the collector, which refuses the unknown site; the other
    // collector's tag sends nothing to this one. Both pages are otherwise fine.
    let tags = scan(&db, &env, &["--no-store", "--site", "300", "--site", "400"]).await;
    let by =
        |code: &str| -> &JsonScan { tags.iter().chain(&scans).find(|s| s.site == code).unwrap() };
    assert_checks(
        by("300"),
        "tag_fires=fail:404 label_visible=pass:visible ttfb=pass fcp=pass lcp=pass load=pass a11y=pass",
    );
    assert_checks(
        by("400"),
        "tag_fires=fail: label_visible=pass:visible ttfb=pass fcp=pass lcp=pass load=pass a11y=pass",
    );

    let slow = by("950");
    assert_checks(
        slow,
        "tag_fires=pass:202 label_visible=pass:visible ttfb=pass fcp=pass lcp=fail a11y=pass",
    );
    let lcp = value(slow, "lcp");
    assert!(
        lcp >= LCP_DELAY_MS as f64,
        "LCP {lcp} ms waits for the image"
    );
    let load = value(slow, "load");
    assert!(
        load >= LCP_DELAY_MS as f64,
        "load {load} ms waits for the image"
    );
    let load_outcome = slow.checks.iter().find(|c| c.check == "load").unwrap();
    assert_eq!(
        load_outcome.outcome,
        if load < 5800.0 { "pass" } else { "fail" }
    );
    assert!(value(slow, "fcp") < 3000.0);

    let bad = by("960");
    assert_checks(
        bad,
        "tag_fires=pass:202 label_visible=fail ttfb=pass fcp=pass lcp=pass load=pass a11y=fail",
    );
    let a11y = bad.checks.iter().find(|c| c.check == "a11y").unwrap();
    for rule in ["image-alt", "html-has-lang", "label", "color-contrast"] {
        assert!(
            a11y.detail.contains(&format!("{rule} (")),
            "{rule} in {a11y:?}"
        );
    }
    assert!(a11y.value.starts_with("critical 2, serious 2"), "{a11y:?}");
    assert!(took < std::time::Duration::from_secs(120), "took {took:?}");

    // Lighthouse 12.2.3 (unthrottled, desktop) on the same pages: lab FCP and LCP agree with
    // the scanner's medians within 20 % or 150 ms.
    let rules: Vec<String> = connect_to
        .split(',')
        .filter_map(|r| {
            let p: Vec<&str> = r.split(':').collect();
            (p.len() == 4).then(|| format!("MAP {}:{} {}:{}", p[0], p[1], p[2], p[3]))
        })
        .collect();
    for (code, url) in [
        ("100", "https://portal.gov.vn/"),
        ("950", "https://slow.gov.vn/"),
    ] {
        // Each page alone (the scan above loaded three sites, two tabs at a time), then Lighthouse.
        let alone = scan(&db, &env, &["--no-store", "--site", code]).await;
        let s = &alone[0];
        let (fcp, lcp) = lighthouse(url, &rules.join(",")).await;
        for (name, lab, ours) in [("fcp", fcp, value(s, "fcp")), ("lcp", lcp, value(s, "lcp"))] {
            let allowed = (0.2 * ours).max(150.0);
            assert!(
                (lab - ours).abs() <= allowed,
                "{url} {name}: Lighthouse {lab:.0} ms, scanner {ours:.0} ms (allowed ±{allowed:.0})"
            );
        }
    }
    drop(web);
}

/// Lighthouse's lab FCP and LCP (ms) of `url`, Chromium resolving names by `rules`.
async fn lighthouse(url: &str, rules: &str) -> (f64, f64) {
    let cli = emc_e2e::workspace_root().join("scanner/js/node_modules/lighthouse/cli/index.js");
    let profile = tempfile::tempdir().unwrap();
    let flags = format!(
        "--headless=new --no-sandbox --disable-gpu --ignore-certificate-errors --user-data-dir={} --host-resolver-rules=\"{rules}\"",
        profile.path().display()
    );
    let run = tokio::process::Command::new("node")
        .arg(&cli)
        .arg(url)
        .args([
            "--quiet",
            "--output=json",
            "--output-path=stdout",
            "--only-categories=performance",
            "--throttling-method=provided",
            "--screenEmulation.disabled",
            "--form-factor=desktop",
            "--max-wait-for-load=30000",
        ])
        .arg(format!("--chrome-flags={flags}"))
        .env("CHROME_PATH", emc_e2e::browser::CHROMIUM)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(180), run)
        .await
        .expect("Lighthouse ends within 3 minutes")
        .expect("running Lighthouse");
    assert!(
        out.status.success(),
        "lighthouse {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("Lighthouse JSON");
    let metric = |id: &str| {
        report["audits"][id]["numericValue"]
            .as_f64()
            .unwrap_or_else(|| panic!("{id} in Lighthouse's report of {url}"))
    };
    (
        metric("first-contentful-paint"),
        metric("largest-contentful-paint"),
    )
}
