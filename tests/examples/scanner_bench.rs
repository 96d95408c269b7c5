//! The scanner's benchmark (not a test): N fixture portals served on 127.0.0.1 (HTTP and
//! HTTPS, a CA made here), registered in a scratch database of the test ClickHouse, their tag
//! pointing at a real `emc-collector`, scanned by `emc-scanner scan --no-store` — HTTP/HTML
//! checks for all of them, then the browser checks for the first `BROWSER_SITES`. Prints wall
//! time, sites per second and the peak memory (PSS and summed RSS) of the scanner and its
//! children (Chromium included), sampled from /proc every 100 ms.
//!
//! The scanner measured is the one built with the same profile as this example:
//! `cargo build --bins && cargo build --release -p emc-scanner &&
//!  cargo run --release -p emc-e2e --example scanner_bench -- 1000 60`
use emc_e2e::sites::{Fixtures, Page, Site, TestCa};
use emc_sql::registry::{self, AgencyGroup, NewAgency, SiteKind};
use std::time::Instant;

fn portal(i: usize, collector: &str) -> Site {
    let domain = format!("p{i}.gov.vn");
    let dc = r#"<meta name="DC.Title" content="T"><meta name="DC.Creator" content="C"><meta name="DC.Date" content="2026-01-01"><meta name="DC.Publisher" content="P"><meta name="DC.Description" content="D"><meta name="DC.Identifier" content="I">"#;
    let home = format!(
        r#"<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Cổng {i}</title>{dc}<script defer data-site="{i}" src="{collector}/tracker.js"></script></head><body><main><h1>Cổng {i}</h1><a href="/a">A</a> <a href="/b">B</a><p data-emc-label>Đã kết nối EMC</p></main><footer>Cổng {i}. Địa chỉ: 1 Phố A. ĐT: 024 3823 4567. lienhe@p{i}.gov.vn</footer></body></html>"#
    );
    let inner = format!(
        r#"<!doctype html><html lang="vi"><head><title>x</title>{dc}</head><body><p>x</p></body></html>"#
    );
    let mut s = Site::new(&domain)
        .page("/", Page::html(home))
        .page("/a", Page::html(inner.clone()))
        .page("/b", Page::html(inner))
        .page(
            "/robots.txt",
            Page::typed("User-agent: *\nAllow: /\n", "text/plain"),
        );
    s.redirect_http = true;
    s
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sites = args.first().copied().unwrap_or(1000);
    let browser_sites = args.get(1).copied().unwrap_or(60).min(sites);
    let db = emc_sql::testing::test_db("scanner_bench").await;
    let service = emc_e2e::Collector::start(&db, &[]).await;
    let collector = service.base.as_str();
    registry::add_agency(
        &db,
        NewAgency {
            id: "bench".into(),
            name: "Bench".into(),
            group: AgencyGroup::Other,
            parent: None,
        },
    )
    .await
    .unwrap();
    // One insert for the whole fleet (add_site re-reads the registry for each site).
    let rows: Vec<emc_sql::registry::SiteRow> = (0..sites)
        .map(|i| emc_sql::registry::SiteRow {
            code: i.to_string(),
            name: format!("Cổng {i}"),
            domains: vec![format!("p{i}.gov.vn")],
            kind: SiteKind::Portal.as_str().into(),
            agency: "bench".into(),
            version: 1,
            ..Default::default()
        })
        .collect();
    let mut insert = db
        .client()
        .insert::<emc_sql::registry::SiteRow>("sites")
        .await
        .unwrap();
    for r in &rows {
        insert.write(r).await.unwrap();
    }
    insert.end().await.unwrap();
    let ca = TestCa::new();
    let web = Fixtures::start(&ca, (0..sites).map(|i| portal(i, collector)).collect()).await;
    // Every host on one port pair: a rule per host would be too long for Chromium at 1,000
    // sites (the scanner refuses more than 32 KB of host rules).
    let connect_to = web.connect_to_every_host();
    let scanner = same_profile("emc-scanner");
    let run = |browser: bool, only: Vec<String>| {
        let mut cmd = tokio::process::Command::new(&scanner);
        cmd.arg("scan")
            .arg("--no-store")
            .arg("--json")
            .args(only.iter().flat_map(|c| ["--site".to_owned(), c.clone()]))
            .env("EMC_CLICKHOUSE_URL", db.url())
            .env("EMC_CLICKHOUSE_DB", db.database())
            .env("EMC_SCANNER_CONNECT_TO", &connect_to)
            .env("EMC_SCANNER_EXTRA_CA", &ca.pem_path)
            .env("EMC_COLLECTOR_PUBLIC_URL", collector)
            .env("EMC_SCANNER_BROWSER", browser.to_string())
            .env(
                "EMC_SCANNER_AXE",
                emc_e2e::workspace_root().join("scanner/js/node_modules/axe-core/axe.min.js"),
            )
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    };
    for (label, browser, only) in [
        ("http+html", false, Vec::new()),
        (
            "browser",
            true,
            (0..browser_sites).map(|i| i.to_string()).collect(),
        ),
    ] {
        let started = Instant::now();
        let child = run(browser, only).spawn().unwrap();
        let pid = child.id().unwrap() as i32;
        let peak = tokio::spawn(peak_memory_kib(pid));
        let out = child.wait_with_output().await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let scanned = String::from_utf8_lossy(&out.stdout).lines().count();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (rss, pss) = peak.await.unwrap();
        println!(
            "{label}: {scanned} sites in {elapsed:.1} s ({:.2} sites/s), peak memory (scanner + children) PSS {} MiB, summed RSS {} MiB; load average {}",
            scanned as f64 / elapsed,
            pss / 1024,
            rss / 1024,
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        );
        println!("  not passing: {}", not_passing(&out.stdout));
    }
}

/// `check outcome × count (e.g. the first detail)` of the results that are neither `pass` nor
/// `n/a`: the portals lack HSTS, security headers and a sitemap; anything else (a timeout, a
/// tag that did not fire) is the scanner or the machine struggling.
fn not_passing(stdout: &[u8]) -> String {
    let mut counts = std::collections::BTreeMap::<(String, String), (usize, String)>::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let scan: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        for c in scan["checks"].as_array().into_iter().flatten() {
            let outcome = c["outcome"].as_str().unwrap_or_default();
            if outcome != "pass" && outcome != "n/a" {
                let key = (
                    c["check"].as_str().unwrap_or_default().to_owned(),
                    outcome.to_owned(),
                );
                let e = counts
                    .entry(key)
                    .or_insert_with(|| (0, c["detail"].as_str().unwrap_or_default().to_owned()));
                e.0 += 1;
            }
        }
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|((check, outcome), (n, detail))| format!("{check} {outcome} ×{n} (e.g. {detail})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `name` built with this example's profile (`target/release/emc-scanner` under `--release`).
fn same_profile(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the example's path");
    let dir = exe
        .parent()
        .and_then(|examples| examples.parent())
        .expect("target/<profile>/examples");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build it with the same profile (cargo build --release -p emc-scanner)",
        path.display()
    );
    path
}

/// Peak memory of the scanner and its children (Chromium's processes), sampled every 100 ms
/// until it exits, in KiB: (summed RSS, summed PSS). RSS counts the pages Chromium's processes
/// share once per process; PSS (`/proc/PID/smaps_rollup`) divides each shared page among its
/// sharers, so its sum is the memory the tree really holds.
async fn peak_memory_kib(pid: i32) -> (u64, u64) {
    let field = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (mut peak_rss, mut peak_pss) = (0, 0);
    loop {
        let (mut rss, mut pss) = (0, 0);
        let mut todo = vec![pid];
        let mut alive = false;
        while let Some(p) = todo.pop() {
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) {
                alive |= p == pid;
                rss += field(&status, "VmRSS:");
            }
            if let Ok(rollup) = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")) {
                pss += field(&rollup, "Pss:");
            }
            if let Ok(children) = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")) {
                todo.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<i32>().ok()),
                );
            }
        }
        peak_rss = peak_rss.max(rss);
        peak_pss = peak_pss.max(pss);
        if !alive {
            return (peak_rss, peak_pss);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
