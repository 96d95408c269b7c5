//! Compliance shares, failing pages and connection health against crafted rows; the truth is
//! computed here from the same crafted list. Also: every query of the ranking, compliance,
//! health and retention modules runs on 18.16 and on ClickHouse 26.9 (chdb-core).
use chrono::{NaiveDate, NaiveDateTime};
use emc_dashboard::compliance::DC_ELEMENTS;
use emc_dashboard::health;
use emc_dashboard::params::Range;
use emc_dashboard::reports;
use emc_sql::registry::SiteRow;
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use emc_sql::Db;

pub const TZ: chrono_tz::Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// Unix seconds of a UTC `YYYY-MM-DD HH:MM:SS`.
pub fn ts(s: &str) -> u32 {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp() as u32
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn range(from: &str, to: &str) -> Range {
    Range {
        from: day(from),
        to: day(to),
        tz: TZ,
    }
}

pub async fn insert_events(db: &Db, rows: &[EventRow]) {
    let mut ins = db.client().insert::<EventRow>("events").await.unwrap();
    for r in rows {
        ins.write(r).await.unwrap();
    }
    ins.end().await.unwrap();
}

pub async fn insert_sessions(db: &Db, rows: &[SessionRow]) {
    let mut ins = db.client().insert::<SessionRow>("sessions").await.unwrap();
    for r in rows {
        ins.write(r).await.unwrap();
    }
    ins.end().await.unwrap();
}

pub fn site_row(code: &str, domains: &[&str]) -> SiteRow {
    SiteRow {
        code: code.into(),
        name: format!("Cổng {code}"),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        kind: "portal".into(),
        ..SiteRow::default()
    }
}

/// A page view: (site, UTC time, path, https, label, DC elements).
fn pageview(site: &str, at: &str, path: &str, https: bool, label: bool, dc: &[&str]) -> EventRow {
    EventRow {
        site: site.into(),
        timestamp: ts(at),
        name: "pageview".into(),
        session_id: 1,
        visitor_id: 1,
        pathname: path.into(),
        is_https: u8::from(https),
        emc_label: u8::from(label),
        dc_elements: dc.iter().map(|s| s.to_string()).collect(),
        ..EventRow::default()
    }
}

/// An engagement hit carrying timings [fcp, lcp, load, response] (0 = not reported).
fn load(site: &str, at: &str, path: &str, t: [u32; 4]) -> EventRow {
    EventRow {
        site: site.into(),
        timestamp: ts(at),
        name: "engagement".into(),
        session_id: 1,
        visitor_id: 1,
        pathname: path.into(),
        fcp: t[0],
        lcp: t[1],
        load: t[2],
        response: t[3],
        ..EventRow::default()
    }
}

pub fn scenario() -> Vec<EventRow> {
    let all = &DC_ELEMENTS[..];
    let no_id = &DC_ELEMENTS[..5];
    vec![
        pageview("101", "2025-03-10 03:00:00", "/a", true, true, all),
        pageview("101", "2025-03-10 03:01:00", "/a", true, true, all),
        pageview("101", "2025-03-11 03:00:00", "/a", true, true, no_id),
        pageview("101", "2025-03-12 03:00:00", "/a", true, false, no_id),
        pageview("101", "2025-03-12 04:00:00", "/b", false, false, all),
        pageview("101", "2025-03-13 04:00:00", "/b", false, false, all),
        load("101", "2025-03-10 03:00:30", "/a", [1000, 3000, 5000, 100]),
        load("101", "2025-03-10 03:01:30", "/a", [2000, 0, 5799, 599]),
        load("101", "2025-03-11 03:00:30", "/a", [2999, 4000, 5800, 600]),
        load("101", "2025-03-12 03:00:30", "/a", [3000, 3999, 0, 0]),
        load("101", "2025-03-12 03:00:40", "/a", [5000, 9000, 1000, 0]),
        // not a measured page load (no FCP), a custom event, and hits outside the range
        load("101", "2025-03-12 03:00:50", "/a", [0, 1000, 1000, 10]),
        EventRow {
            name: "download".into(),
            ..pageview("101", "2025-03-12 03:00:55", "/a", false, false, &[])
        },
        pageview("101", "2025-04-05 03:00:00", "/a", false, false, &[]),
        load("101", "2025-02-27 03:00:00", "/a", [9000, 9000, 9000, 9000]),
        pageview("102", "2025-03-15 03:00:00", "/", true, false, &[]),
    ]
}

/// ClickHouse's `quantile`: linear interpolation at `level × (n − 1)` of the sorted sample.
fn p75(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let h = 0.75 * (xs.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo]))
}

#[tokio::test]
async fn compliance_shares_and_failing_pages_match_the_crafted_beacons() {
    let db = emc_sql::testing::test_db("compliance_shares").await;
    let rows = scenario();
    insert_events(&db, &rows).await;
    let march = range("2025-03-01", "2025-03-31");
    let sites = [
        site_row("101", &["a.gov.vn", "www.a.gov.vn"]),
        site_row("102", &["b.com.vn"]),
    ];

    // The truth, from the crafted list.
    let (lo, hi) = (march.start_ts(), march.end_ts());
    let in_range: Vec<&EventRow> = rows
        .iter()
        .filter(|r| r.timestamp >= lo && r.timestamp < hi)
        .collect();
    let of = |site: &str| {
        in_range
            .iter()
            .copied()
            .filter(|r| r.site == site)
            .collect::<Vec<_>>()
    };
    let s101 = of("101");
    let pvs: Vec<&EventRow> = s101
        .iter()
        .copied()
        .filter(|r| r.name == "pageview")
        .collect();
    let loads: Vec<&EventRow> = s101
        .iter()
        .copied()
        .filter(|r| r.name == "engagement" && r.fcp > 0)
        .collect();
    let thresholds = [3000, 4000, 5800, 600];
    let pick = |r: &EventRow, i: usize| [r.fcp, r.lcp, r.load, r.response][i];

    let got = reports::compliance::by_site(&db, &sites, &march)
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    let c = &got[0];
    assert_eq!(c.site, "101");
    assert_eq!(c.page_loads, loads.len() as u64);
    for (i, threshold) in thresholds.iter().enumerate() {
        let measured: Vec<u32> = loads
            .iter()
            .map(|r| pick(r, i))
            .filter(|v| *v > 0)
            .collect();
        let ok = measured.iter().filter(|v| *v < threshold).count() as u64;
        let t = &c.timings[i];
        assert_eq!(
            (t.measured, t.meeting),
            (measured.len() as u64, ok),
            "{}",
            t.name
        );
        assert_eq!(
            t.share,
            Some(ok as f64 / measured.len() as f64),
            "{}",
            t.name
        );
        assert_eq!(
            t.p75_ms,
            p75(measured.iter().map(|v| f64::from(*v)).collect()),
            "{}",
            t.name
        );
    }
    let n = pvs.len() as u64;
    let count = |f: &dyn Fn(&EventRow) -> bool| pvs.iter().filter(|r| f(r)).count() as u64;
    let dc = count(&|r| {
        DC_ELEMENTS
            .iter()
            .all(|e| r.dc_elements.iter().any(|x| x == e))
    });
    assert_eq!(
        (c.pageviews, c.dc_complete, c.dc_share),
        (n, dc, Some(dc as f64 / n as f64))
    );
    let label = count(&|r| r.emc_label == 1);
    assert_eq!(
        (c.labelled, c.label_seen, c.label_share),
        (label, true, Some(label as f64 / n as f64))
    );
    let https = count(&|r| r.is_https == 1);
    assert_eq!(
        (c.https, c.https_share),
        (https, Some(https as f64 / n as f64))
    );
    assert!(c.all_domains_gov_vn);
    // Hand-checked anchors of the same truth.
    assert_eq!(
        (
            c.pageviews,
            c.dc_complete,
            c.labelled,
            c.https,
            c.page_loads
        ),
        (6, 4, 3, 4, 5)
    );
    assert_eq!(c.timings[1].p75_ms, Some(5250.0));

    let b = &got[1];
    assert_eq!(
        (
            b.site.as_str(),
            b.page_loads,
            b.timings[0].share,
            b.label_seen,
            b.all_domains_gov_vn
        ),
        ("102", 0, None, false, false)
    );
    assert_eq!((b.pageviews, b.https_share), (1, Some(1.0)));

    // The fleet: both sites together.
    let fleet = reports::compliance::total(&db, &sites, &march)
        .await
        .unwrap();
    assert_eq!(
        (
            fleet.pageviews,
            fleet.page_loads,
            fleet.https,
            fleet.dc_complete
        ),
        (7, 5, 5, 4)
    );
    assert_eq!(fleet.timings[0].p75_ms, c.timings[0].p75_ms);
    assert_eq!(
        fleet
            .domains
            .iter()
            .filter(|d| !d.under_gov_vn)
            .map(|d| d.domain.as_str())
            .collect::<Vec<_>>(),
        ["b.com.vn"]
    );
    assert!(!fleet.all_domains_gov_vn);

    // Pages that fail most.
    let pages = reports::compliance::failing_pages(&db, &sites, &march, 10)
        .await
        .unwrap();
    let mut truth: Vec<(String, String, u64)> = Vec::new();
    for r in &in_range {
        let (slow, pv_fail) = match r.name.as_str() {
            "engagement" if r.fcp > 0 => (
                (0..4).any(|i| pick(r, i) > 0 && pick(r, i) >= thresholds[i]) as u64,
                0,
            ),
            "pageview" => {
                let missing = !DC_ELEMENTS
                    .iter()
                    .all(|e| r.dc_elements.iter().any(|x| x == e));
                (
                    0,
                    u64::from(missing) + u64::from(r.emc_label == 0) + u64::from(r.is_https == 0),
                )
            }
            _ => (0, 0),
        };
        match truth
            .iter_mut()
            .find(|t| t.0 == r.site && t.1 == r.pathname)
        {
            Some(t) => t.2 += slow + pv_fail,
            None => truth.push((r.site.clone(), r.pathname.clone(), slow + pv_fail)),
        }
    }
    truth.retain(|t| t.2 > 0);
    truth.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then_with(|| a.0.cmp(&b.0))
            .then_with(|| a.1.cmp(&b.1))
    });
    let got_pages: Vec<(String, String, u64)> = pages
        .iter()
        .map(|p| (p.site.clone(), p.pathname.clone(), p.failures()))
        .collect();
    assert_eq!(got_pages, truth);
    assert_eq!(got_pages[0], ("101".to_owned(), "/a".to_owned(), 6));
    assert_eq!(
        (
            pages[0].slow_loads,
            pages[0].missing_dc,
            pages[0].unlabelled,
            pages[0].insecure
        ),
        (3, 2, 1, 0)
    );
    assert_eq!(
        reports::compliance::failing_pages(&db, &sites, &march, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    // No sites: zeros, without sending an untyped empty array.
    let none = reports::compliance::total(&db, &[], &march).await.unwrap();
    assert_eq!(
        (none.pageviews, none.page_loads, none.dc_share),
        (0, 0, None)
    );
    assert!(reports::compliance::failing_pages(&db, &[], &march, 10)
        .await
        .unwrap()
        .is_empty());
}

pub fn log(site: &str, at: &str, status: u16, reason: &str) -> ConnectionLogRow {
    ConnectionLogRow {
        received_at: ts(at),
        site: site.into(),
        endpoint: "/api/event".into(),
        status,
        reason: reason.into(),
        count: 1,
        ..ConnectionLogRow::default()
    }
}

#[tokio::test]
async fn silent_sites_and_rejections_with_a_fixed_clock() {
    let db = emc_sql::testing::test_db("connection_health").await;
    let now = ts("2025-03-20 12:00:00");
    let rows = [
        log("101", "2025-03-20 11:00:00", 202, "ok"),
        log("101", "2025-03-18 11:00:00", 202, "ok"),
        // Six refusals of one minute, counted by the collector into one row.
        ConnectionLogRow {
            count: 6,
            ..log("101", "2025-03-20 11:30:00", 403, "hostname_mismatch")
        },
        log("101", "2025-03-19 11:30:00", 403, "hostname_mismatch"),
        log("101", "2025-03-19 11:40:00", 202, "bot:crawler"),
        log("102", "2025-03-18 12:00:00", 202, "ok"),
        log("102", "2025-03-20 11:59:00", 400, "malformed"), // heard, but nothing accepted since
        log("999", "2025-03-19 10:00:00", 404, "unknown_site"),
        log("104", "2025-01-01 10:00:00", 202, "ok"), // before the look-back window
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
    let sites = [
        site_row("101", &["a.gov.vn"]),
        site_row("102", &["b.gov.vn"]),
        site_row("103", &["c.gov.vn"]),
        site_row("104", &["d.gov.vn"]),
    ];

    let h = reports::health::connection_health(&db, &sites, now, health::DEFAULT_SILENCE_SECS, 30)
        .await
        .unwrap();
    let got: Vec<(&str, Option<u32>, bool)> = h
        .iter()
        .map(|x| (x.site.as_str(), x.last_seen, x.silent))
        .collect();
    assert_eq!(
        got,
        vec![
            ("101", Some(ts("2025-03-20 11:00:00")), false),
            ("102", Some(ts("2025-03-18 12:00:00")), true),
            ("103", None, true),
            ("104", None, true)
        ]
    );
    assert_eq!(h[1].silent_for_secs, Some(2 * 86_400));
    // A 3-day threshold forgives 102.
    let lenient = reports::health::connection_health(&db, &sites, now, 3 * 86_400, 30)
        .await
        .unwrap();
    assert!(!lenient[1].silent);
    let silent: Vec<String> = health::silent_sites(&h)
        .into_iter()
        .map(|x| x.site)
        .collect();
    assert_eq!(silent, ["103", "104", "102"]);

    let rej = reports::health::rejections(&db, &range("2025-03-01", "2025-03-31"))
        .await
        .unwrap();
    let by = |s: &str| rej.iter().find(|r| r.site == s).unwrap();
    let a = by("101");
    // 2 accepted + 7 foreign hostname + 1 bot requests.
    assert_eq!((a.requests, a.rejected, a.share), (10, 8, Some(0.8)));
    assert_eq!(
        a.reasons,
        vec![
            ("hostname_mismatch".to_owned(), 7),
            ("bot:crawler".to_owned(), 1)
        ]
    );
    assert_eq!((by("102").requests, by("102").rejected), (2, 1));
    assert_eq!(
        (by("999").share, by("999").reasons[0].0.as_str()),
        (Some(1.0), "unknown_site")
    );
    assert!(rej.iter().all(|r| r.site != "104"), "outside the range");
}

#[tokio::test]
async fn module_queries_are_valid_on_18_16_and_on_current_clickhouse() {
    let db = emc_sql::testing::test_db("module_queries").await;
    let queries: Vec<(String, String)> = reports::catalog()
        .into_iter()
        .filter(|q| {
            ["ranking.", "compliance.", "health.", "retention."]
                .iter()
                .any(|m| q.name.starts_with(m))
        })
        .map(|q| (q.name.into_owned(), q.sql.into_owned()))
        .collect();
    assert!(queries.len() > 10, "{} module queries", queries.len());
    for (name, sql) in &queries {
        assert_eq!(sql.matches('?').count(), 0, "{name}: unbound placeholder");
        if let Err(e) = db.client().query(sql).execute().await {
            panic!("{name} fails on 18.16: {e}\n{sql}");
        }
    }
    let statements =
        emc_sql::migrate::render_all(&emc_sql::MigrateOptions::default(), "emc").unwrap();
    let spec = serde_json::json!({
        "statements": statements,
        "queries": queries.iter().map(|(n, s)| serde_json::json!({"name": n, "sql": s})).collect::<Vec<_>>(),
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("catalog.json");
    std::fs::write(&input, spec.to_string()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/check_modern_clickhouse.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&input)
        .output()
        .expect("python3");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report from chdb ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        report["failures"],
        serde_json::json!([]),
        "invalid on ClickHouse {}",
        report["engine"]
    );
    assert!(out.status.success());
}
