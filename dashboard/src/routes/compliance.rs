//! `/compliance`, `GET /api/v1/compliance`, `GET /api/v1/health`, and the connection figures of
//! the overview and site pages. One site (`site=CODE`, with `include_components`) or, without
//! `site`, the fleet: every site in the caller's scope (`Target::Fleet`).
use super::PageCaller;
use crate::auth::Caller;
use crate::compliance::{Compliance, FailingPage};
use crate::error::{ApiError, ApiErrors, PageError};
use crate::health::{self, Rejections, SiteHealth};
use crate::openapi::query::FleetQuery;
use crate::pages::Chrome;
use crate::params::{self, Range, ReportParams};
use crate::reports;
use crate::scope::{self, Registry, Target};
use crate::state::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use emc_sql::registry::SiteRow;
use emc_sql::Db;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How far back the last beacon is looked for; older than this counts as never seen.
pub const LOOKBACK_DAYS: u32 = 90;
/// Failing pages listed.
pub const FAILING_LIMIT: u32 = 20;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteCompliance {
    #[serde(flatten)]
    pub compliance: Compliance,
    pub name: String,
    /// Days of the range with at least one hit (a union across the sites of a set).
    pub days_reporting: usize,
    pub days_in_range: i64,
    /// Unix seconds of the last accepted beacon (`None`: none in the last 90 days).
    pub last_seen: Option<u32>,
    pub silent_for_secs: Option<u64>,
    pub silent: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceReport {
    pub from: String,
    pub to: String,
    /// The site asked for, `None` for the fleet.
    pub site: Option<String>,
    pub silence_secs: u64,
    /// The site (with its components when asked) or the fleet taken together.
    pub total: SiteCompliance,
    pub sites: Vec<SiteCompliance>,
    /// Codes of the silent sites, longest silence first.
    pub silent_sites: Vec<String>,
    /// Worst first: slow loads + page views missing a DC element, the label, or HTTPS.
    pub failing_pages: Vec<FailingPage>,
}

/// Days with hits per site (the ranking's `EVENTS` query and row).
async fn days(
    db: &Db,
    codes: &[String],
    range: &Range,
) -> Result<BTreeMap<String, BTreeSet<u16>>, clickhouse::error::Error> {
    Ok(reports::ranking::events(db, codes, range)
        .await?
        .into_iter()
        .map(|r| (r.site, r.days.into_iter().collect()))
        .collect())
}

/// Parameters, then the one authorization check: the sites a request covers.
async fn resolve(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<(ReportParams, Vec<SiteRow>, Registry), ApiError> {
    let tz = state.cfg.tz;
    let pairs = params::pairs(query);
    let fleet = !pairs.iter().any(|(k, v)| k == "site" && !v.is_empty());
    let p = ReportParams::parse(
        &pairs,
        fleet.then_some(Target::Fleet),
        tz,
        params::today(tz),
    )?;
    let reg = Registry::load(&state.db).await?;
    let resolved = scope::authorize(&caller.who, &reg, &p.target)?;
    let sites = resolved
        .sites
        .iter()
        .filter_map(|c| reg.site(c).cloned())
        .collect();
    Ok((p, sites, reg))
}

fn now() -> u32 {
    chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32
}

/// The report, with the registry it was resolved against (the page lists its sites).
pub async fn report(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<(ComplianceReport, Registry), ApiError> {
    let (p, sites, reg) = resolve(state, caller, query).await?;
    let (db, range) = (&state.db, &p.range);
    let codes: Vec<String> = sites.iter().map(|s| s.code.clone()).collect();
    let (per_site, total, failing, health, days) = tokio::try_join!(
        reports::compliance::by_site(db, &sites, range),
        reports::compliance::total(db, &sites, range),
        reports::compliance::failing_pages(db, &sites, range, FAILING_LIMIT),
        reports::health::connection_health(
            db,
            &sites,
            now(),
            state.cfg.silence_secs,
            LOOKBACK_DAYS
        ),
        days(db, &codes, range),
    )?;
    let silent_sites = health::silent_sites(&health)
        .into_iter()
        .map(|h| h.site)
        .collect();
    let in_range = range.days();
    let site_rows: Vec<SiteCompliance> = per_site
        .into_iter()
        .zip(sites.iter().zip(&health))
        .map(|(c, (s, h))| SiteCompliance {
            compliance: c,
            name: s.name.clone(),
            days_reporting: days.get(&s.code).map_or(0, BTreeSet::len),
            days_in_range: in_range,
            last_seen: h.last_seen,
            silent_for_secs: h.silent_for_secs,
            silent: h.silent,
        })
        .collect();
    let site = match &p.target {
        Target::Site { code, .. } => Some(code.clone()),
        _ => None,
    };
    let union: BTreeSet<u16> = days.values().flatten().copied().collect();
    let newest = health.iter().filter_map(|h| h.last_seen).max();
    let mut total = total;
    total.site = site.clone().unwrap_or_default();
    let total = SiteCompliance {
        compliance: total,
        name: site_rows
            .first()
            .filter(|_| site.is_some())
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        days_reporting: union.len(),
        days_in_range: in_range,
        last_seen: newest,
        silent_for_secs: newest.map(|t| u64::from(now().saturating_sub(t))),
        silent: !health.is_empty() && health.iter().all(|h| h.silent),
    };
    let r = ComplianceReport {
        from: range.from_str(),
        to: range.to_str(),
        site,
        silence_secs: state.cfg.silence_secs,
        total,
        sites: site_rows,
        silent_sites,
        failing_pages: failing,
    };
    Ok((r, reg))
}

/// Circular 22 compliance of a site (or the caller's fleet) over a range.
#[utoipa::path(get, path = "/api/v1/compliance", tag = "monitoring", operation_id = "compliance", params(FleetQuery),
    responses((status = 200, description = "The report", body = ComplianceReport), ApiErrors))]
pub async fn api(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<ComplianceReport>, ApiError> {
    Ok(Json(report(&state, &caller, q.as_deref()).await?.0))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    pub silence_secs: u64,
    pub from: String,
    pub to: String,
    pub sites: Vec<SiteHealth>,
    pub silent_sites: Vec<String>,
    /// Requests in the connection log over the range, and the rejected share with reasons.
    pub rejections: Vec<Rejections>,
}

/// `GET /api/v1/health[?site=CODE][&from=&to=]`: last seen, silence and rejections, in scope.
#[utoipa::path(get, path = "/api/v1/health", tag = "monitoring", operation_id = "health", params(FleetQuery),
    responses((status = 200, description = "Connection health", body = HealthReport), ApiErrors))]
pub async fn health_api(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<HealthReport>, ApiError> {
    let (p, sites, _) = resolve(&state, &caller, q.as_deref()).await?;
    let (h, mut rejections) = tokio::try_join!(
        reports::health::connection_health(
            &state.db,
            &sites,
            now(),
            state.cfg.silence_secs,
            LOOKBACK_DAYS
        ),
        reports::health::rejections(&state.db, &p.range),
    )?;
    rejections.retain(|r| sites.iter().any(|s| s.code == r.site));
    let silent_sites = health::silent_sites(&h)
        .into_iter()
        .map(|x| x.site)
        .collect();
    let out = HealthReport {
        silence_secs: state.cfg.silence_secs,
        from: p.range.from_str(),
        to: p.range.to_str(),
        sites: h,
        silent_sites,
        rejections,
    };
    Ok(Json(out))
}

/// The silent sites among `sites` (for the overview).
pub async fn silent(state: &AppState, sites: &[SiteRow]) -> Result<Vec<SiteHealth>, ApiError> {
    let h = reports::health::connection_health(
        &state.db,
        sites,
        now(),
        state.cfg.silence_secs,
        LOOKBACK_DAYS,
    )
    .await?;
    Ok(health::silent_sites(&h))
}

/// What the site page shows about the tag's connection.
pub struct Connection {
    pub code: String,
    pub last_seen: String,
    pub silent: bool,
    pub requests: u64,
    pub rejected: u64,
    pub share: String,
    pub reasons: Vec<(String, u64)>,
}

pub async fn connection(
    state: &AppState,
    site: &SiteRow,
    range: &Range,
) -> Result<Connection, ApiError> {
    let (h, rej) = tokio::try_join!(
        reports::health::connection_health(
            &state.db,
            std::slice::from_ref(site),
            now(),
            state.cfg.silence_secs,
            LOOKBACK_DAYS
        ),
        reports::health::rejections(&state.db, range),
    )?;
    let h = h.into_iter().next();
    let r = rej.into_iter().find(|r| r.site == site.code);
    Ok(Connection {
        code: site.code.clone(),
        last_seen: h
            .as_ref()
            .and_then(|h| h.last_seen)
            .map(|t| local(state, t))
            .unwrap_or_default(),
        silent: h.is_none_or(|h| h.silent),
        requests: r.as_ref().map_or(0, |r| r.requests),
        rejected: r.as_ref().map_or(0, |r| r.rejected),
        share: pct(r.as_ref().and_then(|r| r.share)),
        reasons: r.map(|r| r.reasons).unwrap_or_default(),
    })
}

/// Unix seconds as local time (EMC_TIMEZONE).
pub fn local(state: &AppState, ts: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(ts), 0)
        .map(|t| {
            t.with_timezone(&state.cfg.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |x| format!("{:.1}%", x * 100.0))
}

/// One row of the page's tables, formatted.
pub struct Line {
    pub site: String,
    pub name: String,
    pub page_loads: u64,
    /// FCP, LCP, load, response: share meeting the threshold.
    pub timings: Vec<String>,
    pub dc: String,
    pub label: String,
    pub https: String,
    pub domains_ok: bool,
    pub days: String,
    pub last_seen: String,
    pub silent: bool,
}

fn line(state: &AppState, s: &SiteCompliance) -> Line {
    let c = &s.compliance;
    Line {
        site: c.site.clone(),
        name: s.name.clone(),
        page_loads: c.page_loads,
        timings: c.timings.iter().map(|t| pct(t.share)).collect(),
        dc: pct(c.dc_share),
        label: pct(c.label_share),
        https: pct(c.https_share),
        domains_ok: c.all_domains_gov_vn,
        days: format!("{}/{}", s.days_reporting, s.days_in_range),
        last_seen: s.last_seen.map(|t| local(state, t)).unwrap_or_default(),
        silent: s.silent,
    }
}

#[derive(Template)]
#[template(path = "compliance.html")]
struct CompliancePage {
    c: Chrome,
    r: ComplianceReport,
    total: Line,
    lines: Vec<Line>,
    /// (value, label, selected)
    choices: Vec<(String, String, bool)>,
    include_components: bool,
    p75: Vec<String>,
    api: String,
    csv: String,
    csv_pages: String,
    /// The silent sites: (code, name), longest silence first.
    silent: Vec<(String, String)>,
}

pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let (r, reg) = report(&state, &caller, uri.query()).await?;
    let chosen = r.site.clone().unwrap_or_default();
    let mut choices = vec![(String::new(), String::new(), chosen.is_empty())];
    choices.extend(reg.sites_in_scope(&caller.who).into_iter().map(|s| {
        (
            s.code.clone(),
            format!("{} ({})", s.name, s.code),
            s.code == chosen,
        )
    }));
    let c = Chrome::new(&headers, &uri, Some(&caller));
    choices[0].1 = c.t.word("all_sites").to_owned();
    let include_components = params::pairs(uri.query())
        .iter()
        .any(|(k, v)| k == "include_components" && v == "true");
    let total = line(&state, &r.total);
    let lines = r.sites.iter().map(|s| line(&state, s)).collect();
    let p75 = r
        .total
        .compliance
        .timings
        .iter()
        .map(|t| {
            t.p75_ms
                .map_or_else(|| "—".to_owned(), |v| format!("{v:.0} ms"))
        })
        .collect();
    let api = super::with_query("/api/v1/compliance", uri.query());
    let (csv, csv_pages) = (
        super::with_query("/api/v1/export.csv?report=compliance", uri.query()),
        super::with_query("/api/v1/export.csv?report=failing_pages", uri.query()),
    );
    let silent = r
        .silent_sites
        .iter()
        .map(|code| {
            let name = reg
                .site(code)
                .map_or_else(|| code.clone(), |s| s.name.clone());
            (code.clone(), name)
        })
        .collect();
    let page = CompliancePage {
        c,
        silent,
        r,
        total,
        lines,
        choices,
        include_components,
        p75,
        api,
        csv,
        csv_pages,
    };
    Ok(Html(page.render()?).into_response())
}
