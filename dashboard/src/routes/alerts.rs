//! `/alerts` and `GET /api/v1/alerts`: open alerts and those opened in the last 30 days, of the
//! sites in the caller's scope only.
use super::alert_rules::{self, RuleLine};
use super::PageCaller;
use crate::alerts::rules::Rule;
use crate::alerts::state::{self, AlertRow};
use crate::auth::Caller;
use crate::error::{ApiError, PageError};
use crate::pages::Chrome;
use crate::scope::Registry;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

pub const RECENT_DAYS: u32 = 30;
const LIMIT: u32 = 1_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: String,
    pub rule: String,
    pub site: String,
    pub site_name: String,
    /// `open` or `resolved`.
    #[schema(value_type = String, pattern = "^(open|resolved)$")]
    pub state: &'static str,
    /// RFC 3339.
    pub opened_at: String,
    pub resolved_at: Option<String>,
    pub notified: bool,
    pub detail: String,
    #[serde(skip)]
    pub label: &'static str,
    #[serde(skip)]
    pub opened_local: String,
    #[serde(skip)]
    pub resolved_local: String,
}

fn rfc3339(ts: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(ts), 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// The alerts of the caller's sites, open first, then newest first.
async fn in_scope(state: &AppState, caller: &Caller, vi: bool) -> Result<Vec<AlertView>, ApiError> {
    let now = chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32;
    let since = now.saturating_sub(RECENT_DAYS * 86_400);
    let (reg, rows) = tokio::try_join!(Registry::load(&state.db), async {
        Ok::<_, ApiError>(state::recent(&state.db, since, LIMIT).await?)
    })?;
    let tz = state.cfg.tz;
    let mut out: Vec<AlertView> = rows
        .into_iter()
        .filter_map(|a: AlertRow| {
            let site = reg.site(&a.site)?;
            if !reg.site_in_scope(&caller.who, site) {
                return None;
            }
            let rule = Rule::parse(&a.rule)?;
            Some(AlertView {
                state: if a.is_open() { "open" } else { "resolved" },
                opened_at: rfc3339(a.opened_at),
                resolved_at: (!a.is_open()).then(|| rfc3339(a.resolved_at)),
                notified: a.notified_at != 0,
                label: if vi { rule.label_vi() } else { rule.label_en() },
                opened_local: super::admin::local_time(a.opened_at, tz),
                resolved_local: if a.is_open() {
                    String::new()
                } else {
                    super::admin::local_time(a.resolved_at, tz)
                },
                site_name: site.name.clone(),
                id: a.id,
                rule: a.rule,
                site: a.site,
                detail: a.detail,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.state != "open")
            .cmp(&(b.state != "open"))
            .then_with(|| b.opened_at.cmp(&a.opened_at))
    });
    Ok(out)
}

/// Open alerts and those opened in the last 30 days, of the sites in scope; open first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "monitoring", operation_id = "alerts",
    responses((status = 200, description = "Alerts", body = Vec<AlertView>), crate::error::ApiErrors))]
pub async fn api(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    Ok(Json(in_scope(&state, &caller, false).await?))
}

#[derive(Template)]
#[template(path = "alerts.html")]
pub struct AlertsPage {
    pub c: Chrome,
    pub open: Vec<AlertView>,
    pub recent: Vec<AlertView>,
    /// The sites in scope, for the rule settings' chooser: (code, name).
    pub sites: Vec<(String, String)>,
    /// The site whose rule settings are shown (`?site=`), empty when none.
    pub site: String,
    pub rules: Vec<RuleLine>,
}

#[derive(Debug, Deserialize)]
pub struct AlertsQuery {
    #[serde(default)]
    pub site: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(q): Query<AlertsQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let vi = c.t.lang == "vi";
    let all = in_scope(&state, &caller, vi).await?;
    let (open, recent) = all.into_iter().partition(|a| a.state == "open");
    let reg = Registry::load(&state.db).await?;
    let sites = reg
        .sites_in_scope(&caller.who)
        .into_iter()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let site = q.site.unwrap_or_default();
    let rules = if site.is_empty() {
        vec![]
    } else {
        alert_rules::lines(&state, &caller, &site, vi).await?
    };
    let page = AlertsPage {
        c,
        open,
        recent,
        sites,
        site,
        rules,
    };
    Ok(Html(page.render()?).into_response())
}
