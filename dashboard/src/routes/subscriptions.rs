//! Subscriptions: `GET|PUT /api/v1/users/{name}/subscriptions` and the user's page
//! `/users/{name}` with the same form. A user manages their own; an admin anyone's.
use super::{ApiJson, PageCaller};
use crate::alerts::rules::Rule;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiErrors, PageError};
use crate::notify::subscriptions::{
    self as subs, Period, SubscriptionInput, SubscriptionRow, Subscriptions,
};
use crate::pages::Chrome;
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;

/// The user named in the path, when the caller is that user or an admin (else `403`; an
/// unknown name is `404` for an admin, `403` for anyone else).
async fn account(state: &AppState, caller: &Caller, name: &str) -> Result<auth::UserRow, ApiError> {
    if !caller.who.is_admin() && caller.who.username != name {
        return Err(ApiError::Forbidden);
    }
    auth::find_user(&state.db, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {name}")))
}

async fn save(state: &AppState, caller: &Caller, row: &SubscriptionRow) -> Result<(), ApiError> {
    subs::put(&state.db, row).await?;
    let detail = format!(
        "alerts={} reports={} webhook={}",
        row.alerts.join(","),
        row.reports.join(","),
        if row.webhook.is_empty() {
            "none"
        } else {
            "set"
        }
    );
    crate::audit::record(
        &state.db,
        &caller.who.username,
        "subscriptions.update",
        &row.username,
        &detail,
    )
    .await?;
    Ok(())
}

/// What the user receives (the user themself, or an admin).
#[utoipa::path(get, path = "/api/v1/users/{name}/subscriptions", tag = "access",
    params(("name" = String, Path, description = "Username")),
    responses((status = 200, description = "Subscriptions", body = Subscriptions), ApiErrors))]
pub async fn get_api(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Subscriptions>, ApiError> {
    let user = account(&state, &caller, &name).await?;
    Ok(Json(subs::get(&state.db, &user.username).await?.view()))
}

/// Replaces what the user receives.
#[utoipa::path(put, path = "/api/v1/users/{name}/subscriptions", tag = "access",
    params(("name" = String, Path, description = "Username")), request_body = SubscriptionInput,
    responses((status = 200, description = "Saved", body = Subscriptions), ApiErrors))]
pub async fn put_api(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> Result<Json<Subscriptions>, ApiError> {
    super::api::check_write(&caller, &headers)?;
    let user = account(&state, &caller, &name).await?;
    let row = input.validate(&user.username)?;
    save(&state, &caller, &row).await?;
    Ok(Json(row.view()))
}

/// A checkbox of the form: (value, label, checked).
pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "user.html")]
pub struct UserPage {
    pub c: Chrome,
    pub user: auth::UserRow,
    pub alerts: Vec<Choice>,
    pub reports: Vec<Choice>,
    pub webhook: String,
}

pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(name): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let user = account(&state, &caller, &name).await?;
    let sub = subs::get(&state.db, &user.username).await?;
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let vi = c.t.lang == "vi";
    let alerts = Rule::ALL
        .iter()
        .map(|r| Choice {
            key: r.key(),
            label: if vi { r.label_vi() } else { r.label_en() },
            checked: sub.alerts.iter().any(|a| a == r.key()),
        })
        .collect();
    let reports = Period::ALL
        .iter()
        .map(|p| Choice {
            key: p.key(),
            label: c.t.word(match p {
                Period::Weekly => "report_weekly",
                Period::Monthly => "report_monthly",
            }),
            checked: sub.reports.iter().any(|r| r == p.key()),
        })
        .collect();
    let page = UserPage {
        c,
        user,
        alerts,
        reports,
        webhook: sub.webhook,
    };
    Ok(Html(page.render()?).into_response())
}

/// The form: checkboxes `alerts` and `reports` (repeated), `webhook`; then back to the page.
pub async fn post_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = super::pages::form(&body);
    super::pages::check_csrf(&caller, &pairs)?;
    let user = account(&state, &caller, &name).await?;
    let all = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let input = SubscriptionInput {
        alerts: all("alerts"),
        reports: all("reports"),
        webhook: Some(super::pages::field(&pairs, "webhook").to_owned()),
    };
    let row = input.validate(&user.username)?;
    save(&state, &caller, &row).await?;
    let to: String = form_urlencoded::byte_serialize(user.username.as_bytes()).collect();
    Ok(Redirect::to(&format!("/users/{to}")).into_response())
}
