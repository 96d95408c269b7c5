//! `/admin/retention` (admins only): the policy, the oldest data each table keeps, the last runs.
use super::PageCaller;
use crate::error::PageError;
use crate::pages::Chrome;
use crate::retention::schedule::{self, TableStatus};
use crate::retention::{cutoff, RAW_TABLES};
use crate::scope;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};

#[derive(Template)]
#[template(path = "retention.html")]
struct RetentionPage {
    c: Chrome,
    months: u32,
    rollup_months: u32,
    raw_cutoff: String,
    rollup_cutoff: String,
    tables: Vec<(TableStatus, bool)>,
    /// (when, action, target, detail)
    runs: Vec<(String, String, String, String)>,
}

pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    scope::require_admin(&caller.who)?;
    let policy = state.cfg.retention;
    let (tables, runs) = tokio::try_join!(
        schedule::status(&state.db, &policy),
        schedule::last_runs(&state.db, 30)
    )?;
    let today = crate::params::today(state.cfg.tz);
    let runs = runs
        .into_iter()
        .map(|a| {
            (
                super::compliance::local(&state, a.at),
                a.action,
                a.target,
                a.detail,
            )
        })
        .collect();
    let page = RetentionPage {
        c: Chrome::new(&headers, &uri, Some(&caller)),
        months: policy.months,
        rollup_months: policy.rollup_months,
        raw_cutoff: cutoff(today, policy.months).to_string(),
        rollup_cutoff: cutoff(today, policy.rollup_months).to_string(),
        tables: tables
            .into_iter()
            .map(|t| {
                let raw = RAW_TABLES.contains(&t.table);
                (t, raw)
            })
            .collect(),
        runs,
    };
    Ok(Html(page.render()?).into_response())
}
