//! The stats, breakdown and time-series API against truth computed here from a known set of
//! visits: day 1 sent as live beacons (the collector's pipeline, controlled clock), day 2
//! imported as an access log. Filtered views against the truth of their subset.
use crate::support::*;
use chrono::{TimeZone, Utc};
use emc_collector::beacon::{Meta, Timing};
use emc_collector::config::ImportConfig;
use emc_collector::pipeline::{Hit, Origin};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// (client ip, user agent, region the test geo database gives it)
const VISITORS: [(&str, &str, &str); 4] = [
    ("14.160.1.1", CHROME, "Hanoi"),
    ("14.176.1.1", IPHONE, "Phu Tho"),
    ("8.8.8.8", FIREFOX, "California"),
    ("14.160.2.2", FIREFOX, "Hanoi"),
];

/// Day 1 (2026-03-02, from 08:00 local): (visitor, seconds, name, path, query, referrer, source if it opens a visit)
const BEACONS: &[(usize, i64, &str, &str, &str, &str, &str)] = &[
    (
        0,
        0,
        "pageview",
        "/",
        "",
        "https://www.google.com.vn/search?q=cong",
        "organic",
    ),
    (
        0,
        60,
        "pageview",
        "/tin-tuc",
        "",
        "https://portal.gov.vn/",
        "",
    ),
    (0, 90, "engagement", "/tin-tuc", "", "", ""),
    (
        1,
        100,
        "pageview",
        "/",
        "?utm_source=zalo&utm_campaign=tet",
        "https://zalo.me/",
        "campaign",
    ),
    (
        2,
        200,
        "pageview",
        "/",
        "",
        "https://www.facebook.com/",
        "social",
    ),
    (2, 300, "pageview", "/a", "", "https://portal.gov.vn/", ""),
    (2, 400, "pageview", "/b", "", "https://portal.gov.vn/", ""),
    (0, 4000, "pageview", "/lien-he", "", "", "direct"),
    (
        3,
        4200,
        "pageview",
        "/van-ban",
        "",
        "https://baomoi.com/x",
        "referral",
    ),
    (
        3,
        4300,
        "pageview",
        "/tin-tuc",
        "",
        "https://portal.gov.vn/",
        "",
    ),
];

/// Day 2 (2026-03-03), an access log: (visitor, local time, path, referrer, source if it opens a visit)
const LOG: &[(usize, &str, &str, &str, &str)] = &[
    (
        0,
        "08:00:00",
        "/",
        "https://www.google.com.vn/search?q=x",
        "organic",
    ),
    (0, "08:05:00", "/tin-tuc", "https://portal.gov.vn/", ""),
    (
        2,
        "09:00:00",
        "/van-ban",
        "https://coccoc.com/search?query=van+ban",
        "organic",
    ),
    (1, "10:00:00", "/lien-he", "-", "direct"),
];

/// One hit of the scenario, as the truth sees it.
struct TruthHit {
    day: &'static str,
    visitor: usize,
    at: i64,
    pageview: bool,
    path: &'static str,
    source: &'static str,
}

#[derive(Debug, Clone)]
pub struct Visit {
    pub day: &'static str,
    pub visitor: usize,
    pub start: i64,
    pub last: i64,
    pub source: &'static str,
    pub pages: Vec<&'static str>, // page views in order
    pub hits: Vec<&'static str>,  // paths of every hit
}

fn hits() -> Vec<TruthHit> {
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .unwrap()
        .timestamp();
    let mut out: Vec<TruthHit> = BEACONS
        .iter()
        .map(|&(v, at, name, path, _, _, source)| TruthHit {
            day: "2026-03-02",
            visitor: v,
            at: t0 + at,
            pageview: name == "pageview",
            path,
            source,
        })
        .collect();
    for &(v, time, path, _, source) in LOG {
        let local = chrono::NaiveDateTime::parse_from_str(
            &format!("2026-03-03 {time}"),
            "%Y-%m-%d %H:%M:%S",
        )
        .unwrap();
        let at = local.and_utc().timestamp() - 7 * 3600;
        out.push(TruthHit {
            day: "2026-03-03",
            visitor: v,
            at,
            pageview: true,
            path,
            source,
        });
    }
    out
}

/// Visits from the hits alone: per visitor and day, split at gaps over 30 minutes; an
/// engagement never opens a visit.
pub fn visits() -> Vec<Visit> {
    let hits = hits();
    let mut out: Vec<Visit> = vec![];
    let keys: BTreeSet<(&str, usize)> = hits.iter().map(|h| (h.day, h.visitor)).collect();
    for (day, v) in keys {
        let mut open: Option<Visit> = None;
        for h in hits.iter().filter(|h| h.day == day && h.visitor == v) {
            match open.as_mut() {
                Some(o) if h.at - o.last <= 1800 => {
                    o.last = h.at;
                    o.hits.push(h.path);
                    if h.pageview {
                        o.pages.push(h.path);
                    }
                }
                _ if !h.pageview => {}
                _ => {
                    out.extend(open.take());
                    open = Some(Visit {
                        day,
                        visitor: v,
                        start: h.at,
                        last: h.at,
                        source: h.source,
                        pages: vec![h.path],
                        hits: vec![h.path],
                    });
                }
            }
        }
        out.extend(open);
    }
    out
}

/// The expected `/api/v1/stats` figures for the visits `keep` selects (and, with `page`,
/// only that page's hits and page views).
fn expected(keep: &dyn Fn(&Visit) -> bool, page: Option<&str>) -> Value {
    let vs: Vec<Visit> = visits()
        .into_iter()
        .filter(|v| keep(v) && page.is_none_or(|p| v.pages.contains(&p)))
        .collect();
    let n = vs.len() as i64;
    let bounces = vs.iter().filter(|v| v.pages.len() == 1).count() as i64;
    let duration: i64 = vs.iter().map(|v| v.last - v.start).sum();
    let on_page = |p: &str| page.is_none_or(|x| x == p);
    let pageviews: i64 = vs
        .iter()
        .map(|v| v.pages.iter().filter(|p| on_page(p)).count() as i64)
        .sum();
    let hits: i64 = vs
        .iter()
        .map(|v| v.hits.iter().filter(|p| on_page(p)).count() as i64)
        .sum();
    let visitors = vs
        .iter()
        .map(|v| (v.day, v.visitor))
        .collect::<BTreeSet<_>>()
        .len() as i64;
    let mut sources: BTreeMap<&str, i64> = ["direct", "organic", "social", "referral", "campaign"]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    for v in &vs {
        *sources.get_mut(v.source).unwrap() += 1;
    }
    let rate = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    serde_json::json!({
        "visits": n, "sessions": n, "pageviews": pageviews, "visitors": visitors, "bounces": bounces,
        "bounce_rate": rate(bounces, n), "avg_session_duration": rate(duration, n), "hits": hits, "sources": sources,
    })
}

/// Loads the scenario into a fresh database through the collector; returns the dashboard, an
/// admin token and the database.
pub async fn load(test: &str) -> (axum::Router, String, emc_sql::Db) {
    let db = emc_sql::testing::test_db(test).await;
    registry_fixture(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let app = emc_collector::App::start(&common(&db, dir.path()), &serve_config(), db.clone())
        .await
        .unwrap();
    // The collector's idle-session sweeper ticks at once on start, with the wall clock: let
    // that first tick pass before the March beacons go in, or a busy machine may run it in the
    // middle of the loop, evict open sessions and split visits (the next tick is 30 s away).
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    for &(v, at, name, path, query, referrer, _) in BEACONS {
        let hit = Hit {
            site: "227".into(),
            name: name.into(),
            url: format!("https://portal.gov.vn{path}{query}"),
            referrer: (!referrer.is_empty()).then(|| referrer.to_owned()),
            title: Some("Trang".into()),
            screen_width: Some(1280),
            engaged_ms: None,
            timing: Timing::default(),
            meta: Meta::default(),
            props: vec![],
            client_ip: VISITORS[v].0.parse().unwrap(),
            user_agent: VISITORS[v].1.into(),
            time: t0 + chrono::Duration::seconds(at),
            origin: Origin::Beacon,
            fields: Default::default(),
        };
        let accepted = app.state.ingest.offline(hit).await.unwrap();
        assert!(
            matches!(accepted, emc_collector::ingest::Accepted::Stored { .. }),
            "{accepted:?}"
        );
    }
    app.shutdown().await;
    let log: String = LOG
        .iter()
        .map(|&(v, time, path, referrer, _)| {
            format!("{} - - [03/Mar/2026:{time} +0700] \"GET {path} HTTP/1.1\" 200 512 \"{referrer}\" \"{}\"\n", VISITORS[v].0, VISITORS[v].1)
        })
        .collect();
    let file = dir.path().join("access.log");
    std::fs::write(&file, log).unwrap();
    let cfg = ImportConfig {
        site: "227".into(),
        format: "combined".into(),
        files: vec![file],
    };
    let summary = emc_collector::import::run(&common(&db, dir.path()), &cfg, db.clone())
        .await
        .unwrap();
    assert_eq!(summary.accepted, LOG.len() as u64);
    user(&db, "admin", "admin", &[]).await;
    let router = dashboard(&db);
    let token = api_token(&router, "admin").await;
    (router, token, db)
}

fn assert_stats(got: &Value, want: &Value, what: &str) {
    for k in [
        "visits",
        "sessions",
        "pageviews",
        "visitors",
        "hits",
        "sources",
    ] {
        assert_eq!(got[k], want[k], "{what}: {k}\n got {got}\nwant {want}");
    }
    for k in ["bounce_rate", "avg_session_duration"] {
        let (g, w) = (got[k].as_f64().unwrap(), want[k].as_f64().unwrap());
        assert!((g - w).abs() < 1e-9, "{what}: {k} {g} != {w}");
    }
}

pub const RANGE: &str = "site=227&from=2026-03-02&to=2026-03-03";

#[tokio::test]
async fn stats_breakdowns_and_series_match_the_truth() {
    let (router, token, _db) = load("dash_stats").await;
    let all = |_: &Visit| true;
    assert_eq!(
        expected(&all, None)["visits"],
        8,
        "the truth itself: 5 visits on day 1, 3 on day 2"
    );

    // Over the range and by day.
    let r = get(&router, &format!("/api/v1/stats?{RANGE}"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_stats(&r.json(), &expected(&all, None), "range");
    for day in ["2026-03-02", "2026-03-03"] {
        let r = get(
            &router,
            &format!("/api/v1/stats?site=227&from={day}&to={day}"),
            &token,
        )
        .await;
        assert_stats(&r.json(), &expected(&|v: &Visit| v.day == day, None), day);
    }

    // Filtered views against the truth of their subset.
    type Case<'a> = (&'a str, Box<dyn Fn(&Visit) -> bool>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "filter=source:organic",
            Box::new(|v: &Visit| v.source == "organic"),
            None,
        ),
        (
            "filter=region:Hanoi",
            Box::new(|v: &Visit| VISITORS[v.visitor].2 == "Hanoi"),
            None,
        ),
        ("filter=page:/tin-tuc", Box::new(all), Some("/tin-tuc")),
        (
            "filter=entry_page:/&filter=region:Hanoi",
            Box::new(|v: &Visit| v.pages[0] == "/" && VISITORS[v.visitor].2 == "Hanoi"),
            None,
        ),
        (
            "filter=exit_page:/tin-tuc",
            Box::new(|v: &Visit| v.pages.last() == Some(&"/tin-tuc")),
            None,
        ),
    ];
    for (q, keep, page) in &cases {
        let r = get(&router, &format!("/api/v1/stats?{RANGE}&{q}"), &token).await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        assert_stats(&r.json(), &expected(keep.as_ref(), *page), q);
    }

    // Breakdowns: pages, entry and exit pages, sources.
    let vs = visits();
    let mut pages: BTreeMap<&str, (i64, i64)> = BTreeMap::new(); // page -> (page views, visits that viewed it)
    let mut entries: BTreeMap<&str, (i64, i64)> = BTreeMap::new(); // entry -> (visits, bounces)
    let mut exits: BTreeMap<&str, i64> = BTreeMap::new();
    let mut sources: BTreeMap<&str, i64> = BTreeMap::new();
    for v in &vs {
        for p in &v.pages {
            pages.entry(p).or_default().0 += 1;
        }
        for p in v.pages.iter().collect::<BTreeSet<_>>() {
            pages.entry(p).or_default().1 += 1;
        }
        let e = entries.entry(v.pages[0]).or_default();
        e.0 += 1;
        e.1 += i64::from(v.pages.len() == 1);
        *exits.entry(v.pages.last().unwrap()).or_default() += 1;
        *sources.entry(v.source).or_default() += 1;
    }
    let rows = |by: &str| {
        let router = router.clone();
        let token = token.clone();
        let by = by.to_owned();
        async move {
            let r = get(
                &router,
                &format!("/api/v1/breakdown?{RANGE}&by={by}&limit=100"),
                &token,
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.json().as_array().unwrap().clone()
        }
    };
    let got = rows("page").await;
    assert_eq!(got.len(), pages.len());
    for row in &got {
        let (pv, visits) = pages[row["key"].as_str().unwrap()];
        assert_eq!(
            (
                row["pageviews"].as_i64().unwrap(),
                row["visits"].as_i64().unwrap()
            ),
            (pv, visits),
            "{row}"
        );
    }
    let got = rows("entry_page").await;
    assert_eq!(got.len(), entries.len());
    for row in &got {
        let (visits, bounces) = entries[row["key"].as_str().unwrap()];
        assert_eq!(row["visits"].as_i64().unwrap(), visits, "{row}");
        assert!(
            (row["bounce_rate"].as_f64().unwrap() - bounces as f64 / visits as f64).abs() < 1e-9,
            "{row}"
        );
    }
    let got: BTreeMap<String, i64> = rows("exit_page")
        .await
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["visits"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        exits.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    );
    let got: BTreeMap<String, i64> = rows("source")
        .await
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_owned(),
                r["visits"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        sources.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    );

    // Time series by day.
    let r = get(
        &router,
        &format!("/api/v1/timeseries?{RANGE}&interval=day"),
        &token,
    )
    .await;
    let series = r.json();
    let series = series.as_array().unwrap();
    assert_eq!(series.len(), 2);
    for p in series {
        let day = p["t"].as_str().unwrap().to_owned();
        let want = expected(&|v: &Visit| v.day == day, None);
        assert_eq!(
            (&p["visits"], &p["pageviews"], &p["visitors"]),
            (&want["visits"], &want["pageviews"], &want["visitors"]),
            "{day}"
        );
    }
    // …and filtered (read from the raw tables).
    let r = get(
        &router,
        &format!("/api/v1/timeseries?{RANGE}&interval=day&filter=source:organic"),
        &token,
    )
    .await;
    for p in r.json().as_array().unwrap() {
        let day = p["t"].as_str().unwrap().to_owned();
        let want = expected(&|v: &Visit| v.day == day && v.source == "organic", None);
        assert_eq!(
            (&p["visits"], &p["pageviews"], &p["visitors"]),
            (&want["visits"], &want["pageviews"], &want["visitors"]),
            "organic {day}"
        );
    }

    // The CSV export carries the same numbers.
    let r = get(
        &router,
        &format!("/api/v1/export.csv?report=stats&{RANGE}"),
        &token,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.headers[axum::http::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let want = expected(&all, None);
    assert!(
        r.body.contains(&format!("visits,{}\r\n", want["visits"])),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(&format!("pageviews,{}\r\n", want["pageviews"])),
        "{}",
        r.body
    );
    let r = get(
        &router,
        &format!("/api/v1/export.csv?report=breakdown&by=page&{RANGE}"),
        &token,
    )
    .await;
    assert!(
        r.body
            .starts_with("page,visits,visitors,pageviews,bounce_rate\r\n"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(&format!("/tin-tuc,{},", pages["/tin-tuc"].1)),
        "{}",
        r.body
    );

    // The previous period is beside it: the day before day 1 is empty, day 1 is day 2's previous.
    let r = get(
        &router,
        "/api/v1/stats?site=227&from=2026-03-03&to=2026-03-03&compare=true",
        &token,
    )
    .await;
    assert_stats(
        &r.json()["previous"],
        &expected(&|v: &Visit| v.day == "2026-03-02", None),
        "previous",
    );

    // The site page renders with its chart.
    let (cookie, _) = browser_login(&router, "admin").await;
    let page = get_page(
        &router,
        "/sites/227?from=2026-03-02&to=2026-03-03&filter=source:organic",
        &cookie,
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<svg role=\"img\""),
        "the chart SVG is inline"
    );
    assert!(page.body.contains("Lượt truy cập") && page.body.contains("Tìm kiếm tự nhiên"));
    assert!(page.headers[axum::http::header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let overview = get_page(
        &router,
        "/?from=2026-03-02&to=2026-03-03&sort=visits&dir=desc",
        &cookie,
    )
    .await;
    assert_eq!(overview.status, 200);
    assert!(overview.body.contains("Cổng 227"));
}
