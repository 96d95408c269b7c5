//! The site-search report (`by=search_keyword`) against figures computed here from the
//! scenario's own hits: searches, visits, searches with no result and the visits that left
//! after searching, per keyword and category; its CSV, the site page, and the refused filter.
use crate::support::*;
use emc_sql::rows::EventRow;
use serde_json::Value;
use std::collections::BTreeMap;

/// (session, seconds after 2026-03-02 03:00 UTC, name, keyword, category, result count).
type Step = (
    u64,
    u32,
    &'static str,
    &'static str,
    &'static str,
    Option<u32>,
);

const STEPS: &[Step] = &[
    (1, 0, "pageview", "", "", None),
    (1, 10, "site_search", "hộ chiếu", "Thủ tục", Some(0)),
    (1, 20, "site_search", "hộ chiếu", "Thủ tục", Some(4)),
    (1, 30, "pageview", "", "", None),
    (1, 40, "engagement", "", "", None), // not an action: the visit ended on a page view
    (2, 0, "site_search", "visa", "", None),
    (2, 5, "site_search", "hộ chiếu", "Thủ tục", Some(0)), // last action: an exit after it
    (2, 60, "engagement", "", "", None),
    (3, 0, "pageview", "", "", None),
    (3, 9, "site_search", "visa", "", Some(0)),     // exit
    (4, 0, "site_search", "hộ chiếu", "", Some(2)), // another category: its own row; exit
    (5, 0, "site_search", "visa", "", Some(1)),
    (5, 3, "download", "", "", None),
    (5, 7, "pageview", "", "", None),
    // Outside the range (the day before): not counted.
    (6, 0, "site_search", "visa", "", Some(0)),
];

const T0: u32 = 1_772_420_400; // 2026-03-02 03:00:00 UTC
const RANGE: &str = "site=227&from=2026-03-02&to=2026-03-02";

/// (searches, visits, no_result, exits) per (keyword, category), computed from STEPS.
fn truth() -> BTreeMap<(String, String), (u64, u64, u64, u64)> {
    let in_range: Vec<&Step> = STEPS.iter().filter(|s| s.0 != 6).collect();
    let mut out: BTreeMap<(String, String), (u64, u64, u64, u64)> = BTreeMap::new();
    let mut visits: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for s in in_range.iter().filter(|s| s.2 == "site_search") {
        let key = (s.3.to_owned(), s.4.to_owned());
        let e = out.entry(key.clone()).or_default();
        e.0 += 1;
        e.2 += u64::from(s.5 == Some(0));
        let v = visits.entry(key).or_default();
        if !v.contains(&s.0) {
            v.push(s.0);
        }
    }
    for (key, v) in &visits {
        out.get_mut(key).unwrap().1 = v.len() as u64;
    }
    // Each visit's last page view or search.
    let mut last: BTreeMap<u64, &Step> = BTreeMap::new();
    for s in in_range
        .iter()
        .filter(|s| matches!(s.2, "pageview" | "site_search"))
    {
        if last.get(&s.0).is_none_or(|l| l.1 <= s.1) {
            last.insert(s.0, s);
        }
    }
    for s in last.values().filter(|s| s.2 == "site_search") {
        out.get_mut(&(s.3.to_owned(), s.4.to_owned())).unwrap().3 += 1;
    }
    out
}

async fn write(db: &emc_sql::Db) {
    let mut ins = db.client().insert::<EventRow>("events").await.unwrap();
    for &(session, at, name, keyword, category, count) in STEPS {
        let timestamp = if session == 6 { T0 - 86_400 } else { T0 + at };
        ins.write(&EventRow {
            site: "227".into(),
            timestamp,
            name: name.into(),
            session_id: session,
            visitor_id: session,
            pathname: "/tim-kiem".into(),
            search_keyword: keyword.into(),
            search_category: category.into(),
            search_count: count,
            ..EventRow::default()
        })
        .await
        .unwrap();
    }
    ins.end().await.unwrap();
}

#[tokio::test]
async fn search_keyword_breakdowns_match_the_truth() {
    let db = emc_sql::testing::test_db("dash_site_search").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    write(&db).await;
    let router = dashboard(&db);
    let token = api_token(&router, "admin").await;

    let r = get(
        &router,
        &format!("/api/v1/breakdown?{RANGE}&by=search_keyword&limit=100"),
        &token,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.json();
    let got: BTreeMap<(String, String), (u64, u64, u64, u64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row: &Value| {
            let n = |k: &str| row[k].as_u64().unwrap();
            let share = row["exit_share"].as_f64().unwrap();
            assert!(
                (share - n("exits") as f64 / n("visits") as f64).abs() < 1e-9,
                "{row}"
            );
            let key = (
                row["key"].as_str().unwrap().to_owned(),
                row["category"].as_str().unwrap().to_owned(),
            );
            (
                key,
                (n("searches"), n("visits"), n("no_result"), n("exits")),
            )
        })
        .collect();
    assert_eq!(got, truth());
    // Ordered by searches, most first.
    let searches: Vec<u64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["searches"].as_u64().unwrap())
        .collect();
    assert!(searches.windows(2).all(|w| w[0] >= w[1]), "{searches:?}");

    let csv = get(
        &router,
        &format!("/api/v1/export.csv?report=breakdown&{RANGE}&by=search_keyword&limit=100"),
        &token,
    )
    .await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("search_keyword,category,searches,visits,no_result,exits,exit_share")
    );
    assert_eq!(lines.count(), truth().len());

    let filtered = get(
        &router,
        &format!("/api/v1/breakdown?{RANGE}&by=search_keyword&filter=source:organic"),
        &token,
    )
    .await;
    assert_eq!(filtered.status, 400, "{}", filtered.body);
    assert!(filtered.body.contains("filter"));

    let (cookie, _) = browser_login(&router, "admin").await;
    let page = get_page(&router, "/sites/227?from=2026-03-02&to=2026-03-02", &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"panel-search_keyword\"") && page.body.contains("hộ chiếu"));
}
