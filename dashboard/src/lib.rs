//! EMC dashboard: sign-in and roles, the registry, reports (pages, JSON API, CSV), charts.
//!
//! `router(state)` is the whole HTTP face (tests drive it with `oneshot`); `main.rs` parses
//! the configuration, opens ClickHouse, creates the first admin and serves it.
pub mod audit;
pub mod auth;
pub mod bench;
pub mod charts;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod open_data;
pub mod pages;
pub mod params;
pub mod queries;
pub mod registry;
pub mod routes;
pub mod scope;
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
    admin, api, compliance as compliance_routes, csv, open_data as open_data_routes,
    pages as page_routes, ranking as ranking_routes, retention as retention_routes,
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
}

impl Verb {
    pub fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
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

use Access::{Admin, Manage, Public, Scoped, SignedIn};
use Face::{Api, Page};
use Verb::{Get, Post};

/// Every route of the dashboard: `router()` is built from this table and nothing else.
#[rustfmt::skip]
pub const ROUTES: &[RouteSpec] = &[
    r(Get,  "/login",                      Public,   Page, |m| on(m, page_routes::login_form)),
    r(Post, "/login",                      Public,   Page, |m| on(m, page_routes::login)),
    r(Post, "/logout",                     SignedIn, Page, |m| on(m, page_routes::logout)),
    r(Get,  "/lang",                       Public,   Page, |m| on(m, page_routes::lang)),
    r(Get,  "/",                           SignedIn, Page, |m| on(m, page_routes::overview)),
    r(Get,  "/sites/{code}",               Scoped,   Page, |m| on(m, page_routes::site_report)),
    r(Post, "/sites/{code}/contact",       Manage,   Page, |m| on(m, page_routes::site_contact)),
    r(Get,  "/agencies/{id}",              Scoped,   Page, |m| on(m, page_routes::agency_report)),
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
    r(Get,  "/healthz",                    Public,   Api,  |m| on(m, || async { "ok" })),
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

fn leak(v: Vec<&'static str>) -> &'static [&'static str] {
    Box::leak(v.into_boxed_slice())
}

/// Sample binds for `SESSIONS_WHERE` (no filter set).
fn sessions_binds() -> Vec<&'static str> {
    let mut v = vec![
        "['227','10000']",
        "1772298000",
        "1772384400",
        "''",
        "['227','10000']",
        "1772298000",
        "1772470800",
        "''",
    ];
    v.extend(std::iter::repeat_n("''", 22));
    v
}

fn events_binds() -> Vec<&'static str> {
    let mut v = vec![
        "['227','10000']",
        "1772298000",
        "1772470800",
        "'/tin-tuc'",
        "'/tin-tuc'",
    ];
    v.extend(sessions_binds());
    v
}

/// Every query the dashboard sends, with sample binds, for the modern-ClickHouse check.
pub fn queries() -> Vec<CatalogQuery> {
    use queries::sql;
    let daily = leak(vec!["['227']", "'2026-03-01'", "'2026-03-31'"]);
    let mut out = vec![
        CatalogQuery {
            name: "dashboard.stats_sessions_daily",
            sql: sql::STATS_SESSIONS_DAILY,
            binds: daily,
        },
        CatalogQuery {
            name: "dashboard.stats_events_daily",
            sql: sql::STATS_EVENTS_DAILY,
            binds: daily,
        },
        CatalogQuery {
            name: "dashboard.stats_sessions_raw",
            sql: sql::STATS_SESSIONS_RAW,
            binds: leak(sessions_binds()),
        },
        CatalogQuery {
            name: "dashboard.stats_events_raw",
            sql: sql::STATS_EVENTS_RAW,
            binds: leak(events_binds()),
        },
        CatalogQuery {
            name: "dashboard.ts_sessions_daily",
            sql: sql::TS_SESSIONS_DAILY,
            binds: leak(vec!["'month'", "['227']", "'2026-03-01'", "'2026-03-31'"]),
        },
        CatalogQuery {
            name: "dashboard.ts_events_daily",
            sql: sql::TS_EVENTS_DAILY,
            binds: leak(vec!["'day'", "['227']", "'2026-03-01'", "'2026-03-31'"]),
        },
        CatalogQuery {
            name: "dashboard.ts_sessions_hourly",
            sql: sql::TS_SESSIONS_HOURLY,
            binds: leak(vec![
                "'Asia/Ho_Chi_Minh'",
                "['227']",
                "1772298000",
                "1772384400",
            ]),
        },
        CatalogQuery {
            name: "dashboard.ts_events_hourly",
            sql: sql::TS_EVENTS_HOURLY,
            binds: leak(vec![
                "'Asia/Ho_Chi_Minh'",
                "['227']",
                "1772298000",
                "1772384400",
            ]),
        },
        CatalogQuery {
            name: "dashboard.page_breakdown",
            sql: sql::PAGE_BREAKDOWN,
            binds: leak([events_binds(), vec!["10"]].concat()),
        },
        CatalogQuery {
            name: "dashboard.overview_sessions",
            sql: sql::OVERVIEW_SESSIONS,
            binds: daily,
        },
        CatalogQuery {
            name: "dashboard.overview_events",
            sql: sql::OVERVIEW_EVENTS,
            binds: daily,
        },
        CatalogQuery {
            name: "dashboard.realtime",
            sql: sql::REALTIME,
            binds: leak(vec!["['227']", "1772298000"]),
        },
        CatalogQuery {
            name: "dashboard.user_by_name",
            sql: auth::USER_BY_NAME,
            binds: leak(vec!["'admin'"]),
        },
        CatalogQuery {
            name: "dashboard.list_users",
            sql: auth::LIST_USERS,
            binds: &[],
        },
        CatalogQuery {
            name: "dashboard.token_user",
            sql: auth::TOKEN_USER,
            binds: leak(vec!["'00ff'", "1772298000"]),
        },
        CatalogQuery {
            name: "dashboard.list_audit",
            sql: audit::LIST_AUDIT,
            binds: leak(vec!["100"]),
        },
    ];
    let ts_prefix = [
        "'day'",
        "'Asia/Ho_Chi_Minh'",
        "'day'",
        "'Asia/Ho_Chi_Minh'",
        "'Asia/Ho_Chi_Minh'",
    ];
    out.push(CatalogQuery {
        name: "dashboard.ts_sessions_raw",
        sql: sql::TS_SESSIONS_RAW,
        binds: leak([ts_prefix.to_vec(), sessions_binds()].concat()),
    });
    out.push(CatalogQuery {
        name: "dashboard.ts_events_raw",
        sql: sql::TS_EVENTS_RAW,
        binds: leak([ts_prefix.to_vec(), events_binds()].concat()),
    });
    for (dim, stmt) in sql::SESSION_BREAKDOWNS {
        let name: &'static str = Box::leak(format!("dashboard.breakdown_{dim}").into_boxed_str());
        out.push(CatalogQuery {
            name,
            sql: stmt,
            binds: leak([sessions_binds(), vec!["10"]].concat()),
        });
    }
    out.extend(queries::rollup_queries());
    out.extend(ranking::queries());
    out.extend(compliance::queries());
    out.extend(health::queries());
    out.extend(retention::queries());
    out.extend(open_data::queries());
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|q| seen.insert(q.sql));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_query_has_one_bind_per_placeholder() {
        for q in super::queries() {
            let placeholders = q.sql.matches('?').count();
            assert_eq!(placeholders, q.binds.len(), "{}", q.name);
            assert!(
                !emc_sql::catalog::bind(q.sql, q.binds).contains('?'),
                "{}",
                q.name
            );
        }
    }
}
pub mod compliance;
pub mod health;
pub mod ranking;
pub mod retention;
