//! Ranking from scan results: a month of crafted `scan_checks` rows (two domains per portal,
//! every outcome, rows either side of the range's edges, checks the ranking does not read)
//! plus tag data for some sites; the label, metadata, domain, speed and security criteria are
//! recomputed here from the crafted list with the README's formula, for each source setting.
use crate::compliance::{insert_events, insert_sessions, range, ts};
use crate::ranking::visit;
use emc_dashboard::ranking::{self, Group, Method, RankingConfig, RankingRequest, Source};
use emc_dashboard::scope::Registry;
use emc_sql::registry::{AgencyRow, SiteRow};
use emc_sql::scan::ScanCheckRow;

fn site(code: &str, kind: &str, parent: &str, domains: &[&str]) -> SiteRow {
    SiteRow {
        code: code.into(),
        name: code.into(),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        kind: kind.into(),
        parent: parent.into(),
        agency: "bo".into(),
        ..SiteRow::default()
    }
}

/// 401: tag and scans, two domains; 402: silent, scans only; 403: tag only; 404: nothing;
/// 4011: a component of 401 with scans.
fn registry() -> Registry {
    Registry {
        agencies: vec![AgencyRow {
            id: "bo".into(),
            name: "bo".into(),
            group_kind: "ministry".into(),
            ..AgencyRow::default()
        }],
        sites: vec![
            site("401", "portal", "", &["a.gov.vn", "a-bo.vn"]),
            site("402", "portal", "", &["b.gov.vn"]),
            site("403", "portal", "", &["c.gov.vn"]),
            site("404", "portal", "", &["d.gov.vn"]),
            site("4011", "component", "401", &["cuc.a.gov.vn"]),
        ],
    }
}

const LABEL: &[&str] = &["label_visible"];
const SPEED: &[&str] = &["fcp", "lcp", "load", "ttfb"];
const SECURITY: &[&str] = &[
    "tls_valid",
    "https_redirect",
    "hsts",
    "security_headers",
    "mixed_content",
];
/// Read by the scanner, not by the ranking.
const OTHER: &[&str] = &["http", "robots", "tag_present"];

/// A small deterministic generator (the outcomes only need to be varied).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn row(site: &str, domain: &str, at: u32, check: &str, outcome: i8, value: &str) -> ScanCheckRow {
    ScanCheckRow {
        site: site.into(),
        domain: domain.into(),
        scanned_at: at,
        check: check.into(),
        outcome,
        value: value.into(),
        ..ScanCheckRow::default()
    }
}

/// One scan of one domain at `at`: every check the ranking reads and a few it does not.
fn scan(rows: &mut Vec<ScanCheckRow>, g: &mut Lcg, site: &str, domain: &str, at: u32) {
    for check in LABEL.iter().chain(SPEED).chain(SECURITY).chain(OTHER) {
        // pass, fail, error, n/a = 1..4, weighted towards pass and fail.
        let outcome = [1, 1, 1, 2, 2, 3, 4][g.next(7) as usize];
        rows.push(row(site, domain, at, check, outcome, "x"));
    }
    let gov = if domain.ends_with(".gov.vn") { 1 } else { 2 };
    rows.push(row(site, domain, at, "domain_gov_vn", gov, domain));
    let read = 1 + g.next(4);
    let complete = g.next(read + 1);
    let (outcome, value) = match g.next(6) {
        0 => (3, String::new()),
        _ => (
            if complete == read { 1 } else { 2 },
            format!("{complete}/{read}"),
        ),
    };
    rows.push(row(site, domain, at, "dc_complete", outcome, &value));
}

/// March 2025 in Asia/Ho_Chi_Minh (UTC+7): from 2025-02-28 17:00 UTC to 2025-03-31 17:00 UTC.
fn crafted() -> Vec<ScanCheckRow> {
    let mut g = Lcg(11);
    let mut rows = vec![];
    let first = ts("2025-02-28 17:00:00");
    let scanned: &[(&str, &[&str])] = &[
        ("401", &["a.gov.vn", "a-bo.vn"]),
        ("402", &["b.gov.vn"]),
        ("4011", &["cuc.a.gov.vn"]),
        ("999", &["z.gov.vn"]), // not registered in the group: never read
    ];
    for (site, domains) in scanned {
        for d in *domains {
            // Daily at 02:00 local, and at both edges of the range and just outside them.
            let mut times: Vec<u32> = (0..31).map(|k| first + 2 * 3600 + k * 86_400).collect();
            times.extend([
                first - 1,
                first,
                ts("2025-03-31 16:59:59"),
                ts("2025-03-31 17:00:00"),
            ]);
            for at in times {
                scan(&mut rows, &mut g, site, d, at);
            }
        }
    }
    rows
}

/// `100 × passing / (passing + failing)` of the checks in `checks`, each its own share, then
/// the mean of the shares that have results; pages for `dc_complete`.
fn scan_side(rows: &[ScanCheckRow], sites: &[&str], checks: &[&str]) -> Option<f64> {
    let (start, end) = (ts("2025-02-28 17:00:00"), ts("2025-03-31 17:00:00"));
    let mine = |c: &&ScanCheckRow| {
        sites.contains(&c.site.as_str()) && c.scanned_at >= start && c.scanned_at < end
    };
    let shares: Vec<f64> = checks
        .iter()
        .filter_map(|check| {
            let (mut ok, mut all) = (0u64, 0u64);
            for r in rows.iter().filter(mine).filter(|r| r.check == *check) {
                if !(r.outcome == 1 || r.outcome == 2) {
                    continue;
                }
                if *check == "dc_complete" {
                    let (c, n) = r.value.split_once('/').unwrap();
                    ok += c.parse::<u64>().unwrap();
                    all += n.parse::<u64>().unwrap();
                } else {
                    ok += u64::from(r.outcome == 1);
                    all += 1;
                }
            }
            (all > 0).then(|| 100.0 * ok as f64 / all as f64)
        })
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
}

/// The tag's data: visits of 401, 403 and 4011 in March (every page view over HTTPS, none
/// with the label or DC elements, no timings).
fn tag_pageviews(site: &str) -> u64 {
    match site {
        "401" => 5,
        "403" => 3,
        "4011" => 2,
        _ => 0,
    }
}

fn combine(src: Source, tag: Option<f64>, scan: Option<f64>) -> f64 {
    match (src, tag, scan) {
        (Source::Tag, t, _) => t.unwrap_or(0.0),
        (Source::Scan, _, s) => s.unwrap_or(0.0),
        (Source::Both, Some(t), Some(s)) => (t + s) / 2.0,
        (Source::Both, t, s) => t.or(s).unwrap_or(0.0),
    }
}

/// label, metadata, domain, speed, security of `member` (with `absorbed` sites' data).
fn expected(rows: &[ScanCheckRow], sites: &[&str], src: Source, reg: &Registry) -> [f64; 5] {
    let views: u64 = sites.iter().map(|s| tag_pageviews(s)).sum();
    let of_views = |n: u64| (views > 0).then(|| 100.0 * n as f64 / views as f64);
    let domains: Vec<&String> = reg
        .sites
        .iter()
        .filter(|s| sites.contains(&s.code.as_str()))
        .flat_map(|s| &s.domains)
        .collect();
    let gov = domains.iter().filter(|d| d.ends_with(".gov.vn")).count();
    let tag_domain = Some(100.0 * gov as f64 / domains.len() as f64);
    [
        combine(src, of_views(0), scan_side(rows, sites, LABEL)),
        combine(src, of_views(0), scan_side(rows, sites, &["dc_complete"])),
        combine(src, tag_domain, scan_side(rows, sites, &["domain_gov_vn"])),
        combine(src, None, scan_side(rows, sites, SPEED)),
        combine(src, of_views(views), scan_side(rows, sites, SECURITY)),
    ]
}

fn all(src: Source) -> RankingConfig {
    RankingConfig {
        sources: ranking::Sources {
            label: src,
            metadata: src,
            domain: src,
            speed: src,
            security: src,
        },
        ..RankingConfig::default()
    }
}

#[tokio::test]
async fn criteria_take_tag_data_scan_results_or_both() {
    let db = emc_sql::testing::test_db("ranking_scans").await;
    let rows = crafted();
    let mut ins = db
        .client()
        .insert::<ScanCheckRow>("scan_checks")
        .await
        .unwrap();
    for r in &rows {
        ins.write(r).await.unwrap();
    }
    ins.end().await.unwrap();
    let (mut sessions, mut events) = (vec![], vec![]);
    for (k, site) in ["401", "403", "4011"].into_iter().enumerate() {
        let (s, e) = visit(site, "2025-03-10", k as u64 + 1, tag_pageviews(site) as u32);
        sessions.push(s);
        events.extend(e);
    }
    insert_sessions(&db, &sessions).await;
    insert_events(&db, &events).await;

    let reg = registry();
    let mut req = RankingRequest {
        range: range("2025-03-01", "2025-03-31"),
        group: Group::Ministry,
        method: Method::Weighted,
        include_components: false,
        with_previous: false,
    };
    for include in [false, true] {
        req.include_components = include;
        for src in [Source::Both, Source::Tag, Source::Scan] {
            let r = ranking::compute(&db, &reg, &req, &all(src)).await.unwrap();
            assert_eq!(r.sites.len(), 4);
            for s in &r.sites {
                let mut sites = vec![s.site.as_str()];
                if include && s.site == "401" {
                    sites.push("4011");
                }
                let want = expected(&rows, &sites, src, &reg);
                let c = &s.criteria;
                let got = [c.label, c.metadata, c.domain, c.speed, c.security];
                for (k, (g, w)) in got.iter().zip(want).enumerate() {
                    assert!(
                        (g - w).abs() <= 0.005 + 1e-9,
                        "{} {src:?} components={include} criterion {k}: {g} vs {w}",
                        s.site
                    );
                }
            }
        }
    }

    // The silent site: no traffic, engagement or connection, yet ranked on what the scanner
    // saw — above 404, which has neither; with tag data only, the registry's domain is all.
    req.include_components = false;
    let r = ranking::compute(&db, &reg, &req, &RankingConfig::default())
        .await
        .unwrap();
    let silent = r.sites.iter().find(|s| s.site == "402").unwrap();
    let w = expected(&rows, &["402"], Source::Both, &reg);
    let score = (10.0 * w[0] + 10.0 * w[1] + 5.0 * w[2] + 10.0 * w[3] + 10.0 * w[4]) / 100.0;
    assert!(
        (silent.score - score).abs() <= 0.005 + 1e-9,
        "{} vs {score}",
        silent.score
    );
    assert!(w[0] > 0.0 && w[3] > 0.0 && w[4] > 0.0, "{w:?}");
    let nothing = r.sites.iter().find(|s| s.site == "404").unwrap();
    assert_eq!(nothing.score, 5.0, "domain only");
    assert!(silent.rank < nothing.rank);
    let tag_only = ranking::compute(&db, &reg, &req, &all(Source::Tag))
        .await
        .unwrap();
    let silent = tag_only.sites.iter().find(|s| s.site == "402").unwrap();
    assert_eq!(
        silent.score, 5.0,
        "tag only: the silent site has its domain"
    );
}
