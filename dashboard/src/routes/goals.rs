//! Goals: `GET|POST /api/v1/goals`, `DELETE /api/v1/goals/{id}`, and the site page's form
//! (`POST /goals`, `POST /goals/{id}/delete`). Every call is about a site or agency in scope.
use super::api::check_write;
use super::pages::{check_csrf, field, form};
use super::{report, ApiJson, PageCaller};
use crate::auth::Caller;
use crate::error::{ApiError, ApiErrors, PageError};
use crate::goals::{self, GoalInput, GoalOut};
use crate::openapi::query::ReportQuery;
use crate::scope::Target;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

/// The goals a report about `site=` or `agency=` shows (a site's own and its agencies').
#[utoipa::path(get, path = "/api/v1/goals", tag = "reports", operation_id = "list_goals", params(ReportQuery),
    responses((status = 200, description = "The goals that report shows", body = Vec<GoalOut>), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Vec<GoalOut>>, ApiError> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    let goals = goals::for_target(&state.db, &r.registry, &r.params.target).await?;
    Ok(Json(goals.iter().map(GoalOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/goals", tag = "reports", operation_id = "create_goals", request_body = GoalInput,
    responses((status = 201, description = "Created", body = GoalOut), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<GoalInput>,
) -> Result<impl IntoResponse, ApiError> {
    check_write(&caller, &headers)?;
    let row = goals::create(&state.db, &caller.who, &input).await?;
    Ok((StatusCode::CREATED, Json(GoalOut::from(&row))))
}

#[utoipa::path(delete, path = "/api/v1/goals/{id}", tag = "reports", operation_id = "delete_goals",
    params(("id" = String, Path, description = "The goal's id")),
    responses((status = 204, description = "Deleted (also when it already was)"), ApiErrors))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_write(&caller, &headers)?;
    goals::delete(&state.db, &caller.who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where a form goes back to: the local page it names in `back` (the report it was sent
/// from), else the report page of the goal's site or agency.
pub(crate) fn back_to(pairs: &[(String, String)], target: &Target, anchor: &str) -> String {
    let back = field(pairs, "back");
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        return format!("{back}#{anchor}");
    }
    let enc = |s: &str| -> String { form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    match target {
        Target::Site { code, .. } => format!("/sites/{}#{anchor}", enc(code)),
        Target::Agency { id } => format!("/agencies/{}#{anchor}", enc(id)),
        Target::Fleet | Target::Admin => "/".into(),
    }
}

/// The form: `site` or `agency`, `name`, `kind` (`event`|`page`) and `value`.
pub async fn create_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let value = field(&pairs, "value").to_owned();
    let kind = goals::Kind::parse(field(&pairs, "kind"))
        .ok_or_else(|| ApiError::bad("kind", "use event or page"))?;
    let opt = |n: &str| Some(field(&pairs, n).to_owned()).filter(|v| !v.is_empty());
    let input = GoalInput {
        site: opt("site"),
        agency: opt("agency"),
        name: field(&pairs, "name").to_owned(),
        event: (kind == goals::Kind::Event).then(|| value.clone()),
        page: (kind == goals::Kind::Page).then_some(value),
    };
    let row = goals::create(&state.db, &caller.who, &input).await?;
    let target = crate::owned::owner_of(&row.site, &row.agency);
    Ok(Redirect::to(&back_to(&pairs, &target, "goals")).into_response())
}

pub async fn delete_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let goal = goals::delete(&state.db, &caller.who, &id).await?;
    let target = crate::owned::owner_of(&goal.site, &goal.agency);
    Ok(Redirect::to(&back_to(&pairs, &target, "goals")).into_response())
}

/// One goal on the site page.
pub struct GoalLine {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub matcher: String,
    pub agency_wide: bool,
    pub conversions: i64,
    pub unique_converters: i64,
    pub rate: String,
}

/// The goals card of a report page (`templates/_goals.html`).
pub struct GoalsCard {
    pub rows: Vec<GoalLine>,
    pub csv: String,
    /// The form's owner: `site` or `agency`, and its code or id.
    pub owner_field: &'static str,
    pub owner: String,
    pub back: String,
    pub event_label: &'static str,
    pub page_label: &'static str,
}

/// The hidden field that names a form's site or agency, and its value.
pub(crate) fn form_owner(target: &Target) -> (&'static str, String) {
    match target {
        Target::Site { code, .. } => ("site", code.clone()),
        Target::Agency { id } => ("agency", id.clone()),
        Target::Fleet | Target::Admin => ("site", String::new()),
    }
}

/// The card of the report `r`, whose visits are `visits`; `csv_query` selects the same view.
pub async fn card(
    state: &AppState,
    r: &super::Report,
    visits: i64,
    lang: &str,
    back: String,
    csv_query: &str,
) -> Result<GoalsCard, ApiError> {
    let defined = goals::for_target(&state.db, &r.registry, &r.params.target).await?;
    let figures = goals::figures(&state.db, &r.scope(), &defined, visits).await?;
    let rows = figures
        .into_iter()
        .map(|g| GoalLine {
            kind: goals::Kind::parse(g.goal.kind).map_or("", |k| k.label(lang)),
            matcher: format!("{}{}", g.goal.event, g.goal.page),
            agency_wide: !g.goal.agency.is_empty(),
            conversions: g.figures.conversions,
            unique_converters: g.figures.unique_converters,
            rate: format!("{:.1}%", g.figures.conversion_rate * 100.0),
            id: g.goal.id,
            name: g.goal.name,
        })
        .collect();
    let (owner_field, owner) = form_owner(&r.params.target);
    Ok(GoalsCard {
        rows,
        csv: format!("/api/v1/export.csv?report=goals&{csv_query}"),
        owner_field,
        owner,
        back,
        event_label: goals::Kind::Event.label(lang),
        page_label: goals::Kind::Page.label(lang),
    })
}
