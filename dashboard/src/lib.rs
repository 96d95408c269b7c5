//! EMC dashboard: sign-in and roles, the registry, reports (pages, JSON API, CSV), charts.
//!
//! `router(state)` is the whole HTTP face (tests drive it with `oneshot`); `main.rs` parses
//! the configuration, opens ClickHouse, creates the first admin and serves it.
pub mod alerts;
pub mod annotations;
pub mod audit;
pub mod auth;
pub mod charts;
pub mod compliance;
pub mod digest;
pub mod error;
pub mod goals;
pub mod health;
pub mod i18n;
pub mod map;
pub mod metrics;
pub mod notes_cli;
pub mod notify;
pub mod numbers;
pub mod open_data;
pub mod openapi;
pub mod overview_page;
pub mod owned;
pub mod pages;
pub mod params;
pub mod ranking;
pub mod registry;
pub mod reports;
pub mod retention;
pub mod routes;
pub mod scans;
pub mod scope;
pub mod shares;
pub mod site_page;
pub mod state;
pub mod words;

pub use state::{AppState, WebConfig};

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use emc_sql::catalog::CatalogQuery;
use routes::{
    admin, alert_rules, alerts as alert_routes, annotations as annotation_routes, api,
    compliance as compliance_routes, csv, digest as digest_routes, goals as goal_routes,
    open_data as open_data_routes, pages as page_routes, ranking as ranking_routes,
    retention as retention_routes, scans as scans_routes, shares as share_routes, subscriptions,
};
use tower_http::trace::TraceLayer;

/// The Content-Security-Policy of every response: no inline script, no third party.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Who may call a route. The route-table test (`tests/it/routes.rs`) derives every role's
/// expected answer from this rule, so each route states it here, next to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in, language, open data, static files, liveness).
    Public,
    /// Any signed-in user; the answer lists only what is in the caller's scope.
    SignedIn,
    /// Signed in, and the site or agency named by the path or `site=`/`agency=` is in scope
    /// (`scope::authorize`): otherwise `403`.
    Scoped,
    /// An admin, or the owner of the site's agency (`scope::may_manage_site`).
    Manage,
    /// Admins only.
    Admin,
    /// The user named by the path (`{name}`), or an admin: otherwise `403`.
    Account,
}

/// What an anonymous caller of a non-public route gets: a page redirects to `/login` (`303`),
/// the API answers `401`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Page,
    Api,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    pub fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// One route: method, path pattern, access rule, and the handler registration.
pub struct RouteSpec {
    pub verb: Verb,
    pub path: &'static str,
    pub access: Access,
    pub face: Face,
    /// Registers the handler for the given method (`on(filter, handler)`).
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl std::fmt::Debug for RouteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} {} ({:?}, {:?})",
            self.verb, self.path, self.access, self.face
        )
    }
}

const fn r(
    verb: Verb,
    path: &'static str,
    access: Access,
    face: Face,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
) -> RouteSpec {
    RouteSpec {
        verb,
        path,
        access,
        face,
        handler,
    }
}

use Access::{Account, Admin, Manage, Public, Scoped, SignedIn};
use Face::{Api, Page};
use Verb::{Delete, Get, Post, Put};

/// Every route of the dashboard: `router()` is built from this table and nothing else.
#[rustfmt::skip]
pub const ROUTES: &[RouteSpec] = &[
    r(Get,  "/login",                      Public,   Page, |m| on(m, page_routes::login_form)),
    r(Post, "/login",                      Public,   Page, |m| on(m, page_routes::login)),
    r(Post, "/logout",                     SignedIn, Page, |m| on(m, page_routes::logout)),
    r(Get,  "/lang",                       Public,   Page, |m| on(m, page_routes::lang)),
    r(Get,  "/",                           SignedIn, Page, |m| on(m, overview_page::page)),
    r(Get,  "/sites/{code}",               Scoped,   Page, |m| on(m, page_routes::site_report)),
    r(Post, "/sites/{code}/contact",       Manage,   Page, |m| on(m, page_routes::site_contact)),
    r(Get,  "/sites/{code}/scan",          Scoped,   Page, |m| on(m, scans_routes::scorecard)),
    r(Post, "/sites/{code}/scan",          Manage,   Page, |m| on(m, scans_routes::request_scan)),
    r(Get,  "/scans",                      SignedIn, Page, |m| on(m, scans_routes::fleet)),
    r(Get,  "/agencies/{id}",              Scoped,   Page, |m| on(m, page_routes::agency_report)),
    r(Get,  "/sites/{code}/details/{by}",  Scoped,   Page, |m| on(m, site_page::details::site)),
    r(Get,  "/agencies/{id}/details/{by}", Scoped,   Page, |m| on(m, site_page::details::agency)),
    r(Get,  "/admin",                      Admin,    Page, |m| on(m, admin::admin)),
    r(Post, "/admin/agencies",             Admin,    Page, |m| on(m, admin::create_agency)),
    r(Post, "/admin/sites",                Admin,    Page, |m| on(m, admin::create_site)),
    r(Post, "/admin/users",                Admin,    Page, |m| on(m, admin::create_user)),
    r(Get,  "/admin/retention",            Admin,    Page, |m| on(m, retention_routes::page)),
    r(Get,  "/ranking",                    SignedIn, Page, |m| on(m, ranking_routes::page)),
    r(Get,  "/compliance",                 Scoped,   Page, |m| on(m, compliance_routes::page)),
    r(Get,  "/open-data",                  Public,   Page, |m| on(m, open_data_routes::page)),
    r(Get,  "/open-data/catalog.jsonld",   Public,   Api,  |m| on(m, open_data_routes::catalog)),
    r(Get,  "/open-data/{file}",           Public,   Api,  |m| on(m, open_data_routes::file)),
    r(Get,  "/metrics",                    Admin,    Api,  |m| on(m, metrics::metrics)),
    r(Get,  "/static/app.css",             Public,   Api,  |m| on(m, || async { static_file("text/css; charset=utf-8", include_str!("../static/app.css")) })),
    r(Get,  "/static/app.js",              Public,   Api,  |m| on(m, || async { static_file("text/javascript; charset=utf-8", include_str!("../static/app.js")) })),
    r(Post, "/api/v1/login",               Public,   Api,  |m| on(m, api::login)),
    r(Get,  "/api/v1/agencies",            SignedIn, Api,  |m| on(m, api::list_agencies)),
    r(Post, "/api/v1/agencies",            Admin,    Api,  |m| on(m, api::create_agency)),
    r(Get,  "/api/v1/sites",               SignedIn, Api,  |m| on(m, api::list_sites)),
    r(Post, "/api/v1/sites",               Admin,    Api,  |m| on(m, api::create_site)),
    r(Get,  "/api/v1/users",               Admin,    Api,  |m| on(m, api::list_users)),
    r(Post, "/api/v1/users",               Admin,    Api,  |m| on(m, api::create_user)),
    r(Get,  "/api/v1/stats",               Scoped,   Api,  |m| on(m, api::stats)),
    r(Get,  "/api/v1/breakdown",           Scoped,   Api,  |m| on(m, api::breakdown)),
    r(Get,  "/api/v1/timeseries",          Scoped,   Api,  |m| on(m, api::timeseries)),
    r(Get,  "/api/v1/realtime",            Scoped,   Api,  |m| on(m, api::realtime)),
    r(Get,  "/api/v1/overview",            SignedIn, Api,  |m| on(m, api::overview)),
    r(Get,  "/api/v1/audit",               Admin,    Api,  |m| on(m, api::audit)),
    r(Get,  "/api/v1/export.csv",          Scoped,   Api,  |m| on(m, csv::export)),
    r(Get,  "/api/v1/ranking",             SignedIn, Api,  |m| on(m, ranking_routes::api)),
    r(Get,  "/api/v1/compliance",          Scoped,   Api,  |m| on(m, compliance_routes::api)),
    r(Get,  "/api/v1/health",              Scoped,   Api,  |m| on(m, compliance_routes::health_api)),
    r(Get,  "/api/v1/scans",               Scoped,   Api,  |m| on(m, scans_routes::api)),
    r(Get,  "/api/v1/scans.csv",           Scoped,   Api,  |m| on(m, scans_routes::csv)),
    r(Get,  "/healthz",                    Public,   Api,  |m| on(m, || async { "ok" })),
    r(Get,  "/alerts",                     SignedIn, Page, |m| on(m, alert_routes::page)),
    r(Get,  "/api/v1/alerts",              SignedIn, Api,  |m| on(m, alert_routes::api)),
    r(Get,  "/api/v1/sites/{code}/alert-rules", Scoped, Api, |m| on(m, alert_rules::get_rules)),
    r(Put,  "/api/v1/sites/{code}/alert-rules", Scoped, Api, |m| on(m, alert_rules::put_rules)),
    r(Post, "/sites/{code}/alert-rules",   Scoped,   Page, |m| on(m, alert_rules::post_form)),
    r(Get,  "/reports/monthly",            Scoped,   Page, |m| on(m, digest_routes::monthly)),
    r(Get,  "/users/{name}",               Account,  Page, |m| on(m, subscriptions::page)),
    r(Post, "/users/{name}/subscriptions", Account,  Page, |m| on(m, subscriptions::post_form)),
    r(Get,  "/api/v1/openapi.json",        Public,   Api,  |m| on(m, openapi::openapi_json)),
    r(Get,  "/api/v1/users/{name}/subscriptions", Account, Api, |m| on(m, subscriptions::get_api)),
    r(Put,  "/api/v1/users/{name}/subscriptions", Account, Api, |m| on(m, subscriptions::put_api)),
    r(Get,  "/api/v1/goals",               Scoped,   Api,  |m| on(m, goal_routes::list)),
    r(Post, "/api/v1/goals",               Scoped,   Api,  |m| on(m, goal_routes::create)),
    r(Delete, "/api/v1/goals/{id}",        Scoped,   Api,  |m| on(m, goal_routes::delete)),
    r(Post, "/goals",                      Scoped,   Page, |m| on(m, goal_routes::create_form)),
    r(Post, "/goals/{id}/delete",          Scoped,   Page, |m| on(m, goal_routes::delete_form)),
    r(Get,  "/api/v1/annotations",         Scoped,   Api,  |m| on(m, annotation_routes::list)),
    r(Post, "/api/v1/annotations",         Scoped,   Api,  |m| on(m, annotation_routes::create)),
    r(Delete, "/api/v1/annotations/{id}",  Scoped,   Api,  |m| on(m, annotation_routes::delete)),
    r(Post, "/annotations",                Scoped,   Page, |m| on(m, annotation_routes::create_form)),
    r(Post, "/annotations/{id}/delete",    Scoped,   Page, |m| on(m, annotation_routes::delete_form)),
    r(Get,  "/api/v1/shares",              Scoped,   Api,  |m| on(m, share_routes::list)),
    r(Post, "/api/v1/shares",              Scoped,   Api,  |m| on(m, share_routes::create)),
    r(Delete, "/api/v1/shares/{id}",       Scoped,   Api,  |m| on(m, share_routes::delete)),
    r(Post, "/shares",                     Scoped,   Page, |m| on(m, share_routes::create_form)),
    r(Post, "/shares/{id}/revoke",         Scoped,   Page, |m| on(m, share_routes::revoke_form)),
    r(Get,  "/share/{token}",              Public,   Page, |m| on(m, share_routes::page)),
    r(Post, "/share/{token}",              Public,   Page, |m| on(m, share_routes::unlock)),
];

/// Built from [`ROUTES`]: routes first, layers after (a layer wraps only the routes added
/// before it; axum's default fallback is wrapped too, so a 404 carries the security headers).
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    for spec in ROUTES {
        app = app.route(spec.path, (spec.handler)(spec.verb.filter()));
    }
    app.layer(axum::middleware::from_fn(security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// On every response, errors, redirects and static files included: the CSP (no inline
/// script), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
/// `Referrer-Policy: same-origin`, and `Cache-Control: no-store` unless the handler set one.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Every query the dashboard sends, bound with sample values, for the modern-ClickHouse check
/// (built from the report layer's statements: [`reports::catalog`]).
pub fn queries() -> Vec<CatalogQuery> {
    reports::catalog()
}
