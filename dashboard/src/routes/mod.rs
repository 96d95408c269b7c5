//! HTTP handlers: `api` (JSON under /api/v1), `csv` (exports), `pages` (HTML), and per feature
//! `ranking`, `compliance` (with connection health), `retention` (admin page), `open_data` (public),
//! `scans` (the scanner's results).
pub mod admin;
pub mod alert_rules;
pub mod alerts;
pub mod annotations;
pub mod api;
pub mod compliance;
pub mod csv;
pub mod digest;
pub mod goals;
pub mod open_data;
pub mod pages;
pub mod ranking;
pub mod retention;
pub mod scans;
pub mod shares;
pub mod subscriptions;

use crate::auth::{self, Caller};
use crate::error::{ApiError, PageError};
use crate::params::{self, ReportParams};
use crate::reports::Scope;
use crate::scope::{self, Registry, Resolved, Target};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        auth::authenticate(state, parts).await
    }
}

/// The caller of an HTML page; without a session the browser is sent to `/login`.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(PageCaller(auth::authenticate(state, parts).await?))
    }
}

/// A JSON body whose errors are ours: `400` naming `body` and serde's message (which names the field).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad("body", e.body_text()))?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::bad("body", e.to_string()))
    }
}

/// A parsed, authorized report request.
pub struct Report {
    pub params: ReportParams,
    pub resolved: Resolved,
    pub registry: Registry,
}

impl Report {
    pub fn scope(&self) -> Scope<'_> {
        Scope {
            sites: &self.resolved.sites,
            range: self.params.range,
            filters: &self.params.filters,
        }
    }
    pub fn previous_scope(&self) -> Scope<'_> {
        Scope {
            sites: &self.resolved.sites,
            range: self.params.range.previous(),
            filters: &self.params.filters,
        }
    }
}

/// Parameters first (`400`), then the one authorization check (`404`/`403`).
pub async fn report(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
    route_target: Option<Target>,
) -> Result<Report, ApiError> {
    let tz = state.cfg.tz;
    let params = ReportParams::parse(&params::pairs(query), route_target, tz, params::today(tz))?;
    let registry = Registry::load(&state.db).await?;
    let resolved = scope::authorize(&caller.who, &registry, &params.target)?;
    Ok(Report {
        params,
        resolved,
        registry,
    })
}

/// `base` carrying a page's own query string, so its JSON and CSV links answer what the page
/// shows: `base?q`, or `base&q` when `base` already has a query.
pub(crate) fn with_query(base: &str, query: Option<&str>) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    query.map_or_else(|| base.to_owned(), |q| format!("{base}{sep}{q}"))
}
