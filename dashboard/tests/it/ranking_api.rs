//! `GET /api/v1/ranking` and `/ranking` over stored visits: order, scores and grades equal the
//! ranking computed here from the same plan (pure `rank` over inputs built in the test, not
//! read back); the visits-only scores written out; scope: rows outside it are removed, ranks
//! stay those of the whole group; 401/403/400/404.
use crate::compliance::{day, insert_events, insert_sessions};
use crate::support::*;
use emc_dashboard::ranking::{self, Grade, Group, Method, RankingConfig, SiteInputs};
use emc_dashboard::scope::Registry;
use emc_sql::registry::{AgencyGroup, SiteKind};
use emc_sql::Db;
use std::collections::BTreeMap;

/// (site, date, visits): every visit alternates 1 and 2 page views (by global id).
pub const PLAN: &[(&str, &str, u64)] = &[
    ("201", "2025-03-01", 5),
    ("202", "2025-03-02", 3),
    ("203", "2025-04-10", 1),
    ("301", "2025-03-05", 2),
];

/// Ministries bo-a/bo-b/bo-c (portals 201, 202, 203 — 203 not under gov.vn) and province tinh-x (301).
pub async fn stored_scenario(db: &Db) -> BTreeMap<String, SiteInputs> {
    for (id, g) in [
        ("bo-a", AgencyGroup::Ministry),
        ("bo-b", AgencyGroup::Ministry),
        ("bo-c", AgencyGroup::Ministry),
        ("tinh-x", AgencyGroup::Province),
    ] {
        agency(db, id, g, None).await;
    }
    for (code, domain, ag) in [
        ("201", "a.gov.vn", "bo-a"),
        ("202", "b.gov.vn", "bo-b"),
        ("203", "c-bo.vn", "bo-c"),
        ("301", "x.gov.vn", "tinh-x"),
    ] {
        site(db, code, domain, ag, SiteKind::Portal, None).await;
    }
    let (mut sessions, mut events, mut inputs) =
        (vec![], vec![], BTreeMap::<String, SiteInputs>::new());
    let mut id = 0;
    for (code, date, visits) in PLAN {
        for _ in 0..*visits {
            id += 1;
            let pv = if id % 2 == 0 { 2 } else { 1 };
            let (s, e) = crate::ranking::visit(code, date, id, pv);
            let i = inputs.entry(code.to_string()).or_default();
            i.visits += 1;
            i.bounces += i64::from(pv == 1);
            i.duration += 60;
            i.visitors += 1;
            i.days
                .insert((day(date) - day("1970-01-01")).num_days() as u16);
            i.pageviews += u64::from(pv);
            i.https += u64::from(pv);
            sessions.push(s);
            events.extend(e);
        }
    }
    insert_sessions(db, &sessions).await;
    insert_events(db, &events).await;
    inputs
}

#[tokio::test]
async fn ranking_api_matches_the_scenario_and_respects_scope() {
    let db = emc_sql::testing::test_db("ranking_api").await;
    let inputs = stored_scenario(&db).await;
    user(&db, "admin", "admin", &[]).await;
    user(&db, "an", "analyst", &["bo-b"]).await;
    let router = dashboard(&db);
    let admin = api_token(&router, "admin").await;

    // The truth: the pure ranking over the inputs built from the plan.
    let reg = Registry::load(&db).await.unwrap();
    let want = ranking::rank(
        &ranking::entries(&reg, &Group::Ministry, false, &inputs),
        &RankingConfig::default(),
        Method::Weighted,
        365,
    );
    let r = get(
        &router,
        "/api/v1/ranking?from=2025-01-01&to=2025-12-31&group=ministry",
        &admin,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = r.json();
    let rows = got.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for (g, w) in rows.iter().zip(&want) {
        assert_eq!(g["rank"], w.rank);
        assert_eq!(g["site"], w.site.as_str());
        assert_eq!(g["name"], w.name.as_str());
        assert!((g["score"].as_f64().unwrap() - w.score).abs() < 1e-9, "{g}");
        assert_eq!(g["grade"], w.grade.unwrap().as_str());
        assert!((g["components"]["traffic"].as_f64().unwrap() - w.criteria.traffic).abs() < 1e-9);
        assert_eq!(g["components"].as_object().unwrap().len(), 8);
        assert_eq!(
            (g["visits"].as_i64(), g["visitors"].as_u64()),
            (Some(w.visits), Some(w.visitors))
        );
        assert_eq!(
            (g["previous_rank"].as_u64(), g["rank_change"].as_i64()),
            (Some(u64::from(w.rank)), Some(0)),
            "2024 is empty: ties by code"
        );
    }
    let order: Vec<&str> = rows.iter().map(|r| r["site"].as_str().unwrap()).collect();
    assert_eq!(order, ["201", "202", "203"]);
    // 203: one visit, a non-gov.vn domain, one reporting day: an E.
    assert_eq!(
        (
            rows[2]["grade"].as_str(),
            rows[2]["components"]["domain"].as_f64()
        ),
        (Some(Grade::E.as_str()), Some(0.0))
    );

    // The same ranking as CSV: one row per portal in rank order, every criterion beside the score.
    let csv = get(
        &router,
        "/api/v1/export.csv?report=ranking&from=2025-01-01&to=2025-12-31&group=ministry",
        &admin,
    )
    .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let lines: Vec<Vec<&str>> = csv.body.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        lines[0],
        [
            "rank",
            "site",
            "name",
            "score",
            "grade",
            "traffic",
            "engagement",
            "connection",
            "label",
            "metadata",
            "domain",
            "speed",
            "security",
            "visits",
            "visitors",
            "previous_rank",
            "rank_change"
        ]
    );
    assert_eq!(lines.len(), 1 + want.len());
    for (l, w) in lines[1..].iter().zip(&want) {
        assert_eq!(
            (l[0], l[1], l[4]),
            (
                w.rank.to_string().as_str(),
                w.site.as_str(),
                w.grade.unwrap().as_str()
            )
        );
        assert_eq!(l[3], format!("{:.2}", w.score));
        assert_eq!(l[5], format!("{:.1}", w.criteria.traffic));
        assert_eq!(l[13], w.visits.to_string());
    }
    let csv = get(
        &router,
        "/api/v1/export.csv?report=ranking&year=2025&group=ministry",
        &api_token(&router, "an").await,
    )
    .await;
    assert_eq!(
        csv.body
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect::<Vec<_>>(),
        ["202"],
        "the analyst's CSV holds only their portal"
    );
    assert_eq!(
        get(&router, "/api/v1/export.csv?report=ranking&group=x", &admin)
            .await
            .status,
        400
    );

    // Visits only (the 2024 method): 100 × visits / max, no grade; `year` works as the range.
    let r = get(
        &router,
        "/api/v1/ranking?year=2025&group=ministry&method=visits",
        &admin,
    )
    .await
    .json();
    let v: Vec<(&str, f64, bool)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["site"].as_str().unwrap(),
                x["score"].as_f64().unwrap(),
                x["grade"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        v,
        [
            ("201", 100.0, true),
            ("202", 60.0, true),
            ("203", 20.0, true)
        ]
    );
    let p = get(&router, "/api/v1/ranking?year=2025&group=province", &admin)
        .await
        .json();
    assert_eq!(
        p.as_array()
            .unwrap()
            .iter()
            .map(|x| x["site"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["301"]
    );

    // Scope: the analyst of bo-b sees only 202, at its rank in the whole group.
    let an = api_token(&router, "an").await;
    let r = get(&router, "/api/v1/ranking?year=2025&group=ministry", &an)
        .await
        .json();
    let mine: Vec<(u64, &str)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["rank"].as_u64().unwrap(), x["site"].as_str().unwrap()))
        .collect();
    assert_eq!(mine, [(2, "202")]);
    assert!(
        get(&router, "/api/v1/ranking?year=2025&group=province", &an)
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Errors.
    assert_eq!(
        get(&router, "/api/v1/ranking?year=2025", "not-a-token")
            .await
            .status,
        401
    );
    let r = get(&router, "/api/v1/ranking?group=ministries", &admin).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["param"].as_str()),
        (400, Some("group"))
    );
    assert_eq!(
        get(&router, "/api/v1/ranking?method=best", &admin)
            .await
            .status,
        400
    );
    assert_eq!(
        get(&router, "/api/v1/ranking?group=components:999", &admin)
            .await
            .status,
        404
    );

    // The page: the same order, a bar chart, the grades; without a session → /login.
    let (cookie, _) = browser_login(&router, "admin").await;
    let page = get_page(&router, "/ranking?year=2025&group=ministry", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("<svg role=\"img\"") && page.body.contains("<rect"),
        "bar chart"
    );
    let (a, b) = (
        page.body.find("Cổng 201").unwrap(),
        page.body.find("Cổng 202").unwrap(),
    );
    assert!(a < b);
    let r = get_page(&router, "/ranking", "emc_session=nope").await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.headers.get("location").map(|v| v.to_str().unwrap())
        ),
        (303, Some("/login"))
    );
}
