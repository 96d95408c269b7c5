//! Every route × every role → the expected status, and the security headers on every answer.
//!
//! The routes come from `emc_dashboard::ROUTES`, the table `router()` is built from, with the
//! access rule each route declares. This file holds one sample request per route (two for a
//! scoped one: a site or agency of ministry A, one of ministry B); a route added to `ROUTES`
//! without a sample here fails `every_route_answers_each_role_as_its_rule_says`, and so does a
//! sample left behind for a route that is gone.
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use emc_dashboard::auth::{self, SESSION_COOKIE};
use emc_dashboard::{Access, AppState, Face, RouteSpec, Verb, WebConfig, CSP, ROUTES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    Admin,
    /// Analyst of ministry A (`bo-a`, and `cuc-a1` beneath it).
    AnalystA,
    /// Owner of ministry A's sites.
    OwnerA,
    /// Analyst of ministry B.
    AnalystB,
}

const ROLES: [Role; 5] = [
    Role::Anonymous,
    Role::Admin,
    Role::AnalystA,
    Role::OwnerA,
    Role::AnalystB,
];

impl Role {
    fn username(self) -> Option<&'static str> {
        match self {
            Role::Anonymous => None,
            Role::Admin => Some("admin"),
            Role::AnalystA => Some("analyst-a"),
            Role::OwnerA => Some("owner-a"),
            Role::AnalystB => Some("analyst-b"),
        }
    }
}

/// Which ministry the sample's site or agency belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Neither,
    A,
    B,
}

/// One request to a route. `{csrf}` in the body is replaced by the caller's session token
/// (also sent as `X-CSRF-Token`); `ok` is the answer when the rule lets the caller in.
struct Sample {
    uri: String,
    body: Option<(&'static str, String)>,
    /// An extra cookie (the sign-in form's double-submit token).
    cookie: Option<&'static str>,
    side: Side,
    ok: u16,
}

fn get(uri: &str, ok: u16) -> Sample {
    Sample {
        uri: uri.into(),
        body: None,
        cookie: None,
        side: Side::Neither,
        ok,
    }
}

fn form(uri: &str, body: &str, ok: u16) -> Sample {
    Sample {
        uri: uri.into(),
        body: Some(("application/x-www-form-urlencoded", body.into())),
        cookie: None,
        side: Side::Neither,
        ok,
    }
}

fn json(uri: &str, body: serde_json::Value, ok: u16) -> Sample {
    Sample {
        uri: uri.into(),
        body: Some(("application/json", body.to_string())),
        cookie: None,
        side: Side::Neither,
        ok,
    }
}

/// The same request about ministry A's portal (227, agency `bo-a`) and B's (300, `bo-b`).
fn both(make: impl Fn(&str, &str) -> Sample) -> Vec<Sample> {
    let mut a = make("227", "bo-a");
    a.side = Side::A;
    let mut b = make("300", "bo-b");
    b.side = Side::B;
    vec![a, b]
}

const Q: &str = "from=2026-03-01&to=2026-03-02";

/// The sample requests, keyed by (method, path pattern) exactly as in `ROUTES`.
fn samples() -> Vec<((Verb, &'static str), Vec<Sample>)> {
    use Verb::{Delete, Get, Post, Put};
    let login_form = format!("csrf=login-token&username=analyst-a&password={PASSWORD}");
    let with_login_cookie = |mut s: Sample| {
        s.cookie = Some("emc_login_csrf=login-token");
        s
    };
    vec![
        ((Get, "/login"), vec![get("/login", 200)]),
        ((Post, "/login"), vec![with_login_cookie(form("/login", &login_form, 303))]),
        ((Post, "/logout"), vec![form("/logout", "csrf={csrf}", 303)]),
        ((Get, "/lang"), vec![get("/lang?to=en&back=/ranking", 303)]),
        ((Get, "/"), vec![get(&format!("/?{Q}"), 200)]),
        ((Get, "/sites/{code}"), both(|s, _| get(&format!("/sites/{s}?{Q}"), 200))),
        ((Post, "/sites/{code}/contact"), both(|s, _| form(&format!("/sites/{s}/contact"), "csrf={csrf}&contact_name=Nguy%E1%BB%85n+V%C4%83n+B", 303))),
        ((Get, "/sites/{code}/scan"), both(|s, _| get(&format!("/sites/{s}/scan"), 200))),
        ((Post, "/sites/{code}/scan"), both(|s, _| form(&format!("/sites/{s}/scan"), "csrf={csrf}", 303))),
        ((Get, "/scans"), vec![get("/scans", 200)]),
        ((Get, "/agencies/{id}"), both(|_, a| get(&format!("/agencies/{a}?{Q}"), 200))),
        ((Get, "/sites/{code}/details/{by}"), both(|s, _| get(&format!("/sites/{s}/details/page?{Q}&order=pageviews&dir=asc&q=a&page=2"), 200))),
        ((Get, "/agencies/{id}/details/{by}"), both(|_, a| get(&format!("/agencies/{a}/details/search_keyword?{Q}"), 200))),
        ((Get, "/admin"), vec![get("/admin", 200)]),
        ((Post, "/admin/agencies"), vec![form("/admin/agencies", "csrf={csrf}&id=so-form&name=S%E1%BB%9F&group=province&parent=", 200)]),
        ((Post, "/admin/sites"), vec![form("/admin/sites", "csrf={csrf}&name=C%E1%BB%95ng&domains=form.gov.vn&kind=portal&parent=&agency=bo-a&code=", 200)]),
        ((Post, "/admin/users"), vec![form("/admin/users", &format!("csrf={{csrf}}&username=form-user&password={PASSWORD}&role=analyst&agencies=bo-a"), 200)]),
        ((Get, "/admin/retention"), vec![get("/admin/retention", 200)]),
        ((Get, "/ranking"), vec![get(&format!("/ranking?{Q}"), 200)]),
        ((Get, "/compliance"), both(|s, _| get(&format!("/compliance?site={s}&{Q}"), 200))),
        ((Get, "/open-data"), vec![get("/open-data", 200)]),
        ((Get, "/open-data/catalog.jsonld"), vec![get("/open-data/catalog.jsonld", 200)]),
        ((Get, "/open-data/{file}"), vec![get("/open-data/ranking-2025.csv", 200)]),
        ((Get, "/metrics"), vec![get("/metrics", 200)]),
        ((Get, "/static/app.css"), vec![get("/static/app.css", 200)]),
        ((Get, "/static/app.js"), vec![get("/static/app.js", 200)]),
        ((Post, "/api/v1/login"), vec![json("/api/v1/login", serde_json::json!({"username": "analyst-a", "password": PASSWORD}), 200)]),
        ((Get, "/api/v1/agencies"), vec![get("/api/v1/agencies", 200)]),
        ((Post, "/api/v1/agencies"), vec![json("/api/v1/agencies", serde_json::json!({"id": "so-api-{n}", "name": "Sở", "group": "province", "parent": null}), 201)]),
        ((Get, "/api/v1/sites"), vec![get("/api/v1/sites", 200)]),
        ((Post, "/api/v1/sites"), vec![json("/api/v1/sites", serde_json::json!({"name": "Cổng", "domains": ["api{n}.gov.vn"], "kind": "portal", "parent": null, "agency": "bo-a"}), 201)]),
        ((Get, "/api/v1/users"), vec![get("/api/v1/users", 200)]),
        ((Post, "/api/v1/users"), vec![json("/api/v1/users", serde_json::json!({"username": "api-user-{n}", "password": PASSWORD, "role": "owner", "agencies": ["bo-a"]}), 201)]),
        ((Get, "/api/v1/stats"), both(|s, _| get(&format!("/api/v1/stats?site={s}&{Q}"), 200))),
        ((Get, "/api/v1/breakdown"), both(|s, _| get(&format!("/api/v1/breakdown?site={s}&by=page&{Q}"), 200))),
        ((Get, "/api/v1/timeseries"), both(|s, _| get(&format!("/api/v1/timeseries?site={s}&{Q}"), 200))),
        ((Get, "/api/v1/realtime"), both(|s, _| get(&format!("/api/v1/realtime?site={s}"), 200))),
        ((Get, "/api/v1/overview"), vec![get(&format!("/api/v1/overview?{Q}"), 200)]),
        ((Get, "/api/v1/audit"), vec![get("/api/v1/audit", 200)]),
        ((Get, "/api/v1/export.csv"), both(|s, _| get(&format!("/api/v1/export.csv?report=stats&site={s}&{Q}"), 200))),
        ((Get, "/api/v1/ranking"), vec![get(&format!("/api/v1/ranking?{Q}"), 200)]),
        ((Get, "/api/v1/compliance"), both(|s, _| get(&format!("/api/v1/compliance?site={s}&{Q}"), 200))),
        ((Get, "/api/v1/health"), both(|s, _| get(&format!("/api/v1/health?site={s}&{Q}"), 200))),
        ((Get, "/api/v1/scans"), both(|s, _| get(&format!("/api/v1/scans?site={s}"), 200))),
        ((Get, "/api/v1/scans.csv"), both(|s, _| get(&format!("/api/v1/scans.csv?site={s}"), 200))),
        ((Get, "/healthz"), vec![get("/healthz", 200)]),
        ((Get, "/alerts"), vec![get("/alerts", 200)]),
        ((Get, "/api/v1/alerts"), vec![get("/api/v1/alerts", 200)]),
        ((Get, "/api/v1/openapi.json"), vec![get("/api/v1/openapi.json", 200)]),
        ((Get, "/api/v1/sites/{code}/alert-rules"), both(|s, _| get(&format!("/api/v1/sites/{s}/alert-rules"), 200))),
        ((Put, "/api/v1/sites/{code}/alert-rules"), both(|s, _| json(&format!("/api/v1/sites/{s}/alert-rules"), serde_json::json!({"rules": {"silent": {"threshold": 900}}}), 200))),
        ((Post, "/sites/{code}/alert-rules"), both(|s, _| form(&format!("/sites/{s}/alert-rules"), "csrf={csrf}&silent.enabled=on&silent.threshold=900&down.cooldown=", 303))),
        ((Get, "/reports/monthly"), both(|_, a| get(&format!("/reports/monthly?agency={a}&month=2026-03"), 200))),
        ((Get, "/users/{name}"), vec![get("/users/analyst-a", 200)]),
        ((Post, "/users/{name}/subscriptions"), vec![form("/users/analyst-a/subscriptions", "csrf={csrf}&alerts=silent&alerts=down&reports=monthly&webhook=", 303)]),
        ((Get, "/api/v1/users/{name}/subscriptions"), vec![get("/api/v1/users/analyst-a/subscriptions", 200)]),
        ((Put, "/api/v1/users/{name}/subscriptions"), vec![json("/api/v1/users/analyst-a/subscriptions", serde_json::json!({"alerts": ["silent"], "reports": ["monthly"], "webhook": null}), 200)]),
        ((Get, "/api/v1/goals"), both(|s, _| get(&format!("/api/v1/goals?site={s}"), 200))),
        ((Post, "/api/v1/goals"), both(|s, _| json("/api/v1/goals", serde_json::json!({"site": s, "name": "Nộp hồ sơ", "event": "dvc"}), 201))),
        // Deleting is idempotent: every allowed caller deletes the fixture's goal of that side.
        ((Delete, "/api/v1/goals/{id}"), both(|s, _| get(&format!("/api/v1/goals/goal-{s}"), 204))),
        ((Post, "/goals"), both(|s, _| form("/goals", &format!("csrf={{csrf}}&site={s}&name=Th%E1%BB%A7+t%E1%BB%A5c&kind=page&value=%2Fthu-tuc%2F*"), 303))),
        ((Post, "/goals/{id}/delete"), both(|s, _| form(&format!("/goals/goal-{s}/delete"), "csrf={csrf}", 303))),
        ((Get, "/api/v1/annotations"), both(|s, _| get(&format!("/api/v1/annotations?site={s}&{Q}"), 200))),
        ((Post, "/api/v1/annotations"), both(|_, a| json("/api/v1/annotations", serde_json::json!({"agency": a, "date": "2026-03-02", "text": "Triển khai"}), 201))),
        ((Delete, "/api/v1/annotations/{id}"), both(|s, _| get(&format!("/api/v1/annotations/note-{s}"), 204))),
        ((Post, "/annotations"), both(|s, _| form("/annotations", &format!("csrf={{csrf}}&site={s}&date=2026-03-02&end=&text=S%E1%BB%B1+c%E1%BB%91"), 303))),
        ((Post, "/annotations/{id}/delete"), both(|s, _| form(&format!("/annotations/note-{s}/delete"), "csrf={csrf}", 303))),
        ((Get, "/api/v1/shares"), both(|s, _| get(&format!("/api/v1/shares?site={s}"), 200))),
        ((Post, "/api/v1/shares"), both(|s, _| json("/api/v1/shares", serde_json::json!({"site": s, "password": null}), 201))),
        ((Delete, "/api/v1/shares/{id}"), both(|s, _| get(&format!("/api/v1/shares/share-{s}"), 204))),
        ((Post, "/shares"), both(|s, _| form("/shares", &format!("csrf={{csrf}}&site={s}&password="), 201))),
        ((Post, "/shares/{id}/revoke"), both(|s, _| form(&format!("/shares/share-{s}/revoke"), "csrf={csrf}", 303))),
        // The fixture's link to site 227 (no password): its page, and the password form's redirect.
        ((Get, "/share/{token}"), vec![get(&format!("/share/token-page?{Q}"), 200)]),
        ((Post, "/share/{token}"), vec![form("/share/token-page", "password=x", 303)]),
    ]
}

/// May `role` call a route with rule `access` about a site or agency of `side`?
fn allowed(access: Access, role: Role, side: Side) -> bool {
    match access {
        Access::Public => true,
        _ if role == Role::Anonymous => false,
        Access::SignedIn => true,
        Access::Admin => role == Role::Admin,
        Access::Scoped => match side {
            Side::A => role != Role::AnalystB,
            Side::B => matches!(role, Role::Admin | Role::AnalystB),
            Side::Neither => panic!("a scoped route's samples name a site or agency of A or B"),
        },
        Access::Manage => role == Role::Admin || (role == Role::OwnerA && side == Side::A),
        // Every account sample names analyst-a.
        Access::Account => matches!(role, Role::Admin | Role::AnalystA),
    }
}

fn expected(spec: &RouteSpec, role: Role, sample: &Sample) -> u16 {
    if allowed(spec.access, role, sample.side) {
        sample.ok
    } else if role == Role::Anonymous {
        match spec.face {
            Face::Page => 303,
            Face::Api => 401,
        }
    } else {
        403
    }
}

/// The headers every answer carries, whatever its status.
pub fn assert_security_headers(what: &str, headers: &axum::http::HeaderMap) {
    let h = |name: header::HeaderName| {
        headers
            .get(&name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let csp = h(header::CONTENT_SECURITY_POLICY);
    assert_eq!(csp, CSP, "{what}: Content-Security-Policy");
    let script = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or("");
    assert!(
        script == "script-src 'self'",
        "{what}: no inline or third-party script: {script}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        h(header::X_FRAME_OPTIONS),
        "DENY",
        "{what}: X-Frame-Options"
    );
    assert_eq!(
        h(header::X_CONTENT_TYPE_OPTIONS),
        "nosniff",
        "{what}: X-Content-Type-Options"
    );
    assert_eq!(
        h(header::REFERRER_POLICY),
        "same-origin",
        "{what}: Referrer-Policy"
    );
}

/// How a signed-in role's request is authenticated: the API is tried both ways.
enum Caller {
    Cookie { cookie: String, csrf: String },
    Bearer(String),
}

/// A fresh browser session for `role` (straight into the session store: no password hashing
/// per request, and a sign-out or sign-in sample cannot spoil the next request's session).
async fn session(state: &AppState, role: Role) -> Option<Caller> {
    let name = role.username()?;
    let user = auth::find_user(&state.db, name).await.unwrap().unwrap();
    let (id, s) = auth::start_session(state, &auth::principal(&user).unwrap());
    Some(Caller::Cookie {
        cookie: format!("{SESSION_COOKIE}={id}"),
        csrf: s.csrf,
    })
}

async fn bearer(state: &AppState, role: Role) -> Option<Caller> {
    let name = role.username()?;
    let user = auth::find_user(&state.db, name).await.unwrap().unwrap();
    Some(Caller::Bearer(
        auth::issue_token(&state.db, &auth::principal(&user).unwrap())
            .await
            .unwrap(),
    ))
}

/// `{csrf}` in a body becomes the session's token, `{n}` a number unique to the request (so
/// an admin's second create, by bearer token, is not a conflict).
fn request(spec: &RouteSpec, sample: &Sample, caller: Option<&Caller>, n: usize) -> Request<Body> {
    let mut req = Request::builder()
        .method(spec.verb.method())
        .uri(&sample.uri);
    let mut cookies: Vec<&str> = sample.cookie.into_iter().collect();
    let mut csrf = "";
    match caller {
        Some(Caller::Cookie {
            cookie,
            csrf: token,
        }) => {
            cookies.push(cookie);
            csrf = token;
            req = req.header("x-csrf-token", token);
        }
        Some(Caller::Bearer(token)) => {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"))
        }
        None => {}
    }
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies.join("; "));
    }
    match &sample.body {
        Some((ct, body)) => req
            .header(header::CONTENT_TYPE, *ct)
            .body(Body::from(
                body.replace("{csrf}", csrf).replace("{n}", &n.to_string()),
            ))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

#[tokio::test]
async fn every_route_answers_each_role_as_its_rule_says() {
    let db = emc_sql::testing::test_db("dash_routes").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    user(&db, "analyst-a", "analyst", &["bo-a"]).await;
    user(&db, "owner-a", "owner", &["bo-a"]).await;
    user(&db, "analyst-b", "analyst", &["bo-b"]).await;
    for site in ["227", "300"] {
        let goal = emc_dashboard::reports::goals::GoalRow {
            id: format!("goal-{site}"),
            site: site.into(),
            name: "Nộp hồ sơ".into(),
            event_name: "dvc".into(),
            version: 1,
            ..Default::default()
        };
        emc_dashboard::reports::goals::write(&db, &goal)
            .await
            .unwrap();
        let note = emc_dashboard::reports::annotations::AnnotationRow {
            id: format!("note-{site}"),
            site: site.into(),
            date: 20_514,
            end_date: 20_514,
            text: "Triển khai".into(),
            version: 1,
            ..Default::default()
        };
        emc_dashboard::reports::annotations::write(&db, &note)
            .await
            .unwrap();
        let share = emc_dashboard::reports::shares::ShareRow {
            id: format!("share-{site}"),
            site: site.into(),
            token_hash: emc_dashboard::auth::token_hash(&format!("token-{site}")),
            version: 1,
            ..Default::default()
        };
        emc_dashboard::reports::shares::write(&db, &share)
            .await
            .unwrap();
    }
    let page = emc_dashboard::reports::shares::ShareRow {
        id: "share-page".into(),
        site: "227".into(),
        token_hash: emc_dashboard::auth::token_hash("token-page"),
        version: 1,
        ..Default::default()
    };
    emc_dashboard::reports::shares::write(&db, &page)
        .await
        .unwrap();
    let state = AppState::new(db.clone(), WebConfig::default());
    let router = emc_dashboard::router(state.clone());

    // The table and the samples cover each other exactly.
    let table = samples();
    let key = |s: &RouteSpec| (s.verb, s.path);
    let mut seen = std::collections::BTreeSet::new();
    for spec in ROUTES {
        assert!(
            seen.insert((spec.verb.method().to_string(), spec.path)),
            "{spec:?} is in ROUTES twice"
        );
    }
    let missing: Vec<_> = ROUTES
        .iter()
        .filter(|s| !table.iter().any(|(k, _)| *k == key(s)))
        .collect();
    assert!(missing.is_empty(), "routes without a sample (and so without a checked rule) in tests/it/routes.rs: {missing:?}");
    let stale: Vec<_> = table
        .iter()
        .filter(|(k, _)| !ROUTES.iter().any(|s| key(s) == *k))
        .map(|(k, _)| k)
        .collect();
    assert!(
        stale.is_empty(),
        "samples for routes that are not in ROUTES: {stale:?}"
    );

    let mut checked = 0;
    let mut wrong = vec![];
    for spec in ROUTES {
        let samples = &table.iter().find(|(k, _)| *k == key(spec)).unwrap().1;
        if matches!(spec.access, Access::Scoped | Access::Manage) {
            let sides: Vec<Side> = samples.iter().map(|s| s.side).collect();
            assert!(
                sides.contains(&Side::A) && sides.contains(&Side::B),
                "{spec:?}: a scoped route is tried on A and on B"
            );
        }
        for sample in samples {
            for (role, via) in ROLES
                .into_iter()
                .flat_map(|r| [(r, "cookie"), (r, "bearer")])
            {
                let caller = match via {
                    "cookie" => session(&state, role).await,
                    // The API also takes bearer tokens (pages only sessions): same rule.
                    _ if spec.face == Face::Api && role != Role::Anonymous => {
                        bearer(&state, role).await
                    }
                    _ => continue,
                };
                let r = send(&router, request(spec, sample, caller.as_ref(), checked)).await;
                let what = format!("{spec:?} {} as {role:?} ({via})", sample.uri);
                assert_security_headers(&what, &r.headers);
                let want = expected(spec, role, sample);
                if r.status.as_u16() != want {
                    wrong.push(format!(
                        "{what}: {} (want {want}): {}",
                        r.status,
                        r.body.chars().take(200).collect::<String>()
                    ));
                }
                if want == 303
                    && role == Role::Anonymous
                    && !allowed(spec.access, role, sample.side)
                {
                    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/login", "{what}");
                }
                checked += 1;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} answers differ from the rules:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= ROUTES.len() * ROLES.len());
    println!(
        "route table: {} routes, {} samples, {checked} answers checked",
        ROUTES.len(),
        table.iter().map(|(_, s)| s.len()).sum::<usize>()
    );
}

#[tokio::test]
async fn errors_redirects_and_unknown_paths_carry_the_security_headers() {
    let db = emc_sql::testing::test_db("dash_headers").await;
    let router = dashboard(&db);
    for (method, uri, status) in [
        ("GET", "/no-such-page", 404),
        ("POST", "/healthz", 405),
        ("GET", "/logout", 405),
        ("GET", "/", 303),
        ("GET", "/api/v1/sites", 401),
        ("GET", "/open-data/nothing.txt", 404),
        ("GET", "/static/app.css", 200),
        ("HEAD", "/static/app.css", 200),
        ("HEAD", "/healthz", 200),
    ] {
        let r = send(
            &router,
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status.as_u16(), status, "{method} {uri}");
        assert_security_headers(&format!("{method} {uri}"), &r.headers);
    }
}

/// A 5xx (ClickHouse unreachable) carries them too, on a page and on the API, and its body
/// names no internal detail.
#[tokio::test]
async fn server_errors_carry_the_security_headers() {
    let dead = emc_sql::Db::from_url("http://127.0.0.1:9", "emc_nowhere");
    let state = AppState::new(dead, WebConfig::default());
    let router = emc_dashboard::router(state.clone());
    let who = emc_dashboard::scope::Principal {
        username: "admin".into(),
        role: emc_dashboard::scope::Role::Admin,
        agencies: vec![],
    };
    let (id, _) = auth::start_session(&state, &who);
    for uri in ["/", "/api/v1/sites", "/open-data/ranking-2025.csv"] {
        let r = get_page(&router, uri, &format!("{SESSION_COOKIE}={id}")).await;
        assert_eq!(r.status.as_u16(), 500, "{uri}: {}", r.body);
        assert_security_headers(&format!("500 on {uri}"), &r.headers);
        assert!(
            !r.body.contains("127.0.0.1:9") && !r.body.contains("emc_nowhere"),
            "{uri}: {}",
            r.body
        );
    }
}
