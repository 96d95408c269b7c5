//! Every breakdown, now read from the rollups of migration 0007, against figures computed here
//! without the dashboard: page, entry, exit and source from the scenario's own visits (see
//! `stats.rs`), the other dimensions from the raw `sessions` rows collapsed by sign in Rust.
//! Then the rollups are rebuilt by the migration's backfill alone and must answer the same.
use crate::stats::{load, visits, Visit, RANGE};
use crate::support::get;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// (visits, visitors, page views, bounces) of one breakdown row.
type Figures = (i64, i64, i64, i64);
/// Figures being summed: visits, the distinct (day, visitor) pairs, page views, bounces.
type Acc<'a> = (i64, BTreeSet<(&'a str, usize)>, i64, i64);

/// The breakdown `by` as the API answers it: key → figures, bounces recovered from the rate.
async fn api(
    router: &axum::Router,
    token: &str,
    by: &str,
    query: &str,
) -> BTreeMap<String, Figures> {
    let r = get(
        router,
        &format!("/api/v1/breakdown?{RANGE}&by={by}&limit=100{query}"),
        token,
    )
    .await;
    assert_eq!(r.status, 200, "{by}: {}", r.body);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|row: &Value| {
            let visits = row["visits"].as_i64().unwrap();
            let bounces = (row["bounce_rate"].as_f64().unwrap() * visits as f64).round() as i64;
            (
                row["key"].as_str().unwrap().to_owned(),
                (
                    visits,
                    row["visitors"].as_i64().unwrap(),
                    row["pageviews"].as_i64().unwrap(),
                    bounces,
                ),
            )
        })
        .collect()
}

/// Groups visits by `key` (several keys per visit for pages): visits, distinct (day, visitor),
/// page views (of the page only, for pages), bounces.
fn group<'a>(
    vs: &'a [Visit],
    keys: impl Fn(&'a Visit) -> Vec<&'a str>,
    pageviews: impl Fn(&Visit, &str) -> i64,
) -> BTreeMap<String, Figures> {
    let mut acc: BTreeMap<&str, Acc<'a>> = BTreeMap::new();
    for v in vs {
        for k in keys(v) {
            let e = acc.entry(k).or_default();
            e.0 += 1;
            e.1.insert((v.day, v.visitor));
            e.2 += pageviews(v, k);
            e.3 += i64::from(v.pages.len() == 1);
        }
    }
    acc.into_iter()
        .map(|(k, (n, who, pv, b))| (k.to_owned(), (n, who.len() as i64, pv, b)))
        .collect()
}

#[derive(clickhouse::Row, serde::Deserialize)]
struct SessionState {
    session_id: u64,
    sign: i8,
    visitor_id: u64,
    pageviews: u32,
    is_bounce: u8,
    referrer_source: String,
    utm_campaign: String,
    country_code: String,
    region: String,
    city: String,
    browser: String,
    os: String,
    device: String,
}

/// The other dimensions from the raw rows: each visit's live state (its rows summed by sign
/// per distinct state), then grouped by the column.
async fn from_raw_rows(db: &emc_sql::Db) -> BTreeMap<&'static str, BTreeMap<String, Figures>> {
    let rows: Vec<SessionState> = db
        .client()
        .query(
            "SELECT session_id, sign, visitor_id, pageviews, is_bounce, referrer_source, utm_campaign, country_code, region, \
             city, browser, os, device FROM sessions WHERE site = '227'",
        )
        .fetch_all()
        .await
        .unwrap();
    let state = |r: &SessionState| {
        (
            r.session_id,
            r.visitor_id,
            r.pageviews,
            r.is_bounce,
            [
                &r.referrer_source,
                &r.utm_campaign,
                &r.country_code,
                &r.region,
                &r.city,
                &r.browser,
                &r.os,
                &r.device,
            ]
            .map(|s| s.clone()),
        )
    };
    let mut net: BTreeMap<_, i64> = BTreeMap::new();
    for r in &rows {
        *net.entry(state(r)).or_default() += i64::from(r.sign);
    }
    let live: Vec<_> = net
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, _)| s)
        .collect();
    assert_eq!(
        live.iter().map(|s| s.0).collect::<BTreeSet<_>>().len(),
        live.len(),
        "one live state per visit"
    );
    let dims = [
        "referrer",
        "utm_campaign",
        "country",
        "region",
        "city",
        "browser",
        "os",
        "device",
    ];
    let mut out = BTreeMap::new();
    for (i, dim) in dims.into_iter().enumerate() {
        let mut acc: BTreeMap<String, (i64, BTreeSet<u64>, i64, i64)> = BTreeMap::new();
        for (_, visitor, pageviews, bounce, cols) in &live {
            let e = acc.entry(cols[i].clone()).or_default();
            e.0 += 1;
            e.1.insert(*visitor);
            e.2 += i64::from(*pageviews);
            e.3 += i64::from(*bounce);
        }
        out.insert(
            dim,
            acc.into_iter()
                .map(|(k, (n, who, pv, b))| (k, (n, who.len() as i64, pv, b)))
                .collect(),
        );
    }
    out
}

#[tokio::test]
async fn every_breakdown_from_the_rollups_matches_the_truth() {
    let (router, token, db) = load("dash_breakdowns").await;
    let vs = visits();
    let count = |v: &Visit, page: &str| v.pages.iter().filter(|p| **p == page).count() as i64;
    let mut truth: BTreeMap<&str, BTreeMap<String, Figures>> = BTreeMap::new();
    // A page's bounces are those of the visits that entered on it.
    let mut pages = group(
        &vs,
        |v| {
            v.pages
                .iter()
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        },
        count,
    );
    let entries = group(&vs, |v| vec![v.pages[0]], |v, _| v.pages.len() as i64);
    for (page, f) in pages.iter_mut() {
        f.3 = entries
            .get(page)
            .map_or(0, |e| (e.3 as f64 / e.0 as f64 * f.0 as f64).round() as i64);
    }
    truth.insert("page", pages);
    truth.insert("entry_page", entries);
    truth.insert(
        "exit_page",
        group(
            &vs,
            |v| vec![*v.pages.last().unwrap()],
            |v, _| v.pages.len() as i64,
        ),
    );
    truth.insert(
        "source",
        group(&vs, |v| vec![v.source], |v, _| v.pages.len() as i64),
    );
    assert_eq!(
        truth["exit_page"]["/tin-tuc"],
        (3, 3, 6, 0),
        "the truth itself: three visits ended on /tin-tuc"
    );
    truth.extend(from_raw_rows(&db).await);
    assert_eq!(
        truth["region"].get("Hanoi").map(|f| f.0),
        Some(4),
        "the raw rows carry the geo columns: visitors 0 and 3 are in Hanoi"
    );
    assert_eq!(truth.len(), emc_dashboard::reports::Dimension::ALL.len());

    for (by, want) in &truth {
        assert_eq!(
            &api(&router, &token, by, "").await,
            want,
            "breakdown by {by}"
        );
    }

    // The backfill alone rebuilds the same rollups from the raw rows.
    for table in ["sessions_dims_daily", "pages_daily"] {
        db.client()
            .query(&format!("DROP TABLE {table}"))
            .execute()
            .await
            .unwrap();
    }
    let m = emc_sql::migrate::MIGRATIONS
        .iter()
        .find(|m| m.name == "breakdown_rollups")
        .unwrap();
    for stmt in emc_sql::migrate::render(
        m,
        &emc_sql::migrate::MigrateOptions::default(),
        db.database(),
    )
    .unwrap()
    {
        db.client().query(&stmt).execute().await.unwrap();
    }
    for (by, want) in &truth {
        assert_eq!(
            &api(&router, &token, by, "").await,
            want,
            "breakdown by {by} after the backfill"
        );
    }

    // A filtered breakdown still reads the raw tables and agrees on its subset.
    let organic: Vec<Visit> = vs
        .iter()
        .filter(|v| v.source == "organic")
        .cloned()
        .collect();
    let want = group(&organic, |v| vec![v.pages[0]], |v, _| v.pages.len() as i64);
    assert_eq!(
        api(&router, &token, "entry_page", "&filter=source:organic").await,
        want
    );
}

#[tokio::test]
async fn one_dimension_filters_from_the_rollup_match_the_truth() {
    let (router, token, _db) = load("dash_dim_filters").await;
    let vs = visits();
    for (q, keep) in [
        (
            "filter=source:organic",
            Box::new(|v: &Visit| v.source == "organic") as Box<dyn Fn(&Visit) -> bool>,
        ),
        (
            "filter=entry_page:/",
            Box::new(|v: &Visit| v.pages[0] == "/"),
        ),
        (
            "filter=exit_page:/tin-tuc",
            Box::new(|v: &Visit| v.pages.last() == Some(&"/tin-tuc")),
        ),
    ] {
        let r = get(
            &router,
            &format!("/api/v1/timeseries?{RANGE}&interval=day&{q}"),
            &token,
        )
        .await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        for p in r.json().as_array().unwrap() {
            let day = p["t"].as_str().unwrap();
            let sub: Vec<&Visit> = vs.iter().filter(|v| v.day == day && keep(v)).collect();
            let visitors = sub.iter().map(|v| v.visitor).collect::<BTreeSet<_>>().len() as i64;
            let pageviews: i64 = sub.iter().map(|v| v.pages.len() as i64).sum();
            let got = (
                p["visits"].as_i64().unwrap(),
                p["visitors"].as_i64().unwrap(),
                p["pageviews"].as_i64().unwrap(),
            );
            assert_eq!(got, (sub.len() as i64, visitors, pageviews), "{q} {day}");
        }
        let r = get(
            &router,
            &format!("/api/v1/timeseries?{RANGE}&interval=month&{q}"),
            &token,
        )
        .await;
        let months = r.json();
        let sub: Vec<&Visit> = vs.iter().filter(|v| keep(v)).collect();
        assert_eq!(months[0]["t"], "2026-03");
        assert_eq!(
            months[0]["visits"].as_i64().unwrap(),
            sub.len() as i64,
            "{q} by month"
        );
    }
}
