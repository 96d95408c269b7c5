//! HTML pages: sign-in, overview, site and agency reports, the admin page. Forms carry the
//! session's CSRF token (the sign-in form a double-submit cookie); a post without it is refused.
use super::PageCaller;
use crate::auth::{self, Caller};
use crate::error::{ApiError, PageError};
use crate::i18n::Texts;
use crate::pages::*;
use crate::params::{self, Range, ReportParams};
use crate::registry as ops;
use crate::reports::{self, SiteFigures};
use crate::scope::{self, Registry, Target};
use crate::site_page;
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};

type PageResult = Result<Response, PageError>;

/// `application/x-www-form-urlencoded` pairs.
pub fn form(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(crate) fn check_csrf(caller: &Caller, pairs: &[(String, String)]) -> Result<(), ApiError> {
    if auth::same_token(field(pairs, "csrf"), caller.csrf()) {
        Ok(())
    } else {
        Err(ApiError::Csrf)
    }
}

pub async fn login_form(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> PageResult {
    render_login(&state, &headers, &uri, None)
}

fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    error: Option<String>,
) -> PageResult {
    let token = auth::random_token();
    let c = Chrome::new(headers, uri, None);
    let identifier = format!("{}/login", super::open_data::base_url(headers));
    let dc = DcMeta::new(c.t.title, "Đăng nhập hệ thống EMC: giám sát, đo lường cổng thông tin điện tử theo Thông tư 22/2023/TT-BTTTT.", &identifier, params::today(state.cfg.tz));
    let page = LoginPage {
        c,
        dc,
        login_csrf: token.clone(),
        error,
    };
    let cookie = auth::set_cookie(state, headers, auth::LOGIN_CSRF_COOKIE, &token, 3600);
    let status = if page.error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, [(header::SET_COOKIE, cookie)], Html(page.render()?)).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> PageResult {
    let pairs = form(&body);
    let expected = auth::cookie(&headers, auth::LOGIN_CSRF_COOKIE).unwrap_or("");
    if !auth::same_token(field(&pairs, "csrf"), expected) {
        return Err(ApiError::Csrf.into());
    }
    let who = match auth::check_login(&state, field(&pairs, "username"), field(&pairs, "password"))
        .await
    {
        Ok(who) => who,
        Err(ApiError::Unauthorized) => {
            let t = Chrome::new(&headers, &uri, None).t;
            let msg = if t.lang == "vi" {
                "Sai tên đăng nhập hoặc mật khẩu."
            } else {
                "Wrong user name or password."
            };
            return render_login(&state, &headers, &uri, Some(msg.into()));
        }
        Err(e) => return Err(e.into()),
    };
    // A new session id on every sign-in; any session id the browser carried is dropped.
    if let Some(old) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        state.sessions.remove(old);
    }
    let (id, _) = auth::start_session(&state, &who);
    let cookie = auth::set_cookie(
        &state,
        &headers,
        auth::SESSION_COOKIE,
        &id,
        state.cfg.session_ttl_secs,
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    check_csrf(&caller, &form(&body))?;
    if let auth::Via::Cookie { session_id, .. } = &caller.via {
        state.sessions.remove(session_id);
    }
    let cookie = auth::set_cookie(&state, &headers, auth::SESSION_COOKIE, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}

/// `/lang?to=en&back=/path`: remembers the language and goes back (local paths only).
pub async fn lang(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let pairs = params::pairs(uri.query());
    let to = if field(&pairs, "to") == "en" {
        "en"
    } else {
        "vi"
    };
    let back = field(&pairs, "back");
    let back = if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/"
    };
    let cookie = auth::set_cookie(&state, &headers, "emc_lang", to, 365 * 86_400);
    ([(header::SET_COOKIE, cookie)], Redirect::to(back)).into_response()
}

/// The overview's rows (shared with the API and CSV): every site in scope, sorted.
pub async fn overview_rows(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<(Range, Vec<SiteFigures>), ApiError> {
    let tz = state.cfg.tz;
    let p = ReportParams::parse(
        &params::pairs(query),
        Some(Target::Agency { id: String::new() }),
        tz,
        params::today(tz),
    )?;
    let reg = Registry::load(&state.db).await?;
    let sites: Vec<(String, String)> = reg
        .sites_in_scope(&caller.who)
        .into_iter()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let mut rows = reports::overview(&state.db, &sites, p.range).await?;
    let key = |r: &SiteFigures| -> f64 {
        match p.sort {
            "visitors" => r.visitors as f64,
            "pageviews" => r.pageviews as f64,
            "bounce_rate" => r.bounce_rate,
            "avg_session_duration" => r.avg_session_duration,
            _ => r.visits as f64,
        }
    };
    if p.sort == "name" {
        rows.sort_by(|a, b| a.name.cmp(&b.name));
    } else {
        rows.sort_by(|a, b| key(a).total_cmp(&key(b)).then_with(|| b.name.cmp(&a.name)));
    }
    if p.desc {
        rows.reverse();
    }
    Ok((p.range, rows))
}

pub async fn site_report(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> PageResult {
    site_page::render(
        state,
        caller,
        Target::Site {
            code,
            include_components: false,
        },
        headers,
        uri,
        false,
    )
    .await
}

pub async fn agency_report(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> PageResult {
    site_page::render(state, caller, Target::Agency { id }, headers, uri, false).await
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(crate) fn manage(
    state: &AppState,
    t: &'static Texts,
    s: &emc_sql::registry::SiteRow,
) -> Manage {
    let values = [
        &s.legal_rep_name,
        &s.legal_rep_title,
        &s.contact_name,
        &s.contact_title,
        &s.contact_address,
        &s.contact_phone,
        &s.contact_email,
        &s.contact_other,
    ];
    let fields = contact_labels(t)
        .into_iter()
        .zip(values)
        .map(|((name, label), v)| (name, label, v.clone()))
        .collect();
    Manage {
        code: s.code.clone(),
        snippet: ops::snippet(&state.cfg.collector_url, &s.code),
        legacy: ops::legacy_snippet(&state.cfg.collector_url, &s.code),
        fields,
    }
}

/// Contact details of a site: admin or the site's owner.
pub async fn site_contact(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    body: Bytes,
) -> PageResult {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let reg = Registry::load(&state.db).await?;
    let site = reg
        .site(&code)
        .ok_or_else(|| ApiError::NotFound(format!("site {code}")))?;
    if !scope::may_manage_site(&caller.who, site) {
        return Err(ApiError::Forbidden.into());
    }
    let contact = contact_from(&pairs);
    ops::update_contact(&state.db, &caller.who, site, &contact).await?;
    Ok(Redirect::to(&format!("/sites/{}", enc(&code))).into_response())
}

pub fn contact_from(pairs: &[(String, String)]) -> ops::Contact {
    let f = |n: &str| field(pairs, n).to_owned();
    ops::Contact {
        legal_rep_name: f("legal_rep_name"),
        legal_rep_title: f("legal_rep_title"),
        contact_name: f("contact_name"),
        contact_title: f("contact_title"),
        contact_address: f("contact_address"),
        contact_phone: f("contact_phone"),
        contact_email: f("contact_email"),
        contact_other: f("contact_other"),
    }
}
