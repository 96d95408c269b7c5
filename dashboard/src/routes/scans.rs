//! The scanner's results: `/sites/CODE/scan` (scorecard; `POST` asks for a scan now),
//! `/scans` (the fleet, filtered by failing check, agency, group), `GET /api/v1/scans[?site=]`
//! and `GET /api/v1/scans.csv[?site=]`. Scope as every report: `scope::authorize`.
use super::pages::{check_csrf, field, form};
use super::PageCaller;
use crate::auth::Caller;
use crate::error::{ApiError, ApiErrors, PageError};
use crate::openapi::query::ScansQuery;
use crate::pages::Chrome;
use crate::scans::{self, Flag, ScanOut};
use crate::scope::{self, Registry, Target};
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use emc_sql::scan::{Check, Outcome};

/// History shown on the scorecard.
pub const HISTORY_DAYS: u32 = 30;

/// One row of the scorecard: a check, its latest result, its history, what to fix.
pub struct CardRow {
    pub key: &'static str,
    pub label: String,
    pub outcome: &'static str,
    /// `outcome` as a CSS class (`na` for `n/a`).
    pub css: &'static str,
    pub outcome_label: &'static str,
    pub value: String,
    pub detail: String,
    pub fix: &'static str,
    /// Outcomes of the earlier scans, newest first: (CSS class, outcome).
    pub history: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "scan.html")]
struct ScorecardPage {
    c: Chrome,
    code: String,
    name: String,
    /// (domain, scanned at, rows)
    scans: Vec<(String, String, Vec<CardRow>)>,
    /// (check, before, now)
    changes: Vec<(String, &'static str, &'static str)>,
    can_request: bool,
}

fn pick(vi: &'static str, en: &'static str, lang: &str) -> &'static str {
    if lang == "vi" {
        vi
    } else {
        en
    }
}

fn label(check: Check, lang: &str) -> String {
    let (vi, en) = check.label();
    if lang == "vi" {
        format!("{vi} ({en})")
    } else {
        format!("{en} ({vi})")
    }
}

fn css(outcome: Option<Outcome>) -> &'static str {
    match outcome {
        Some(Outcome::NotApplicable) => "na",
        Some(o) => o.key(),
        None => "none",
    }
}

fn rows(scan: &ScanOut, older: &[&ScanOut], lang: &str) -> Vec<CardRow> {
    scan.checks
        .iter()
        .filter_map(|c| {
            let check = Check::parse(c.check)?;
            let outcome = Outcome::parse(c.outcome)?;
            let (ol_vi, ol_en) = outcome.label();
            let (fix_vi, fix_en) = check.fix();
            Some(CardRow {
                key: check.key(),
                label: label(check, lang),
                outcome: outcome.key(),
                css: css(Some(outcome)),
                outcome_label: pick(ol_vi, ol_en, lang),
                value: c.value.clone(),
                detail: c.detail.clone(),
                fix: if outcome == Outcome::Fail {
                    pick(fix_vi, fix_en, lang)
                } else {
                    ""
                },
                history: older
                    .iter()
                    .map(|s| {
                        let o = s.outcome(check);
                        (css(o), o.map_or("", Outcome::key))
                    })
                    .collect(),
            })
        })
        .collect()
}

pub async fn scorecard(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let reg = Registry::load(&state.db).await?;
    let target = Target::Site {
        code: code.clone(),
        include_components: false,
    };
    let resolved = scope::authorize(&caller.who, &reg, &target)?;
    let site = reg.site(&code).cloned().unwrap_or_default();
    let now = chrono::Utc::now().timestamp() as u32;
    let since = now.saturating_sub(HISTORY_DAYS * 86_400);
    let (history, changes) = tokio::try_join!(
        scans::history(&state.db, &code, since, now),
        scans::changes(&state.db, &code)
    )?;
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let lang = c.t.lang;
    let mut domains: Vec<&str> = history.iter().map(|s| s.domain.as_str()).collect();
    domains.sort();
    domains.dedup();
    let scans = domains
        .into_iter()
        .filter_map(|d| {
            let of: Vec<&ScanOut> = history.iter().filter(|s| s.domain == d).collect();
            let (latest, older) = of.split_first()?;
            Some((
                d.to_owned(),
                latest.scanned_at.clone(),
                rows(latest, older, lang),
            ))
        })
        .collect();
    let changes = changes
        .iter()
        .filter_map(|ch| {
            Some((
                format!("{} · {}", ch.domain, label(Check::parse(&ch.check)?, lang)),
                Outcome::from_code(ch.before)?.key(),
                Outcome::from_code(ch.now)?.key(),
            ))
        })
        .collect();
    let page = ScorecardPage {
        c,
        code,
        name: resolved.label,
        scans,
        changes,
        can_request: scope::may_manage_site(&caller.who, &site),
    };
    Ok(Html(page.render()?).into_response())
}

/// `POST /sites/CODE/scan`: an admin or the site's owner asks for a scan now.
pub async fn request_scan(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    check_csrf(&caller, &form(&body))?;
    let reg = Registry::load(&state.db).await?;
    let site = reg
        .site(&code)
        .ok_or_else(|| ApiError::NotFound(format!("site {code}")))?;
    if !scope::may_manage_site(&caller.who, site) {
        return Err(ApiError::Forbidden.into());
    }
    scans::request(&state.db, &code, &caller.who.username).await?;
    let to = format!("/sites/{}/scan?requested=1", urlencode(&code));
    Ok(Redirect::to(&to).into_response())
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The latest scans a request may read: `site=` (authorized) or the caller's fleet.
async fn in_scope(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<(Registry, Vec<ScanOut>), ApiError> {
    let pairs = crate::params::pairs(query);
    let reg = Registry::load(&state.db).await?;
    let site = field(&pairs, "site");
    let target = if site.is_empty() {
        Target::Fleet
    } else {
        Target::Site {
            code: site.to_owned(),
            include_components: false,
        }
    };
    let resolved = scope::authorize(&caller.who, &reg, &target)?;
    let latest = scans::latest(&state.db, &resolved.sites).await?;
    Ok((reg, latest))
}

/// The latest scan of each domain of a site, or of every site in scope.
#[utoipa::path(get, path = "/api/v1/scans", tag = "monitoring", operation_id = "scans", params(ScansQuery),
    responses((status = 200, description = "Latest scans", body = Vec<ScanOut>), ApiErrors))]
pub async fn api(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<ScanOut>>, ApiError> {
    Ok(Json(in_scope(&state, &caller, query.as_deref()).await?.1))
}

/// The latest scans as CSV.
#[utoipa::path(get, path = "/api/v1/scans.csv", tag = "monitoring", operation_id = "scans_csv", params(ScansQuery),
    responses((status = 200, description = "One row per check", content_type = "text/csv", body = String), ApiErrors))]
pub async fn csv(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (_, latest) = in_scope(&state, &caller, query.as_deref()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"scans.csv\"",
            ),
        ],
        scans::csv(&latest),
    )
        .into_response())
}

pub struct FleetRow {
    pub site: String,
    pub name: String,
    pub agency: String,
    pub domain: String,
    pub scanned_at: String,
    pub failing: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "scans.html")]
struct FleetPage {
    c: Chrome,
    /// (key, label, sites failing it, selected)
    counts: Vec<(&'static str, String, usize, bool)>,
    rows: Vec<FleetRow>,
    agency: String,
    group: String,
    /// (id, name, selected)
    agencies: Vec<(String, String, bool)>,
    /// (group key, selected)
    groups: Vec<(&'static str, bool)>,
    /// (flag key, [(code, name)])
    flags: Vec<(&'static str, Vec<(String, String)>)>,
}

pub async fn fleet(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let pairs = crate::params::pairs(uri.query());
    let (check, agency, group) = (
        field(&pairs, "check").to_owned(),
        field(&pairs, "agency").to_owned(),
        field(&pairs, "group").to_owned(),
    );
    let wanted = match check.as_str() {
        "" => None,
        k => Some(Check::parse(k).ok_or_else(|| ApiError::bad("check", "unknown check"))?),
    };
    let (reg, latest) = in_scope(&state, &caller, None).await?;
    let agency_of = |site: &str| reg.site(site).map(|s| s.agency.clone()).unwrap_or_default();
    let group_of = |site: &str| {
        reg.agency(&agency_of(site))
            .map(|a| a.group_kind.clone())
            .unwrap_or_default()
    };
    let shown: Vec<&ScanOut> = latest
        .iter()
        .filter(|s| agency.is_empty() || agency_of(&s.site) == agency)
        .filter(|s| group.is_empty() || group_of(&s.site) == group)
        .collect();
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let counts = Check::ALL
        .iter()
        .map(|k| {
            let n = shown
                .iter()
                .filter(|s| s.outcome(*k) == Some(Outcome::Fail))
                .count();
            (k.key(), label(*k, c.t.lang), n, k.key() == check)
        })
        .collect();
    let rows = shown
        .iter()
        .filter(|s| wanted.is_none_or(|k| s.outcome(k) == Some(Outcome::Fail)))
        .map(|s| FleetRow {
            site: s.site.clone(),
            name: reg
                .site(&s.site)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            agency: agency_of(&s.site),
            domain: s.domain.clone(),
            scanned_at: s.scanned_at.clone(),
            failing: s.failing().into_iter().map(Check::key).collect(),
        })
        .collect();
    let flags = scans::flags(&latest)
        .into_iter()
        .map(|(f, sites)| {
            let named = sites
                .into_iter()
                .map(|code| {
                    let name = reg
                        .site(&code)
                        .map_or_else(|| code.clone(), |s| s.name.clone());
                    (code, name)
                })
                .collect();
            (f.key(), named)
        })
        .collect();
    let page = FleetPage {
        agencies: reg
            .agencies_in_scope(&caller.who)
            .into_iter()
            .map(|a| (a.id.clone(), a.name.clone(), a.id == agency))
            .collect(),
        groups: ["ministry", "province", "other"]
            .into_iter()
            .map(|g| (g, g == group))
            .collect(),
        c,
        counts,
        rows,
        agency,
        group,
        flags,
    };
    Ok(Html(page.render()?).into_response())
}

/// The overview's flags for the caller's sites: (flag key, [(code, name)]).
pub async fn overview_flags(
    state: &AppState,
    sites: &[emc_sql::registry::SiteRow],
) -> Result<Vec<(&'static str, Vec<(String, String)>)>, ApiError> {
    let codes: Vec<String> = sites.iter().map(|s| s.code.clone()).collect();
    let latest = scans::latest(&state.db, &codes).await?;
    let name = |code: &str| {
        sites
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    Ok(scans::flags(&latest)
        .into_iter()
        .map(|(f, list): (Flag, Vec<String>)| {
            (
                f.key(),
                list.into_iter()
                    .map(|c| (name(&c), c))
                    .map(|(n, c)| (c, n))
                    .collect(),
            )
        })
        .collect())
}
