//! Goals against figures computed here from the hits the test sends through the collector's
//! pipeline: conversions (visits with a completing hit), unique converters, completions and
//! the conversion rate, per site and agency goal, unfiltered and filtered; the API's scope
//! rules, the CSV and the site page's card.
use crate::support::*;
use chrono::{TimeZone, Utc};
use emc_collector::pipeline::{Hit, Origin};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// (client ip, user agent, region the test geo database gives it)
const VISITORS: [(&str, &str, &str); 4] = [
    ("14.160.1.1", CHROME, "Hanoi"),
    ("14.176.1.1", IPHONE, "Phu Tho"),
    ("8.8.8.8", FIREFOX, "California"),
    ("14.160.2.2", FIREFOX, "Hanoi"),
];

/// 2026-03-02 from 08:00 local: (site, visitor, seconds, name, path). A gap over 30 minutes
/// starts a new visit.
const HITS: &[(&str, usize, i64, &str, &str)] = &[
    ("227", 0, 0, "pageview", "/"),
    ("227", 0, 30, "pageview", "/thu-tuc/cap-phep"),
    ("227", 0, 60, "dvc", "/thu-tuc/cap-phep"),
    ("227", 0, 90, "dvc", "/thu-tuc/cap-phep"), // a second submission: one conversion, two completions
    ("227", 1, 100, "pageview", "/thu-tuc/ho-tich"),
    ("227", 1, 130, "download", "/thu-tuc/ho-tich"),
    ("227", 2, 200, "pageview", "/tin-tuc"),
    ("227", 3, 300, "pageview", "/thu-tuc"), // not /thu-tuc/*
    ("227", 3, 330, "dvc", "/thu-tuc"),
    ("227", 0, 4000, "pageview", "/lien-he"), // visitor 0's second visit: no conversion
    ("227", 2, 4100, "pageview", "/thu-tuc/a"), // visitor 2's second visit converts the page goal
    ("228", 1, 500, "pageview", "/"),
    ("228", 1, 520, "download", "/tai-lieu"),
    ("300", 2, 600, "pageview", "/"),
    ("300", 2, 620, "dvc", "/"),
];

const RANGE: &str = "from=2026-03-02&to=2026-03-02";

#[derive(Debug)]
struct Visit {
    site: &'static str,
    visitor: usize,
    hits: Vec<(&'static str, &'static str)>, // (name, path)
}

fn visits() -> Vec<Visit> {
    let mut out: Vec<Visit> = vec![];
    let mut last: Vec<((&str, usize), i64, usize)> = vec![]; // (key, last hit, index in out)
    let mut hits: Vec<_> = HITS.to_vec();
    hits.sort_by_key(|h| h.2);
    for (site, visitor, at, name, path) in hits {
        let open = last
            .iter_mut()
            .find(|(k, t, _)| *k == (site, visitor) && at - *t <= 1800);
        match open {
            Some((_, t, i)) => {
                *t = at;
                out[*i].hits.push((name, path));
            }
            None => {
                last.retain(|(k, _, _)| *k != (site, visitor));
                last.push(((site, visitor), at, out.len()));
                out.push(Visit {
                    site,
                    visitor,
                    hits: vec![(name, path)],
                });
            }
        }
    }
    out
}

/// (conversions, unique converters, completions, rate) over the visits `keep` selects.
fn truth(
    keep: &dyn Fn(&Visit) -> bool,
    completes: &dyn Fn(&str, &str) -> bool,
) -> (i64, i64, i64, f64) {
    let vs: Vec<Visit> = visits().into_iter().filter(|v| keep(v)).collect();
    let converted: Vec<&Visit> = vs
        .iter()
        .filter(|v| v.hits.iter().any(|(n, p)| completes(n, p)))
        .collect();
    let converters: BTreeSet<(&str, usize)> =
        converted.iter().map(|v| (v.site, v.visitor)).collect();
    let completions: usize = vs
        .iter()
        .map(|v| v.hits.iter().filter(|(n, p)| completes(n, p)).count())
        .sum();
    let n = converted.len() as i64;
    let rate = if vs.is_empty() {
        0.0
    } else {
        n as f64 / vs.len() as f64
    };
    (n, converters.len() as i64, completions as i64, rate)
}

async fn load() -> (axum::Router, emc_sql::Db) {
    let db = emc_sql::testing::test_db("dash_goals").await;
    registry_fixture(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let app = emc_collector::App::start(&common(&db, dir.path()), &serve_config(), db.clone())
        .await
        .unwrap();
    for _ in 0..20 {
        tokio::task::yield_now().await; // let the sweeper's first tick pass (see stats.rs)
    }
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap();
    let host = |site: &str| match site {
        "227" => "portal.gov.vn",
        "228" => "cuc.portal.gov.vn",
        _ => "bob.gov.vn",
    };
    for &(site, v, at, name, path) in HITS {
        let props = if name == "dvc" {
            vec![
                ("service".into(), "1.001".into()),
                ("flag".into(), "1".into()),
            ]
        } else {
            vec![]
        };
        let hit = Hit {
            site: site.into(),
            name: name.into(),
            url: format!("https://{}{path}", host(site)),
            referrer: None,
            title: Some("Trang".into()),
            screen_width: Some(1280),
            engaged_ms: None,
            timing: Default::default(),
            meta: Default::default(),
            props,
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
    user(&db, "admin", "admin", &[]).await;
    user(&db, "analyst-a", "analyst", &["bo-a"]).await;
    user(&db, "analyst-b", "analyst", &["bo-b"]).await;
    (dashboard(&db), db)
}

async fn delete(router: &axum::Router, uri: &str, token: &str) -> Reply {
    use axum::body::Body;
    use axum::http::{header, Request};
    let req = Request::delete(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(router, req).await
}

fn goal<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["goals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no goal {name} in {stats}"))
}

fn assert_figures(got: &Value, want: (i64, i64, i64, f64), what: &str) {
    let g = (
        got["conversions"].as_i64().unwrap(),
        got["unique_converters"].as_i64().unwrap(),
        got["completions"].as_i64().unwrap(),
    );
    assert_eq!(g, (want.0, want.1, want.2), "{what}: {got}");
    let rate = got["conversion_rate"].as_f64().unwrap();
    assert!(
        (rate - want.3).abs() < 1e-9,
        "{what}: rate {rate} != {}",
        want.3
    );
}

#[tokio::test]
async fn goals_count_conversions_as_the_hits_say() {
    let (router, _db) = load().await;
    let analyst = api_token(&router, "analyst-a").await;
    let other = api_token(&router, "analyst-b").await;

    // Defining goals: in scope 201, out of scope 403, unknown 404, bad input 400.
    let create = |body: Value, token: &str| {
        let (router, token) = (router.clone(), token.to_owned());
        async move { post_json(&router, "/api/v1/goals", &token, body).await }
    };
    let dvc = create(
        json!({"site": "227", "name": "Nộp hồ sơ", "event": "dvc"}),
        &analyst,
    )
    .await;
    assert_eq!(dvc.status, 201, "{}", dvc.body);
    let dvc_id = dvc.json()["id"].as_str().unwrap().to_owned();
    let r = create(
        json!({"site": "227", "name": "Thủ tục", "page": "/thu-tuc/*"}),
        &analyst,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = create(
        json!({"agency": "bo-a", "name": "Tải tài liệu", "event": "download"}),
        &analyst,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = create(json!({"site": "300", "name": "B", "event": "dvc"}), &other).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let refused = [
        (json!({"site": "300", "name": "x", "event": "dvc"}), 403),
        (json!({"agency": "bo-b", "name": "x", "event": "dvc"}), 403),
        (json!({"site": "999", "name": "x", "event": "dvc"}), 404),
        (json!({"site": "227", "name": "x"}), 400),
        (json!({"site": "227", "name": "x", "page": "thu-tuc"}), 400),
        (
            json!({"site": "227", "agency": "bo-a", "name": "x", "event": "dvc"}),
            400,
        ),
        (
            json!({"site": "227", "name": "x", "event": "dvc", "colour": "red"}),
            400,
        ),
    ];
    for (body, status) in refused {
        let r = create(body.clone(), &analyst).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }

    // The list: a site's own goals and its agencies'; B's goal is not A's.
    let r = get(
        &router,
        &format!("/api/v1/goals?site=227&{RANGE}"),
        &analyst,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let names: BTreeSet<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["Nộp hồ sơ", "Thủ tục", "Tải tài liệu"]
            .map(String::from)
            .into()
    );
    let r = get(
        &router,
        &format!("/api/v1/goals?site=228&{RANGE}"),
        &analyst,
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(
        get(
            &router,
            &format!("/api/v1/goals?site=300&{RANGE}"),
            &analyst
        )
        .await
        .status,
        403
    );

    // Figures against the truth.
    let is = |site: &'static str| move |v: &Visit| v.site == site;
    let dvc_done = |n: &str, _: &str| n == "dvc";
    let page_done = |n: &str, p: &str| n == "pageview" && p.starts_with("/thu-tuc/");
    let download_done = |n: &str, _: &str| n == "download";
    let st = get(
        &router,
        &format!("/api/v1/stats?site=227&{RANGE}"),
        &analyst,
    )
    .await;
    assert_eq!(st.status, 200, "{}", st.body);
    let st = st.json();
    let want = truth(&is("227"), &dvc_done);
    assert_eq!((want.0, want.1, want.2), (2, 2, 3), "the truth itself");
    assert_figures(goal(&st, "Nộp hồ sơ"), want, "dvc");
    assert_figures(goal(&st, "Thủ tục"), truth(&is("227"), &page_done), "page");
    assert_figures(
        goal(&st, "Tải tài liệu"),
        truth(&is("227"), &download_done),
        "agency goal on 227",
    );
    assert_eq!(st["goals"].as_array().unwrap().len(), 3);

    // The agency's report: its goal over both of its sites.
    let st = get(
        &router,
        &format!("/api/v1/stats?agency=bo-a&{RANGE}"),
        &analyst,
    )
    .await
    .json();
    let a_sites = |v: &Visit| v.site == "227" || v.site == "228";
    assert_figures(
        goal(&st, "Tải tài liệu"),
        truth(&a_sites, &download_done),
        "agency",
    );
    assert_eq!(st["goals"].as_array().unwrap().len(), 1, "{st}");

    // Filters apply: the visits of Hanoi, the visits that viewed a page.
    let hanoi = |v: &Visit| v.site == "227" && VISITORS[v.visitor].2 == "Hanoi";
    let st = get(
        &router,
        &format!("/api/v1/stats?site=227&{RANGE}&filter=region:Hanoi"),
        &analyst,
    )
    .await
    .json();
    assert_figures(
        goal(&st, "Nộp hồ sơ"),
        truth(&hanoi, &dvc_done),
        "dvc, Hanoi",
    );
    assert_figures(
        goal(&st, "Thủ tục"),
        truth(&hanoi, &page_done),
        "page, Hanoi",
    );
    let viewed = |v: &Visit| v.site == "227" && v.hits.contains(&("pageview", "/thu-tuc/cap-phep"));
    let st = get(
        &router,
        &format!("/api/v1/stats?site=227&{RANGE}&filter=page:/thu-tuc/cap-phep"),
        &analyst,
    )
    .await
    .json();
    assert_figures(
        goal(&st, "Nộp hồ sơ"),
        truth(&viewed, &dvc_done),
        "dvc, page filter",
    );

    // The CSV: one row per goal with the same figures.
    let csv = get(
        &router,
        &format!("/api/v1/export.csv?report=goals&site=227&{RANGE}"),
        &analyst,
    )
    .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let want = truth(&is("227"), &dvc_done);
    let line = csv.body.lines().find(|l| l.contains("Nộp hồ sơ")).unwrap();
    assert!(
        line.ends_with(&format!(
            ",event,dvc,,{},{},{},{:.4}",
            want.0, want.1, want.2, want.3
        )),
        "{line}"
    );

    // The site page's card, signed in.
    let (cookie, _) = browser_login(&router, "analyst-a").await;
    let page = get_page(&router, &format!("/sites/227?{RANGE}"), &cookie).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"goals\"") && page.body.contains("Nộp hồ sơ"),
        "{}",
        page.body
    );
    assert!(page.body.contains("action=\"/goals\""));

    // Deleting: out of scope 403, in scope 204 (twice), unknown 404; gone from the stats.
    assert_eq!(
        delete(&router, &format!("/api/v1/goals/{dvc_id}"), &other)
            .await
            .status,
        403
    );
    assert_eq!(
        delete(&router, &format!("/api/v1/goals/{dvc_id}"), &analyst)
            .await
            .status,
        204
    );
    assert_eq!(
        delete(&router, &format!("/api/v1/goals/{dvc_id}"), &analyst)
            .await
            .status,
        204
    );
    assert_eq!(
        delete(&router, "/api/v1/goals/nope", &analyst).await.status,
        404
    );
    let st = get(
        &router,
        &format!("/api/v1/stats?site=227&{RANGE}"),
        &analyst,
    )
    .await
    .json();
    assert_eq!(st["goals"].as_array().unwrap().len(), 2, "{st}");
}
