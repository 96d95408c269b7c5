//! Shared links: a link shows its site's figures without a cookie, and nothing else — not
//! another site (`?site=`, `?agency=`, components, filters), not the API, an agency or admin
//! page; a password is asked for, a wrong one refused and throttled like sign-in; a revoked
//! link is gone; creation and revocation are scoped and audited.
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use chrono::{TimeZone, Utc};
use emc_collector::pipeline::{Hit, Origin};
use serde_json::json;

/// (site, client ip, user agent, seconds after 08:00 local on 2026-03-02, path).
const HITS: &[(&str, &str, &str, i64, &str)] = &[
    ("227", "14.160.1.1", CHROME, 0, "/chi-227-a"),
    ("227", "14.160.1.1", CHROME, 60, "/chi-227-b"),
    ("227", "14.176.1.1", IPHONE, 100, "/chi-227-a"),
    ("227", "14.160.2.2", FIREFOX, 200, "/chi-227-a"),
    ("228", "14.160.1.1", CHROME, 300, "/chi-228"),
    ("300", "8.8.8.8", FIREFOX, 400, "/chi-300"),
];

const RANGE: &str = "from=2026-03-02&to=2026-03-02";

async fn load(name: &str) -> (axum::Router, emc_sql::Db) {
    let db = emc_sql::testing::test_db(name).await;
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
    for &(site, ip, ua, at, path) in HITS {
        let hit = Hit {
            site: site.into(),
            name: "pageview".into(),
            url: format!("https://{}{path}", host(site)),
            referrer: None,
            title: Some("Trang".into()),
            screen_width: Some(1280),
            engaged_ms: None,
            timing: Default::default(),
            meta: Default::default(),
            props: vec![],
            client_ip: ip.parse().unwrap(),
            user_agent: ua.into(),
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

/// A request without any credential (and an optional cookie).
async fn anonymous(
    router: &axum::Router,
    method: &str,
    uri: &str,
    cookie: &str,
    body: &str,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if !cookie.is_empty() {
        req = req.header(header::COOKIE, cookie);
    }
    if method == "POST" {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    send(router, req.body(Body::from(body.to_owned())).unwrap()).await
}

async fn delete(router: &axum::Router, uri: &str, token: &str) -> u16 {
    let req = Request::delete(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(router, req).await.status.as_u16()
}

/// The KPI row's values, in order (visits, visitors, page views, …).
fn cards(html: &str) -> Vec<String> {
    html.split("<span class=\"v\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_owned())
        .collect()
}

/// Nothing a read-only page must carry: forms that write, CSV/API links, user or admin chrome.
fn assert_read_only(html: &str) {
    for bad in [
        "method=\"post\"",
        "name=\"csrf\"",
        "/api/v1/",
        "href=\"/admin",
        "href=\"/users/",
        "href=\"/compliance",
        "/scan\"",
        "/details/",
        "/chi-300",
        "/chi-228",
    ] {
        assert!(!html.contains(bad), "a shared page holds {bad:?}");
    }
}

#[tokio::test]
async fn a_shared_link_shows_one_site_and_nothing_else() {
    let (router, _db) = load("dash_shares").await;
    let analyst = api_token(&router, "analyst-a").await;
    let other = api_token(&router, "analyst-b").await;
    let admin = api_token(&router, "admin").await;

    // Created in scope only; the URL carries a token shown once.
    let r = post_json(&router, "/api/v1/shares", &analyst, json!({"site": "300"})).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post_json(&router, "/api/v1/shares", &analyst, json!({"site": "999"})).await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = post_json(
        &router,
        "/api/v1/shares",
        &analyst,
        json!({"site": "227", "password": "short"}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = post_json(
        &router,
        "/api/v1/shares",
        &analyst,
        json!({"site": "227", "password": null}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let url = created["url"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let token = url.strip_prefix("/share/").unwrap().to_owned();
    assert_eq!(token.len(), 64, "{url}");
    assert_eq!(created["password"], false);

    // Listed (without the token) for the site's scope, not for another's.
    let r = get(&router, "/api/v1/shares?site=227", &analyst).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert!(!r.body.contains(&token));
    let r = get(&router, "/api/v1/shares", &other).await;
    assert_eq!(r.json().as_array().unwrap().len(), 0, "{}", r.body);
    assert_eq!(
        get(&router, "/api/v1/shares?site=227", &other).await.status,
        403
    );

    // The page, without any cookie: site 227's figures, computed from HITS: 3 visitors with
    // one visit each (all hits within 30 minutes), 4 page views.
    let visits = HITS
        .iter()
        .filter(|h| h.0 == "227")
        .map(|h| h.1)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let views = HITS.iter().filter(|h| h.0 == "227").count();
    let page = anonymous(&router, "GET", &format!("{url}?{RANGE}"), "", "").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let kpi = cards(&page.body);
    // Each visitor made one visit here, so visitors = visits.
    assert_eq!(
        kpi[..3],
        [visits.to_string(), visits.to_string(), views.to_string()],
        "{kpi:?}"
    );
    assert!(page.body.contains("/chi-227-a") && page.body.contains("/chi-227-b"));
    assert_read_only(&page.body);

    // The query cannot move it to another site, an agency or the portal's components.
    for q in [
        "site=300",
        "agency=bo-b",
        "agency=bo-a",
        "include_components=true",
        "site=300&include_components=true",
    ] {
        let r = anonymous(&router, "GET", &format!("{url}?{RANGE}&{q}"), "", "").await;
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        assert_eq!(cards(&r.body)[..3], kpi[..3], "{q}");
        assert_read_only(&r.body);
    }
    // A filter narrows the site's own figures only.
    let r = anonymous(
        &router,
        "GET",
        &format!("{url}?{RANGE}&filter=page:/chi-300"),
        "",
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(cards(&r.body)[0], "0");
    let r = anonymous(
        &router,
        "GET",
        &format!("{url}?{RANGE}&filter=page:/chi-227-b"),
        "",
        "",
    )
    .await;
    assert_eq!(cards(&r.body)[0], "1");

    // The token is no credential anywhere else.
    let bearer = |uri: &str| {
        let (router, token, uri) = (router.clone(), token.clone(), uri.to_owned());
        async move { get(&router, &uri, &token).await.status.as_u16() }
    };
    assert_eq!(
        bearer(&format!("/api/v1/stats?site=227&{RANGE}")).await,
        401
    );
    assert_eq!(bearer("/api/v1/shares").await, 401);
    for uri in ["/sites/227", "/sites/300", "/agencies/bo-a", "/admin", "/"] {
        let r = anonymous(&router, "GET", uri, "", "").await;
        assert!(r.status.is_redirection(), "{uri}: {}", r.status);
        assert_eq!(r.headers[header::LOCATION], "/login", "{uri}");
    }
    assert_eq!(
        anonymous(&router, "GET", "/share/0000", "", "")
            .await
            .status,
        404
    );

    // Revoked: out of scope 403, in scope 204 (twice), then the link is gone.
    assert_eq!(
        delete(&router, &format!("/api/v1/shares/{id}"), &other).await,
        403
    );
    assert_eq!(
        delete(&router, &format!("/api/v1/shares/{id}"), &analyst).await,
        204
    );
    assert_eq!(
        delete(&router, &format!("/api/v1/shares/{id}"), &analyst).await,
        204
    );
    assert_eq!(delete(&router, "/api/v1/shares/nope", &analyst).await, 404);
    let r = anonymous(&router, "GET", &url, "", "").await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(!r.body.contains("/chi-227"));
    assert_eq!(
        get(&router, "/api/v1/shares", &analyst)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    // Audited, once each.
    let log = get(&router, "/api/v1/audit", &admin).await.json();
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["target"] == id.as_str())
        .map(|a| (a["action"].as_str().unwrap(), a["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(
        actions.contains(&("share.create", "analyst-a"))
            && actions.contains(&("share.revoke", "analyst-a")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_password_is_asked_for_refused_when_wrong_and_throttled() {
    let (router, _db) = load("dash_share_password").await;
    let admin = api_token(&router, "admin").await;
    let secret = "mat-khau-chia-se";
    let r = post_json(
        &router,
        "/api/v1/shares",
        &admin,
        json!({"site": "227", "password": secret}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["password"], true);
    let url = r.json()["url"].as_str().unwrap().to_owned();

    // Asked for, figures withheld.
    let r = anonymous(&router, "GET", &url, "", "").await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("type=\"password\""));
    assert!(!r.body.contains("/chi-227"));
    // Wrong: refused with the form again.
    let r = anonymous(&router, "POST", &url, "", "password=sai-mat-khau").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Sai mật khẩu") && !r.body.contains("/chi-227"));
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    // Right: a cookie for this link, which then opens it.
    let r = anonymous(&router, "POST", &url, "", &format!("password={secret}")).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers[header::LOCATION], url.as_str());
    let set = r.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let r = anonymous(&router, "GET", &format!("{url}?{RANGE}"), &cookie, "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("/chi-227-a"));
    assert_read_only(&r.body);
    // A forged cookie does not.
    let (name, _) = cookie.split_once('=').unwrap();
    let forged = format!("{name}={}", "0".repeat(64));
    assert_eq!(
        anonymous(&router, "GET", &url, &forged, "").await.status,
        401
    );
    // The cookie is no session: pages and the API still want a sign-in.
    let r = anonymous(&router, "GET", "/sites/227", &cookie, "").await;
    assert_eq!(r.headers[header::LOCATION], "/login");

    // Throttled like sign-in: after MAX_FAILURES wrong passwords (counted afresh since the right
    // one), even the right one waits.
    for _ in 0..emc_dashboard::auth::MAX_FAILURES {
        assert_eq!(
            anonymous(&router, "POST", &url, "", "password=sai")
                .await
                .status,
            401
        );
    }
    let r = anonymous(&router, "POST", &url, "", &format!("password={secret}")).await;
    assert_eq!(r.status, 429, "{}", r.body);
}

/// The site page's card: a signed-in analyst creates a link with the form (shown once, never
/// stored), sees it listed without its token, and revokes it with its button; the form wants
/// the page's CSRF token and a site in scope, and the shared page carries no such card.
#[tokio::test]
async fn the_site_page_creates_lists_and_revokes_links() {
    let (router, _db) = load("dash_share_card").await;
    let (cookie, _) = browser_login(&router, "analyst-a").await;

    let page = get_page(&router, "/sites/227", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The page's CSRF token, as the card's forms carry it.
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with the CSRF token")
        .to_owned();
    assert!(!csrf.is_empty());
    assert!(page.body.contains("id=\"shares\""), "no card");
    assert!(page.body.contains("action=\"/shares\""));
    assert!(!page.body.contains("/revoke\""), "no link yet");

    // Refused: without the page's CSRF token, and for a site outside the analyst's scope.
    let r = anonymous(&router, "POST", "/shares", &cookie, "site=227").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let body = format!("csrf={csrf}&site=300&password=");
    let r = anonymous(&router, "POST", "/shares", &cookie, &body).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let body = format!("csrf={csrf}&site=227&password=short");
    let r = anonymous(&router, "POST", "/shares", &cookie, &body).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Created: the answer shows the link this once, whole, at the address the browser used.
    let body = format!("csrf={csrf}&site=227&password=");
    let req = Request::post("/shares")
        .header(header::COOKIE, &cookie)
        .header(header::HOST, "emc.example.gov.vn")
        .header("x-forwarded-proto", "https")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let created = send(&router, req).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        created
            .body
            .contains("value=\"https://emc.example.gov.vn/share/"),
        "{}",
        created.body
    );
    let token: String = created
        .body
        .split("/share/")
        .nth(1)
        .expect("the link is on the page")
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{}", created.body);
    let url = format!("/share/{token}");
    assert_eq!(anonymous(&router, "GET", &url, "", "").await.status, 200);

    // Listed on the page, without its token; the shared page itself has no card.
    let page = get_page(&router, "/sites/227", &cookie).await;
    let revoke = page
        .body
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|a| a.starts_with("/shares/") && a.ends_with("/revoke"))
        .expect("a revoke button")
        .to_owned();
    assert!(!page.body.contains(&token));
    let shared = anonymous(&router, "GET", &url, "", "").await;
    assert!(!shared.body.contains("id=\"shares\""));

    // Revoked with the button: back to the card, and the link is gone.
    let r = anonymous(&router, "POST", &revoke, &cookie, "").await;
    assert_eq!(r.status, 403, "no CSRF token: {}", r.body);
    let r = anonymous(&router, "POST", &revoke, &cookie, &format!("csrf={csrf}")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.headers[header::LOCATION], "/sites/227#shares");
    assert_eq!(anonymous(&router, "GET", &url, "", "").await.status, 404);
    let page = get_page(&router, "/sites/227", &cookie).await;
    assert!(
        !page.body.contains("/revoke\""),
        "revoked links are not listed"
    );
}
