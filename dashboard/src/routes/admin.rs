//! `/admin`: agencies, sites (Appendix I), users and the audit log; forms post back here.
use super::pages::{contact_from, field, form};
use super::PageCaller;
use crate::auth::{self, Caller};
use crate::error::{ApiError, PageError};
use crate::pages::{contact_labels, AdminPage, Chrome};
use crate::registry::{self as ops, AgencyInput, SiteInput};
use crate::scope::{self, Registry};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};

type PageResult = Result<Response, PageError>;

/// Admin only, and the form's CSRF token must match the session's.
fn guard(caller: &Caller, pairs: &[(String, String)]) -> Result<(), ApiError> {
    scope::require_admin(&caller.who)?;
    if auth::same_token(field(pairs, "csrf"), caller.csrf()) {
        Ok(())
    } else {
        Err(ApiError::Csrf)
    }
}

async fn render(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    notice: Option<String>,
    created: Option<(String, String)>,
) -> PageResult {
    let reg = Registry::load(&state.db).await?;
    let users = auth::list_users(&state.db).await?;
    let tz = state.cfg.tz;
    let audit = crate::reports::audit::list(&state.db, 200)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|a| (local_time(a.at, tz), a))
        .collect();
    let deliveries = crate::notify::log::recent(&state.db, 200)
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .map(|d| (local_time(d.at, tz), d))
        .collect();
    let c = Chrome::new(headers, uri, Some(caller));
    let contact_fields = contact_labels(c.t);
    let page = AdminPage {
        c,
        notice,
        created,
        agencies: reg.agencies,
        sites: reg.sites,
        users,
        audit,
        deliveries,
        contact_fields,
    };
    Ok(Html(page.render()?).into_response())
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` in `tz`.
pub(crate) fn local_time(at: u32, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp(i64::from(at), 0)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

pub async fn admin(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
) -> PageResult {
    scope::require_admin(&caller.who)?;
    render(&state, &caller, &headers, &uri, None, None).await
}

/// A refused form shows the admin page again with the reason (400/409), never a 5xx detail.
async fn outcome(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    uri: &Uri,
    result: Result<(String, Option<(String, String)>), ApiError>,
) -> PageResult {
    match result {
        Ok((notice, created)) => render(state, caller, headers, uri, Some(notice), created).await,
        Err(e @ (ApiError::BadParam { .. } | ApiError::Conflict(_))) => {
            let status = e.status();
            let mut res =
                render(state, caller, headers, uri, Some(e.public_message()), None).await?;
            *res.status_mut() = status;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_agency(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> PageResult {
    let pairs = form(&body);
    guard(&caller, &pairs)?;
    let input = AgencyInput {
        id: field(&pairs, "id").trim().to_owned(),
        name: field(&pairs, "name").to_owned(),
        group: field(&pairs, "group").to_owned(),
        parent: Some(field(&pairs, "parent").to_owned()),
    };
    let result = ops::add_agency(&state.db, &caller.who, input)
        .await
        .map(|a| (format!("{}: {}", a.id, a.name), None));
    outcome(&state, &caller, &headers, &uri, result).await
}

pub async fn create_site(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> PageResult {
    let pairs = form(&body);
    guard(&caller, &pairs)?;
    let input = SiteInput {
        name: field(&pairs, "name").to_owned(),
        domains: field(&pairs, "domains")
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from)
            .collect(),
        kind: field(&pairs, "kind").to_owned(),
        parent: Some(field(&pairs, "parent").to_owned()),
        agency: field(&pairs, "agency").trim().to_owned(),
        code: Some(field(&pairs, "code").to_owned()),
        search_params: field(&pairs, "search_params")
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect(),
        contact: contact_from(&pairs),
    };
    let collector = state.cfg.collector_url.clone();
    let t = Chrome::new(&headers, &uri, Some(&caller)).t;
    let result = ops::add_site(&state.db, &caller.who, input).await.map(|s| {
        let snippets = (
            ops::snippet(&collector, &s.code),
            ops::legacy_snippet(&collector, &s.code),
        );
        (
            format!("{} {} (code: {})", t.site_created, s.name, s.code),
            Some(snippets),
        )
    });
    outcome(&state, &caller, &headers, &uri, result).await
}

pub async fn create_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> PageResult {
    let pairs = form(&body);
    guard(&caller, &pairs)?;
    let reg = Registry::load(&state.db).await?;
    let new = auth::NewUser {
        username: field(&pairs, "username").trim().to_owned(),
        password: field(&pairs, "password").to_owned(),
        role: field(&pairs, "role").to_owned(),
        agencies: field(&pairs, "agencies")
            .split([',', ' '])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(String::from)
            .collect(),
        email: field(&pairs, "email").to_owned(),
    };
    let result = match auth::create_user(&state.db, &reg, new).await {
        Ok(u) => {
            let detail = format!("role={} agencies={}", u.role, u.agencies.join(","));
            crate::audit::record(
                &state.db,
                &caller.who.username,
                "user.create",
                &u.username,
                &detail,
            )
            .await
            .map_err(ApiError::from)?;
            Ok((format!("{} ({})", u.username, u.role), None))
        }
        Err(e) => Err(e),
    };
    outcome(&state, &caller, &headers, &uri, result).await
}
