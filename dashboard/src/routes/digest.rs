//! `/reports/monthly?agency=ID&month=YYYY-MM`: the printable monthly report of an agency (the
//! page mailed to subscribers, as HTML and PDF). Standalone, with a print stylesheet; scoped
//! like the agency page.
use super::PageCaller;
use crate::digest::{self, period::ReportPeriod, render};
use crate::error::{ApiError, PageError};
use crate::params;
use crate::scope::{self, Registry, Target};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};

pub async fn monthly(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs = params::pairs(query.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let agency = get("agency");
    if agency.is_empty() {
        return Err(ApiError::bad("agency", "required: the agency id").into());
    }
    let month = get("month");
    let period =
        ReportPeriod::month(&month, state.cfg.tz).map_err(|e| ApiError::bad("month", e))?;
    let reg = Registry::load(&state.db).await?;
    scope::authorize(&caller.who, &reg, &Target::Agency { id: agency.clone() })?;
    let now = chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32;
    let d = digest::gather(
        &state.db,
        &reg,
        &agency,
        period,
        &state.cfg.ranking,
        state.cfg.silence_secs,
        now,
    )
    .await
    .map_err(ApiError::Internal)?;
    Ok(Html(render::html(&d, false)?).into_response())
}
