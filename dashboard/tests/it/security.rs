//! CSRF, XSS, bad parameters, throttling, the registry API with its audit log.
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use emc_sql::rows::{EventRow, SessionRow};

const XSS: &str = "<script>alert(1)</script>";

#[tokio::test]
async fn forms_need_the_csrf_token_and_changes_are_audited() {
    let db = emc_sql::testing::test_db("dash_csrf").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    let router = dashboard(&db);
    let (cookie, csrf) = browser_login(&router, "admin").await;
    assert!(!csrf.is_empty());
    let post = |body: String| {
        Request::post("/admin/agencies")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let r = send(
        &router,
        post("id=so-x&name=S%E1%BB%9F&group=province&parent=".into()),
    )
    .await;
    assert_eq!(r.status, 403, "no token: refused");
    let r = send(
        &router,
        post("csrf=wrong&id=so-x&name=S&group=province&parent=".into()),
    )
    .await;
    assert_eq!(r.status, 403, "wrong token: refused");
    let r = send(
        &router,
        post(format!(
            "csrf={csrf}&id=so-x&name=S%E1%BB%9F&group=province&parent="
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The sign-in form itself: no token, no session.
    let r = send(
        &router,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("username=admin&password={PASSWORD}")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 403);
    // A cookie caller's API write needs the header token too.
    let api = |token: &str| {
        Request::post("/api/v1/agencies")
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", token)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                r#"{"id":"so-y","name":"Y","group":"province","parent":null}"#,
            ))
            .unwrap()
    };
    assert_eq!(send(&router, api("nope")).await.status, 403);
    assert_eq!(send(&router, api(&csrf)).await.status, 201);

    // The registry API: a site with Appendix I contacts, its snippets, and the audit log.
    let token = api_token(&router, "admin").await;
    let r = post_json(&router, "/api/v1/sites", &token, serde_json::json!({
        "name": "Cổng Sở X", "domains": ["sox.gov.vn"], "kind": "portal", "parent": null, "agency": "so-x",
        "contact_name": "Nguyễn Văn A", "contact_email": "a@sox.gov.vn"
    })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let code = created["code"].as_str().unwrap();
    assert!(created["snippet"]
        .as_str()
        .unwrap()
        .contains(&format!("data-site=\"{code}\"")));
    assert!(created["legacy_snippet"]
        .as_str()
        .unwrap()
        .contains("_govaq"));
    let r = post_json(&router, "/api/v1/sites", &token, serde_json::json!({"name": "x", "domains": ["bad domain"], "kind": "portal", "agency": "so-x"})).await;
    assert_eq!(
        (r.status.as_u16(), r.json()["param"].as_str()),
        (400, Some("domains"))
    );
    let audit = get(&router, "/api/v1/audit", &token).await.json();
    let actions: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action"].as_str().unwrap(), a["actor"].as_str().unwrap()))
        .collect();
    for want in [("agency.create", "admin"), ("site.create", "admin")] {
        assert!(actions.contains(&want), "{actions:?}");
    }
    let page = get_page(&router, "/admin", &cookie).await;
    assert!(page.body.contains("site.create") && page.body.contains("so-x"));
    let site_page = get_page(&router, &format!("/sites/{code}"), &cookie).await;
    assert!(site_page.body.contains("Nguyễn Văn A") && site_page.body.contains("_govaq"));
}

#[tokio::test]
async fn script_in_titles_paths_and_names_renders_inert() {
    let db = emc_sql::testing::test_db("dash_xss").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    let router = dashboard(&db);
    let token = api_token(&router, "admin").await;
    let r = post_json(&router, "/api/v1/sites", &token, serde_json::json!({"name": XSS, "domains": ["xss.gov.vn"], "kind": "portal", "agency": "bo-a", "code": "666"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A visit whose page path, title and referrer hold a script, written as the collector would.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(3, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp() as u32;
    let path = format!("/{XSS}");
    let session = SessionRow {
        site: "666".into(),
        session_id: 7,
        sign: 1,
        visitor_id: 9,
        start,
        timestamp: start,
        entry_page: path.clone(),
        exit_page: path.clone(),
        pageviews: 1,
        events: 1,
        is_bounce: 1,
        source: "referral".into(),
        referrer_source: XSS.into(),
        region: XSS.into(),
        ..SessionRow::default()
    };
    let mut ins = db.client().insert::<SessionRow>("sessions").await.unwrap();
    ins.write(&session).await.unwrap();
    ins.end().await.unwrap();
    let event = EventRow {
        site: "666".into(),
        timestamp: start,
        name: "pageview".into(),
        visitor_id: 9,
        session_id: 7,
        pathname: path.clone(),
        title: XSS.into(),
        ..EventRow::default()
    };
    let mut ins = db.client().insert::<EventRow>("events").await.unwrap();
    ins.write(&event).await.unwrap();
    ins.end().await.unwrap();

    let (cookie, _) = browser_login(&router, "admin").await;
    let q = "from=2026-03-02&to=2026-03-02";
    for uri in [
        format!("/sites/666?{q}"),
        format!("/?{q}"),
        "/admin".into(),
        format!("/sites/666?{q}&filter=page:{}", urlenc(&path)),
    ] {
        let page = get_page(&router, &uri, &cookie).await;
        assert_eq!(page.status, 200, "{uri}: {}", page.body);
        assert!(
            !page.body.contains(XSS),
            "{uri} carries the script as markup"
        );
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "{uri} shows it as text"
        );
    }
    let breakdown = get(
        &router,
        &format!("/api/v1/breakdown?site=666&{q}&by=page"),
        &token,
    )
    .await
    .json();
    assert_eq!(
        breakdown[0]["key"],
        serde_json::json!(path),
        "the API returns the data as it is, as JSON"
    );
}

fn urlenc(s: &str) -> String {
    url_encode(s)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn bad_parameters_name_themselves_and_sign_in_is_throttled() {
    let db = emc_sql::testing::test_db("dash_params").await;
    registry_fixture(&db).await;
    user(&db, "admin", "admin", &[]).await;
    let router = dashboard(&db);
    let token = api_token(&router, "admin").await;
    for (q, param) in [
        ("site=227&from=2026-02-30", "from"),
        ("site=227&to=yesterday", "to"),
        ("site=227&filter=colour:red", "filter"),
        ("from=2026-03-01", "site"),
        ("site=227&by=secret", "by"),
        ("site=227&interval=week", "interval"),
        ("site=227&limit=100000", "limit"),
    ] {
        let endpoint = if q.contains("by=") {
            "breakdown"
        } else if q.contains("interval") {
            "timeseries"
        } else {
            "stats"
        };
        let r = get(&router, &format!("/api/v1/{endpoint}?{q}"), &token).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(
            r.json()["param"],
            serde_json::json!(param),
            "{q}: {}",
            r.body
        );
    }
    // Five wrong passwords, then even the right one is refused for a while.
    let login = |password: &str| {
        Request::post("/api/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({"username": "admin", "password": password}).to_string(),
            ))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(send(&router, login("wrong-password")).await.status, 401);
    }
    assert_eq!(send(&router, login(PASSWORD)).await.status, 429);
}
