//! A dashboard on a fresh test database, driven with `oneshot`, plus a collector to load visits.
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use emc_collector::config::{CommonConfig, ServeConfig};
use emc_dashboard::auth::{self, NewUser};
use emc_dashboard::scope::Registry;
use emc_dashboard::{AppState, WebConfig};
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::Db;
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
pub const PASSWORD: &str = "mat-khau-dai-du-10";

pub fn common(db: &Db, data_dir: &std::path::Path) -> CommonConfig {
    CommonConfig {
        clickhouse_url: Some(db.url().to_owned()),
        clickhouse_db: db.database().to_owned(),
        clickhouse_cluster: None,
        data_dir: data_dir.to_owned(),
        geoip_db: vec![concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../collector/testdata/geo/dbip-flat-test.mmdb"
        )
        .into()],
        session_timeout: 1800,
        timezone: "Asia/Ho_Chi_Minh".into(),
        batch_rows: 10_000,
        flush_ms: 100,
    }
}

pub fn serve_config() -> ServeConfig {
    ServeConfig {
        addr: "127.0.0.1:0".into(),
        trusted_proxies: vec![],
        registry_refresh_secs: 1,
        max_body_bytes: 16 * 1024,
        matomo_token: None,
        salt_dir: None,
        limits: emc_collector::limits::LimitsConfig::no_rate_limit(),
    }
}

pub async fn agency(db: &Db, id: &str, group: AgencyGroup, parent: Option<&str>) {
    registry::add_agency(
        db,
        NewAgency {
            id: id.into(),
            name: format!("Cơ quan {id}"),
            group,
            parent: parent.map(String::from),
        },
    )
    .await
    .unwrap();
}

pub async fn site(
    db: &Db,
    code: &str,
    domain: &str,
    agency: &str,
    kind: SiteKind,
    parent: Option<&str>,
) {
    let new = NewSite {
        name: format!("Cổng {code}"),
        domains: vec![domain.into()],
        kind,
        parent: parent.map(String::from),
        agency: agency.into(),
        code: Some(code.into()),
    };
    registry::add_site(db, new).await.unwrap();
}

/// Ministries `bo-a` (with sub-agency `cuc-a1`) and `bo-b`; portal 227 (bo-a) with component
/// 228 (cuc-a1); portal 300 (bo-b).
pub async fn registry_fixture(db: &Db) {
    agency(db, "bo-a", AgencyGroup::Ministry, None).await;
    agency(db, "cuc-a1", AgencyGroup::Other, Some("bo-a")).await;
    agency(db, "bo-b", AgencyGroup::Ministry, None).await;
    site(db, "227", "portal.gov.vn", "bo-a", SiteKind::Portal, None).await;
    site(
        db,
        "228",
        "cuc.portal.gov.vn",
        "cuc-a1",
        SiteKind::Component,
        Some("227"),
    )
    .await;
    site(db, "300", "bob.gov.vn", "bo-b", SiteKind::Portal, None).await;
}

pub async fn user(db: &Db, name: &str, role: &str, agencies: &[&str]) {
    let reg = Registry::load(db).await.unwrap();
    let new = NewUser {
        username: name.into(),
        password: PASSWORD.into(),
        role: role.into(),
        agencies: agencies.iter().map(|s| s.to_string()).collect(),
        email: String::new(),
    };
    auth::create_user(db, &reg, new).await.unwrap();
}

pub fn dashboard(db: &Db) -> Router {
    emc_dashboard::router(AppState::new(db.clone(), WebConfig::default()))
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Reply {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// GET with a bearer token.
pub async fn get(router: &Router, uri: &str, token: &str) -> Reply {
    send(
        router,
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// GET with a session cookie.
pub async fn get_page(router: &Router, uri: &str, cookie: &str) -> Reply {
    send(
        router,
        Request::get(uri)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

pub async fn post_json(router: &Router, uri: &str, token: &str, body: serde_json::Value) -> Reply {
    let req = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, req).await
}

pub async fn api_token(router: &Router, name: &str) -> String {
    let req = Request::post("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({"username": name, "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let r = send(router, req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_owned()
}

/// Signs in through the form (CSRF double-submit cookie); returns (cookie header, page CSRF token).
pub async fn browser_login(router: &Router, name: &str) -> (String, String) {
    let form = send(router, Request::get("/login").body(Body::empty()).unwrap()).await;
    let set = form
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let login_cookie = set.split(';').next().unwrap().to_owned();
    let token = login_cookie.split_once('=').unwrap().1.to_owned();
    assert!(form.body.contains(&token));
    let body = format!("csrf={token}&username={name}&password={PASSWORD}");
    let req = Request::post("/login")
        .header(header::COOKIE, &login_cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let r = send(router, req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let page = get_page(router, "/admin", &cookie).await;
    let csrf = page
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .unwrap_or_default();
    (cookie, csrf)
}
