//! A known set of visits through the pipeline with a controlled clock; the stored sessions
//! are checked with sign-weighted queries against a truth computed here from the scenario.
use crate::support::*;
use chrono::{TimeZone, Utc};
use emc_collector::beacon::{Meta, Timing};
use emc_collector::ingest::Accepted;
use emc_collector::pipeline::{Hit, Origin};
use std::collections::BTreeMap;

/// (visitor, seconds from t0, event name, path, referrer, source if this hit starts a visit)
type Step = (
    usize,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const VISITORS: [(&str, &str); 4] = [
    ("14.160.12.107", CHROME),
    ("113.160.1.1", IPHONE),
    ("2.125.160.216", FIREFOX),
    ("27.72.1.1", CHROME),
];

const STEPS: &[Step] = &[
    (
        0,
        0,
        "pageview",
        "/",
        "https://www.google.com.vn/search?q=cong",
        "organic",
    ),
    (0, 60, "pageview", "/tin-tuc", "https://portal.gov.vn/", ""),
    (0, 90, "engagement", "/tin-tuc", "", ""),
    (
        1,
        100,
        "pageview",
        "/?utm_source=zalo&utm_campaign=tet",
        "https://zalo.me/",
        "campaign",
    ),
    (1, 130, "download", "/", "", ""),
    (
        2,
        200,
        "pageview",
        "/",
        "https://www.facebook.com/",
        "social",
    ),
    (2, 300, "pageview", "/a", "https://portal.gov.vn/", ""),
    (2, 400, "pageview", "/b", "https://portal.gov.vn/", ""),
    (0, 4000, "pageview", "/lien-he", "", "direct"),
    (3, 4100, "engagement", "/", "", ""),
    (
        3,
        4200,
        "pageview",
        "/van-ban",
        "https://baomoi.com/x",
        "referral",
    ),
];

#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
struct Truth {
    visits: i64,
    bounces: i64,
    duration: i64,
    pageviews: i64,
    hits: i64,
}

/// Sessions computed from the steps alone: per visitor, split at gaps over 1800 s; an
/// engagement never opens a visit; bounce = exactly one page view.
fn truth() -> (Truth, BTreeMap<&'static str, i64>) {
    let mut t = Truth::default();
    let mut sources = BTreeMap::new();
    for v in 0..VISITORS.len() {
        let mut open: Option<(u32, u32, i64, i64)> = None; // start, last, pageviews, hits
        let close = |s: Option<(u32, u32, i64, i64)>, t: &mut Truth| {
            if let Some((start, last, pv, hits)) = s {
                t.visits += 1;
                t.bounces += i64::from(pv == 1);
                t.duration += i64::from(last - start);
                t.pageviews += pv;
                t.hits += hits;
            }
        };
        for &(_, at, name, _, _, source) in STEPS.iter().filter(|s| s.0 == v) {
            let pv = i64::from(name == "pageview");
            match open {
                Some((start, last, p, h)) if at - last <= 1800 => {
                    open = Some((start, at, p + pv, h + 1))
                }
                _ if name == "engagement" => {}
                prev => {
                    close(prev, &mut t);
                    *sources.entry(source).or_insert(0) += 1;
                    open = Some((at, at, pv, 1));
                }
            }
        }
        close(open, &mut t);
    }
    (t, sources)
}

#[tokio::test]
async fn known_visits_give_exact_sessions_bounces_and_durations() {
    let h = Harness::start("scenario_sessions").await;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    for &(v, at, name, path, referrer, _) in STEPS {
        let hit = Hit {
            site: "227".into(),
            name: name.into(),
            url: format!("https://portal.gov.vn{path}"),
            referrer: (!referrer.is_empty()).then(|| referrer.to_owned()),
            title: None,
            screen_width: Some(1280),
            engaged_ms: None,
            timing: Timing::default(),
            meta: Meta::default(),
            props: vec![],
            client_ip: VISITORS[v].0.parse().unwrap(),
            user_agent: VISITORS[v].1.into(),
            time: t0 + chrono::Duration::seconds(i64::from(at)),
            origin: Origin::Beacon,
            fields: Default::default(),
        };
        let accepted = h.app.state.ingest.offline(hit).await.unwrap();
        assert!(matches!(accepted, Accepted::Stored { .. }), "{accepted:?}");
    }
    let db = h.finish().await;
    let (want, want_sources) = truth();

    let (visits, bounces, duration, pageviews, hits): (i64, i64, i64, i64, i64) = db
        .client()
        .query("SELECT sum(sign), sum(sign * is_bounce), sum(sign * duration), sum(sign * pageviews), sum(sign * events) FROM sessions WHERE site = ?")
        .bind("227")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(
        Truth {
            visits,
            bounces,
            duration,
            pageviews,
            hits
        },
        want
    );

    let got_sources: Vec<(String, i64)> = db
        .client()
        .query("SELECT source, sum(sign) AS n FROM sessions GROUP BY source HAVING n != 0 ORDER BY source")
        .fetch_all()
        .await
        .unwrap();
    let want_sources: Vec<(String, i64)> = want_sources
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(got_sources, want_sources);

    // The rollups agree with the raw tables.
    let (rv, rb, rd): (i64, i64, i64) = db
        .client()
        .query("SELECT sum(visits), sum(bounces), sum(duration) FROM sessions_daily WHERE site = '227'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((rv, rb, rd), (want.visits, want.bounces, want.duration));
    let (pv, event_hits): (u64, u64) = db
        .client()
        .query("SELECT sumMerge(pageviews), countMerge(hits) FROM events_daily WHERE site = '227'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(pv as i64, want.pageviews);
    assert_eq!(
        event_hits as i64, want.hits,
        "hits = events attributed to a session"
    );
    let orphans = count(&db, "SELECT count() FROM events WHERE session_id = 0").await;
    assert_eq!(
        orphans, 1,
        "the engagement with no open visit is kept but attributed to none"
    );
    let visitors = count(
        &db,
        "SELECT uniqExact(visitor_id) FROM events WHERE session_id != 0",
    )
    .await;
    assert_eq!(visitors, VISITORS.len() as u64);
}
