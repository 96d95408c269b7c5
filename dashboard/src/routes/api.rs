//! `/api/v1`: JSON, as CONTRACT.md says. Bearer token or session cookie; a cookie caller's
//! writes also carry the `X-CSRF-Token` header.
use super::{report, ApiJson};
use crate::auth::{self, Caller, Via};
use crate::error::ApiError;
use crate::params::By;
use crate::registry::{self as ops, AgencyInput, SiteInput};
use crate::reports::{self, Stats};
use crate::scope::{self, Registry};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let who = auth::check_login(&state, &body.username, &body.password).await?;
    let token = auth::issue_token(&state.db, &who).await?;
    Ok(Json(json!({ "token": token })))
}

/// Writes by a cookie session must carry its CSRF token in `X-CSRF-Token`.
pub(crate) fn check_write(caller: &Caller, headers: &HeaderMap) -> ApiResult<()> {
    match &caller.via {
        Via::Bearer => Ok(()),
        Via::Cookie { csrf, .. } => {
            let sent = headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if auth::same_token(sent, csrf) {
                Ok(())
            } else {
                Err(ApiError::Csrf)
            }
        }
    }
}

#[derive(Serialize)]
pub struct StatsResponse {
    #[serde(flatten)]
    stats: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<Stats>,
    sites: Vec<String>,
}

pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<StatsResponse>> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    let stats = reports::stats(&state.db, &r.scope()).await?;
    let previous = if r.params.compare {
        Some(reports::stats(&state.db, &r.previous_scope()).await?)
    } else {
        None
    };
    Ok(Json(StatsResponse {
        stats,
        previous,
        sites: r.resolved.sites,
    }))
}

pub async fn breakdown(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<impl IntoResponse> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    let json = match r.params.by {
        By::SearchKeyword => {
            Json(reports::site_search::keywords(&state.db, &r.scope(), r.params.limit).await?)
                .into_response()
        }
        By::Dimension(by) => {
            Json(reports::breakdown(&state.db, &r.scope(), by, r.params.limit).await?)
                .into_response()
        }
    };
    Ok(json)
}

pub async fn timeseries(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<impl IntoResponse> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    Ok(Json(
        reports::timeseries(&state.db, &r.scope(), r.params.interval).await?,
    ))
}

pub async fn realtime(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<impl IntoResponse> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    let now = chrono::Utc::now().timestamp() as u32;
    Ok(Json(
        reports::realtime(&state.db, &r.resolved.sites, now).await?,
    ))
}

/// Every site in scope with its headline figures (`from`, `to`, `sort`, `dir`).
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        super::pages::overview_rows(&state, &caller, q.as_deref())
            .await?
            .1,
    ))
}

#[derive(Serialize)]
struct SiteOut<'a> {
    code: &'a str,
    name: &'a str,
    domains: &'a [String],
    kind: &'a str,
    parent: &'a str,
    agency: &'a str,
}

pub async fn list_sites(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    let reg = Registry::load(&state.db).await?;
    let out: Vec<Value> = reg
        .sites_in_scope(&caller.who)
        .into_iter()
        .map(|s| {
            json!(SiteOut {
                code: &s.code,
                name: &s.name,
                domains: &s.domains,
                kind: &s.kind,
                parent: &s.parent,
                agency: &s.agency
            })
        })
        .collect();
    Ok(Json(out))
}

pub async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SiteInput>,
) -> ApiResult<impl IntoResponse> {
    scope::require_admin(&caller.who)?;
    check_write(&caller, &headers)?;
    let row = ops::add_site(&state.db, &caller.who, input).await?;
    let body = json!({
        "code": row.code,
        "snippet": ops::snippet(&state.cfg.collector_url, &row.code),
        "legacy_snippet": ops::legacy_snippet(&state.cfg.collector_url, &row.code),
    });
    Ok((StatusCode::CREATED, Json(body)))
}

pub async fn list_agencies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    let reg = Registry::load(&state.db).await?;
    let out: Vec<Value> = reg
        .agencies_in_scope(&caller.who)
        .into_iter()
        .map(|a| json!({ "id": a.id, "name": a.name, "group": a.group_kind, "parent": a.parent }))
        .collect();
    Ok(Json(out))
}

pub async fn create_agency(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AgencyInput>,
) -> ApiResult<impl IntoResponse> {
    scope::require_admin(&caller.who)?;
    check_write(&caller, &headers)?;
    let row = ops::add_agency(&state.db, &caller.who, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": row.id }))))
}

#[derive(Deserialize)]
pub struct UserInput {
    username: String,
    password: String,
    role: String,
    #[serde(default)]
    agencies: Vec<String>,
    #[serde(default)]
    email: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<impl IntoResponse> {
    scope::require_admin(&caller.who)?;
    check_write(&caller, &headers)?;
    let reg = Registry::load(&state.db).await?;
    let new = auth::NewUser {
        username: input.username,
        password: input.password,
        role: input.role,
        agencies: input.agencies,
        email: input.email,
    };
    let row = auth::create_user(&state.db, &reg, new).await?;
    let detail = format!("role={} agencies={}", row.role, row.agencies.join(","));
    crate::audit::record(
        &state.db,
        &caller.who.username,
        "user.create",
        &row.username,
        &detail,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "username": row.username })),
    ))
}

pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<impl IntoResponse> {
    scope::require_admin(&caller.who)?;
    let users = auth::list_users(&state.db).await?;
    let out: Vec<Value> = users
        .iter()
        .map(|u| json!({ "username": u.username, "role": u.role, "agencies": u.agencies, "email": u.email }))
        .collect();
    Ok(Json(out))
}

pub async fn audit(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    scope::require_admin(&caller.who)?;
    Ok(Json(crate::reports::audit::list(&state.db, 1000).await?))
}
