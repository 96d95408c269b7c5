//! `/api/v1`: JSON, as CONTRACT.md says. Bearer token or session cookie; a cookie caller's
//! writes also carry the `X-CSRF-Token` header.
use super::{report, ApiJson};
use crate::audit::AuditRow;
use crate::auth::{self, Caller, Via};
use crate::error::{ApiError, ApiErrors, ErrorBody};
use crate::openapi::query::{OverviewQuery, ReportQuery};
use crate::params::By;
use crate::registry::{self as ops, AgencyInput, SiteInput};
use crate::reports::site_search::SearchRow;
use crate::reports::{self, BreakdownRow, Point, Realtime, SiteFigures, Stats};
use crate::scope::{self, Registry};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type ApiResult<T> = Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    /// Send it as `Authorization: Bearer TOKEN`.
    token: String,
}

/// Exchanges a username and password for an API token.
#[utoipa::path(post, path = "/api/v1/login", tag = "access", security(()), request_body = LoginBody,
    responses((status = 200, description = "Signed in", body = TokenOut), ApiErrors,
        (status = 429, description = "Too many failed sign-ins", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<TokenOut>> {
    let who = auth::check_login(&state, &body.username, &body.password).await?;
    let token = auth::issue_token(&state.db, &who).await?;
    Ok(Json(TokenOut { token }))
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

#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    #[serde(flatten)]
    stats: Stats,
    /// The period of the same length just before, with `compare=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    previous: Option<Stats>,
    /// The site codes the figures cover.
    sites: Vec<String>,
    /// The goals of the site or agency with their conversions over the same scope.
    goals: Vec<crate::goals::GoalFigures>,
}

/// A breakdown's rows: by a dimension, or (`by=search_keyword`) the site-search keywords.
#[derive(Serialize)]
#[serde(untagged)]
pub enum BreakdownOut {
    Dimension(Vec<BreakdownRow>),
    SearchKeyword(Vec<SearchRow>),
}

/// `anyOf` (an empty list is both), so written out rather than derived (`oneOf`).
impl utoipa::PartialSchema for BreakdownOut {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder};
        use utoipa::openapi::Ref;
        AnyOfBuilder::new()
            .item(ArrayBuilder::new().items(Ref::from_schema_name(BreakdownRow::name())))
            .item(ArrayBuilder::new().items(Ref::from_schema_name(SearchRow::name())))
            .description(Some(
                "By a dimension, or the site-search keywords (`by=search_keyword`)",
            ))
            .into()
    }
}

impl ToSchema for BreakdownOut {
    fn schemas(
        out: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        out.push((BreakdownRow::name().into(), BreakdownRow::schema()));
        out.push((SearchRow::name().into(), SearchRow::schema()));
    }
}

/// Headline figures of a site or agency over a range.
#[utoipa::path(get, path = "/api/v1/stats", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "The figures", body = StatsResponse), ApiErrors))]
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
    let defined = crate::goals::for_target(&state.db, &r.registry, &r.params.target).await?;
    let goals = crate::goals::figures(&state.db, &r.scope(), &defined, stats.visits).await?;
    Ok(Json(StatsResponse {
        stats,
        previous,
        sites: r.resolved.sites,
        goals,
    }))
}

/// The top values of a dimension (`by`), or the site-search keywords.
#[utoipa::path(get, path = "/api/v1/breakdown", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "Rows, most visits first", body = BreakdownOut), ApiErrors))]
pub async fn breakdown(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<BreakdownOut>> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    Ok(Json(match r.params.by {
        By::SearchKeyword => BreakdownOut::SearchKeyword(
            reports::site_search::keywords(&state.db, &r.scope(), r.params.limit).await?,
        ),
        By::Dimension(by) => BreakdownOut::Dimension(
            reports::breakdown(&state.db, &r.scope(), by, r.params.limit).await?,
        ),
    }))
}

/// Visits, visitors and page views per hour, day or month.
#[utoipa::path(get, path = "/api/v1/timeseries", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "One point per interval", body = Vec<Point>), ApiErrors))]
pub async fn timeseries(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Vec<Point>>> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    Ok(Json(
        reports::timeseries(&state.db, &r.scope(), r.params.interval).await?,
    ))
}

/// Visitors and hits of the last minutes.
#[utoipa::path(get, path = "/api/v1/realtime", tag = "reports", params(ReportQuery),
    responses((status = 200, description = "Now", body = Realtime), ApiErrors))]
pub async fn realtime(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Realtime>> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    let now = chrono::Utc::now().timestamp() as u32;
    Ok(Json(
        reports::realtime(&state.db, &r.resolved.sites, now).await?,
    ))
}

/// Every site in scope with its headline figures (`from`, `to`, `sort`, `dir`).
#[utoipa::path(get, path = "/api/v1/overview", tag = "reports", params(OverviewQuery),
    responses((status = 200, description = "One row per site", body = Vec<SiteFigures>), ApiErrors))]
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Vec<SiteFigures>>> {
    Ok(Json(
        super::pages::overview_rows(&state, &caller, q.as_deref())
            .await?
            .1,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SiteOut {
    code: String,
    name: String,
    domains: Vec<String>,
    /// `portal` or `component`.
    kind: String,
    /// The portal of a component, `""` for a portal.
    parent: String,
    agency: String,
}

/// The registered sites in the caller's scope.
#[utoipa::path(get, path = "/api/v1/sites", tag = "registry",
    responses((status = 200, description = "Sites", body = Vec<SiteOut>), ApiErrors))]
pub async fn list_sites(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SiteOut>>> {
    let reg = Registry::load(&state.db).await?;
    let out = reg
        .sites_in_scope(&caller.who)
        .into_iter()
        .map(|s| SiteOut {
            code: s.code.clone(),
            name: s.name.clone(),
            domains: s.domains.clone(),
            kind: s.kind.clone(),
            parent: s.parent.clone(),
            agency: s.agency.clone(),
        })
        .collect();
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct SiteCreated {
    code: String,
    /// The tag to paste into the site's pages.
    snippet: String,
    /// The Matomo-compatible tag, for portals that keep their Matomo tracker.
    legacy_snippet: String,
}

/// Registers a site (admins).
#[utoipa::path(post, path = "/api/v1/sites", tag = "registry", request_body = SiteInput,
    responses((status = 201, description = "Registered", body = SiteCreated), ApiErrors,
        (status = 409, description = "The code or a domain is taken", body = ErrorBody)))]
pub async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SiteInput>,
) -> ApiResult<(StatusCode, Json<SiteCreated>)> {
    scope::require_admin(&caller.who)?;
    check_write(&caller, &headers)?;
    let row = ops::add_site(&state.db, &caller.who, input).await?;
    let body = SiteCreated {
        snippet: ops::snippet(&state.cfg.collector_url, &row.code),
        legacy_snippet: ops::legacy_snippet(&state.cfg.collector_url, &row.code),
        code: row.code,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Serialize, ToSchema)]
pub struct AgencyOut {
    id: String,
    name: String,
    /// `ministry`, `province` or `other`.
    group: String,
    /// The parent agency's id, `""` for none.
    parent: String,
}

/// The agencies in the caller's scope.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "registry",
    responses((status = 200, description = "Agencies", body = Vec<AgencyOut>), ApiErrors))]
pub async fn list_agencies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AgencyOut>>> {
    let reg = Registry::load(&state.db).await?;
    let out = reg
        .agencies_in_scope(&caller.who)
        .into_iter()
        .map(|a| AgencyOut {
            id: a.id.clone(),
            name: a.name.clone(),
            group: a.group_kind.clone(),
            parent: a.parent.clone(),
        })
        .collect();
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct AgencyCreated {
    id: String,
}

/// Registers an agency (admins).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "registry", request_body = AgencyInput,
    responses((status = 201, description = "Registered", body = AgencyCreated), ApiErrors,
        (status = 409, description = "The id is taken or the parent unknown", body = ErrorBody)))]
pub async fn create_agency(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AgencyInput>,
) -> ApiResult<(StatusCode, Json<AgencyCreated>)> {
    scope::require_admin(&caller.who)?;
    check_write(&caller, &headers)?;
    let row = ops::add_agency(&state.db, &caller.who, input).await?;
    Ok((StatusCode::CREATED, Json(AgencyCreated { id: row.id })))
}

#[derive(Deserialize, ToSchema)]
pub struct UserInput {
    username: String,
    password: String,
    /// `admin`, `analyst` or `owner`.
    role: String,
    /// The agencies an analyst or owner sees (with everything under them).
    #[serde(default)]
    agencies: Vec<String>,
    /// Where alerts and reports are mailed.
    #[serde(default)]
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserCreated {
    username: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    username: String,
    role: String,
    agencies: Vec<String>,
    email: String,
}

/// Creates a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "access", request_body = UserInput,
    responses((status = 201, description = "Created", body = UserCreated), ApiErrors,
        (status = 409, description = "The username is taken", body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<UserInput>,
) -> ApiResult<(StatusCode, Json<UserCreated>)> {
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
        Json(UserCreated {
            username: row.username,
        }),
    ))
}

/// Every user (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "access",
    responses((status = 200, description = "Users", body = Vec<UserOut>), ApiErrors))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserOut>>> {
    scope::require_admin(&caller.who)?;
    let users = auth::list_users(&state.db).await?;
    let out = users
        .into_iter()
        .map(|u| UserOut {
            username: u.username,
            role: u.role,
            agencies: u.agencies,
            email: u.email,
        })
        .collect();
    Ok(Json(out))
}

/// The newest 1,000 rows of the audit log (admins).
#[utoipa::path(get, path = "/api/v1/audit", tag = "access",
    responses((status = 200, description = "Newest first", body = Vec<AuditRow>), ApiErrors))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AuditRow>>> {
    scope::require_admin(&caller.who)?;
    Ok(Json(crate::reports::audit::list(&state.db, 1000).await?))
}
