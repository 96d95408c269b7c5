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
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use emc_sql::catalog::CatalogQuery;
use routes::{admin, api, compliance as compliance_routes, csv, open_data as open_data_routes, pages as page_routes, ranking as ranking_routes, retention as retention_routes};
use tower_http::trace::TraceLayer;

/// The Content-Security-Policy of every response: no inline script, no third party.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Routes first, layers after (a layer wraps only the routes added before it).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/login", get(page_routes::login_form).post(page_routes::login))
        .route("/logout", post(page_routes::logout))
        .route("/lang", get(page_routes::lang))
        .route("/", get(page_routes::overview))
        .route("/sites/{code}", get(page_routes::site_report))
        .route("/sites/{code}/contact", post(page_routes::site_contact))
        .route("/agencies/{id}", get(page_routes::agency_report))
        .route("/admin", get(admin::admin))
        .route("/admin/agencies", post(admin::create_agency))
        .route("/admin/sites", post(admin::create_site))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/retention", get(retention_routes::page))
        .route("/ranking", get(ranking_routes::page))
        .route("/compliance", get(compliance_routes::page))
        .route("/open-data", get(open_data_routes::page))
        .route("/open-data/catalog.jsonld", get(open_data_routes::catalog))
        .route("/open-data/{file}", get(open_data_routes::file))
        .route("/metrics", get(metrics::metrics))
        .route("/static/app.css", get(|| async { static_file("text/css; charset=utf-8", include_str!("../static/app.css")) }))
        .route("/static/app.js", get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../static/app.js")) }))
        .route("/api/v1/login", post(api::login))
        .route("/api/v1/agencies", get(api::list_agencies).post(api::create_agency))
        .route("/api/v1/sites", get(api::list_sites).post(api::create_site))
        .route("/api/v1/users", get(api::list_users).post(api::create_user))
        .route("/api/v1/stats", get(api::stats))
        .route("/api/v1/breakdown", get(api::breakdown))
        .route("/api/v1/timeseries", get(api::timeseries))
        .route("/api/v1/realtime", get(api::realtime))
        .route("/api/v1/overview", get(api::overview))
        .route("/api/v1/audit", get(api::audit))
        .route("/api/v1/export.csv", get(csv::export))
        .route("/api/v1/ranking", get(ranking_routes::api))
        .route("/api/v1/compliance", get(compliance_routes::api))
        .route("/api/v1/health", get(compliance_routes::health_api))
        .route("/healthz", get(|| async { "ok" }))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    res
}

fn leak(v: Vec<&'static str>) -> &'static [&'static str] {
    Box::leak(v.into_boxed_slice())
}

/// Sample binds for `SESSIONS_WHERE` (no filter set).
fn sessions_binds() -> Vec<&'static str> {
    let mut v = vec!["['227','10000']", "1772298000", "1772384400", "''", "['227','10000']", "1772298000", "1772470800", "''"];
    v.extend(std::iter::repeat_n("''", 22));
    v
}

fn events_binds() -> Vec<&'static str> {
    let mut v = vec!["['227','10000']", "1772298000", "1772470800", "'/tin-tuc'", "'/tin-tuc'"];
    v.extend(sessions_binds());
    v
}

/// Every query the dashboard sends, with sample binds, for the modern-ClickHouse check.
pub fn queries() -> Vec<CatalogQuery> {
    use queries::sql;
    let daily = leak(vec!["['227']", "'2026-03-01'", "'2026-03-31'"]);
    let mut out = vec![
        CatalogQuery { name: "dashboard.stats_sessions_daily", sql: sql::STATS_SESSIONS_DAILY, binds: daily },
        CatalogQuery { name: "dashboard.stats_events_daily", sql: sql::STATS_EVENTS_DAILY, binds: daily },
        CatalogQuery { name: "dashboard.stats_sessions_raw", sql: sql::STATS_SESSIONS_RAW, binds: leak(sessions_binds()) },
        CatalogQuery { name: "dashboard.stats_events_raw", sql: sql::STATS_EVENTS_RAW, binds: leak(events_binds()) },
        CatalogQuery { name: "dashboard.ts_sessions_daily", sql: sql::TS_SESSIONS_DAILY, binds: leak(vec!["'month'", "['227']", "'2026-03-01'", "'2026-03-31'"]) },
        CatalogQuery { name: "dashboard.ts_events_daily", sql: sql::TS_EVENTS_DAILY, binds: leak(vec!["'day'", "['227']", "'2026-03-01'", "'2026-03-31'"]) },
        CatalogQuery { name: "dashboard.ts_sessions_hourly", sql: sql::TS_SESSIONS_HOURLY, binds: leak(vec!["'Asia/Ho_Chi_Minh'", "['227']", "1772298000", "1772384400"]) },
        CatalogQuery { name: "dashboard.ts_events_hourly", sql: sql::TS_EVENTS_HOURLY, binds: leak(vec!["'Asia/Ho_Chi_Minh'", "['227']", "1772298000", "1772384400"]) },
        CatalogQuery { name: "dashboard.page_breakdown", sql: sql::PAGE_BREAKDOWN, binds: leak([events_binds(), vec!["10"]].concat()) },
        CatalogQuery { name: "dashboard.overview_sessions", sql: sql::OVERVIEW_SESSIONS, binds: daily },
        CatalogQuery { name: "dashboard.overview_events", sql: sql::OVERVIEW_EVENTS, binds: daily },
        CatalogQuery { name: "dashboard.realtime", sql: sql::REALTIME, binds: leak(vec!["['227']", "1772298000"]) },
        CatalogQuery { name: "dashboard.user_by_name", sql: auth::USER_BY_NAME, binds: leak(vec!["'admin'"]) },
        CatalogQuery { name: "dashboard.list_users", sql: auth::LIST_USERS, binds: &[] },
        CatalogQuery { name: "dashboard.token_user", sql: auth::TOKEN_USER, binds: leak(vec!["'00ff'", "1772298000"]) },
        CatalogQuery { name: "dashboard.list_audit", sql: audit::LIST_AUDIT, binds: leak(vec!["100"]) },
    ];
    let ts_prefix = ["'day'", "'Asia/Ho_Chi_Minh'", "'day'", "'Asia/Ho_Chi_Minh'", "'Asia/Ho_Chi_Minh'"];
    out.push(CatalogQuery { name: "dashboard.ts_sessions_raw", sql: sql::TS_SESSIONS_RAW, binds: leak([ts_prefix.to_vec(), sessions_binds()].concat()) });
    out.push(CatalogQuery { name: "dashboard.ts_events_raw", sql: sql::TS_EVENTS_RAW, binds: leak([ts_prefix.to_vec(), events_binds()].concat()) });
    for (dim, stmt) in sql::SESSION_BREAKDOWNS {
        let name: &'static str = Box::leak(format!("dashboard.breakdown_{dim}").into_boxed_str());
        out.push(CatalogQuery { name, sql: stmt, binds: leak([sessions_binds(), vec!["10"]].concat()) });
    }
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
            assert!(!emc_sql::catalog::bind(q.sql, q.binds).contains('?'), "{}", q.name);
        }
    }
}
pub mod compliance;
pub mod health;
pub mod ranking;
pub mod retention;
