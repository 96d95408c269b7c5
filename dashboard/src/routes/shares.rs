//! Shared links: `GET|POST /api/v1/shares`, `DELETE /api/v1/shares/{id}` for signed-in users
//! in scope, the site page's card (`POST /shares` creates and shows the link once, `POST
//! /shares/{id}/revoke`), and the link itself, `GET /share/{token}` (the site's report,
//! read-only, no sign-in) with `POST /share/{token}` for a link's password (throttled like
//! sign-in).
use super::api::check_write;
use super::pages::{check_csrf, field, form};
use super::{ApiJson, PageCaller};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiErrors, PageError};
use crate::pages::Chrome;
use crate::reports::shares::ShareRow;
use crate::scope::{Registry, Target};
use crate::shares::{self, CreatedShare, ShareInput, ShareOut};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;

/// The live shared links of the sites in the caller's scope (`?site=CODE`: of that site).
#[utoipa::path(get, path = "/api/v1/shares", tag = "reports", operation_id = "list_shares",
    params(("site" = Option<String>, Query, description = "Only the links to this site")),
    responses((status = 200, description = "The live links (without their tokens)", body = Vec<ShareOut>), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Vec<ShareOut>>, ApiError> {
    let site = crate::params::pairs(q.as_deref())
        .into_iter()
        .find(|(k, _)| k == "site")
        .map(|(_, v)| v);
    let rows = shares::list(&state.db, &caller.who, site.as_deref()).await?;
    Ok(Json(rows.iter().map(ShareOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/shares", tag = "reports", operation_id = "create_shares", request_body = ShareInput,
    responses((status = 201, description = "Created; `url` is shown this once", body = CreatedShare), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ShareInput>,
) -> Result<impl IntoResponse, ApiError> {
    check_write(&caller, &headers)?;
    let (row, token) = shares::create(&state.db, &caller.who, &input).await?;
    let out = CreatedShare {
        share: ShareOut::from(&row),
        url: format!("{}{token}", shares::PREFIX),
    };
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(delete, path = "/api/v1/shares/{id}", tag = "reports", operation_id = "delete_shares",
    params(("id" = String, Path, description = "The link's id")),
    responses((status = 204, description = "Revoked (also when it already was)"), ApiErrors))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_write(&caller, &headers)?;
    shares::revoke(&state.db, &caller.who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The shared links card of a site's report page (`templates/_shares.html`).
pub struct SharesCard {
    pub site: String,
    pub rows: Vec<ShareLine>,
}

/// One live link as the card lists it.
pub struct ShareLine {
    pub id: String,
    /// When it was created, in the dashboard's time zone.
    pub created: String,
    pub created_by: String,
    pub password: bool,
}

/// The live links to `code` that `caller` may see (`reg`: the page's registry).
pub async fn card(
    state: &AppState,
    reg: &Registry,
    caller: &Caller,
    code: &str,
) -> Result<SharesCard, ApiError> {
    let tz = state.cfg.tz;
    let rows = shares::list_in(&state.db, reg, &caller.who, Some(code)).await?;
    Ok(SharesCard {
        site: code.to_owned(),
        rows: rows
            .iter()
            .map(|s| ShareLine {
                id: s.id.clone(),
                created: super::admin::local_time(s.created_at, tz),
                created_by: s.created_by.clone(),
                password: !s.password_hash.is_empty(),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "share_created.html")]
struct CreatedPage {
    c: Chrome,
    site: String,
    label: String,
    url: String,
    password: bool,
}

/// The card's form: `site`, optional `password`. The answer is a page that shows the link
/// this once (only its hash is stored), not a redirect, so the token is never in a URL the
/// browser keeps in its history.
pub async fn create_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let input = ShareInput {
        site: field(&pairs, "site").to_owned(),
        password: Some(field(&pairs, "password").to_owned()).filter(|p| !p.is_empty()),
    };
    let reg = Registry::load(&state.db).await?;
    let (row, token) = shares::create_in(&state.db, &reg, &caller.who, &input).await?;
    let label = reg
        .site(&row.site)
        .map_or_else(|| row.site.clone(), |s| s.name.clone());
    // The address the browser used (as the open-data page's links are made).
    let url = format!(
        "{}{}{token}",
        super::open_data::base_url(&headers),
        shares::PREFIX
    );
    let page = CreatedPage {
        c: Chrome::new(&headers, &uri, Some(&caller)),
        site: row.site.clone(),
        label,
        url,
        password: !row.password_hash.is_empty(),
    };
    let mut response = (StatusCode::CREATED, Html(page.render()?)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The card's revoke button; back to the site's card.
pub async fn revoke_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let row = shares::revoke(&state.db, &caller.who, &id).await?;
    let back = super::goals::back_to(&pairs, &crate::owned::owner_of(&row.site, ""), "shares");
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "share_password.html")]
struct PasswordPage {
    c: Chrome,
    title: &'static str,
    open: &'static str,
    action: String,
    error: Option<&'static str>,
}

fn password_page(
    headers: &HeaderMap,
    uri: &Uri,
    token: &str,
    status: StatusCode,
    wrong: bool,
) -> Result<Response, PageError> {
    let c = Chrome::new(headers, uri, None);
    let vi = c.t.lang == "vi";
    let page = PasswordPage {
        title: if vi {
            "Liên kết được bảo vệ bằng mật khẩu"
        } else {
            "This link is protected by a password"
        },
        open: if vi { "Mở" } else { "Open" },
        action: format!("{}{token}", shares::PREFIX),
        error: wrong.then_some(if vi {
            "Sai mật khẩu."
        } else {
            "Wrong password."
        }),
        c,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn cookie_name(share: &ShareRow) -> String {
    format!("{}_{}", shares::COOKIE, share.id)
}

/// The shared site's report, read-only; a link with a password first asks for it.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let share = shares::open(&state.db, &token).await?;
    if !share.password_hash.is_empty() {
        let sent = auth::cookie(&headers, &cookie_name(&share)).unwrap_or("");
        if !auth::same_token(sent, &shares::pass(&token, &share)) {
            return password_page(&headers, &uri, &token, StatusCode::UNAUTHORIZED, false);
        }
    }
    let reg = Registry::load(&state.db).await?;
    let site = reg
        .site(&share.site)
        .ok_or_else(|| ApiError::NotFound("shared link".into()))?;
    let reader = shares::reader(&share, &site.agency);
    let target = Target::Site {
        code: site.code.clone(),
        include_components: false,
    };
    crate::site_page::render(state, reader, target, headers, uri, true).await
}

/// A link's password: right → a cookie for this link and back to it; wrong → counted, and
/// after [`auth::MAX_FAILURES`] in the window `429` (as sign-in).
pub async fn unlock(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Result<Response, PageError> {
    let share = shares::open(&state.db, &token).await?;
    let back = format!("{}{token}", shares::PREFIX);
    if share.password_hash.is_empty() {
        return Ok(Redirect::to(&back).into_response());
    }
    let key = format!("share:{}", share.id);
    auth::check_throttle(&state, &key)?;
    let pairs = form(&body);
    if auth::verify_password(field(&pairs, "password"), &share.password_hash) {
        state.throttle.remove(&key);
        let cookie = auth::set_cookie(
            &state,
            &headers,
            &cookie_name(&share),
            &shares::pass(&token, &share),
            state.cfg.session_ttl_secs,
        );
        return Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response());
    }
    let failures = auth::count_failure(&state, key);
    tracing::info!(share = share.id, failures, "wrong shared-link password");
    password_page(&headers, &uri, &token, StatusCode::UNAUTHORIZED, true)
}
