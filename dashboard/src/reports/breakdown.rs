//! Breakdowns: the top values of a dimension with their visits, visitors, page views and
//! bounce rate. Unfiltered: from `sessions_dims_daily` (pages and exit pages: see [`super::pages`]
//! and [`super::exit_pages`]); filtered: from the raw visits.
use super::dimension::Dimension;
use super::scope::{daily_where, sessions_where, Daily, Filtered, Scope};
use super::statement::{binds, Sampled, Statement, With};
use super::visitors::{distinct, merged};
use super::{exit_pages, pages, ratio, samples};
use emc_sql::Db;
use serde::Serialize;

/// One row of a breakdown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BreakdownRow {
    pub key: String,
    pub visits: i64,
    pub visitors: i64,
    pub pageviews: i64,
    pub bounce_rate: f64,
}

binds! {
    /// A dimension of `sessions_dims_daily` (its key, bound as a value, never spliced).
    pub struct Dim { dim: &'static str }
}

binds! {
    /// How many rows.
    pub struct Limit { limit: u32 }
}

/// (key, visits, visitors, page views, bounces) rows.
pub(crate) type Rows = Vec<(String, i64, i64, i64, i64)>;

pub(crate) fn rows(rows: Rows) -> Vec<BreakdownRow> {
    rows.into_iter()
        .map(|(key, visits, visitors, pageviews, bounces)| BreakdownRow {
            key,
            visits,
            visitors,
            pageviews,
            bounce_rate: ratio(bounces, visits),
        })
        .collect()
}

/// Rollup: top values of a session dimension by visits, with visitors merged from daily
/// sketches for the values shown only.
pub const DIMS_DAILY: Statement<With<Daily, With<Dim, Limit>>> = Statement::fixed(
    "dashboard.breakdown_dims",
    concat!(
        "SELECT value, toInt64(sum(visits)) AS v, ",
        merged!("visitors"),
        ", toInt64(sum(pageviews)), toInt64(sum(bounces)) FROM sessions_dims_daily WHERE ",
        daily_where!(),
        " AND dim = :dim AND value IN (SELECT value FROM sessions_dims_daily WHERE ",
        daily_where!(),
        " AND dim = :dim GROUP BY value HAVING sum(visits) > 0 ORDER BY sum(visits) DESC, value LIMIT :limit)",
        " GROUP BY value ORDER BY v DESC, value"
    ),
);

/// Raw: top values of a session dimension among the filtered visits (the column comes from
/// [`Dimension::column`], never from the request).
pub fn sessions_raw(d: Dimension) -> Statement<With<Filtered, Limit>> {
    Statement::built(
        format!("dashboard.breakdown_{}", d.key()),
        format!(
            "SELECT dim_key, toInt64(sum(s)) AS visits, {v} AS visitors, \
             toInt64(sum(pv)) AS pageviews, toInt64(sum(b)) AS bounces FROM (SELECT session_id, visitor_id, \
             {col} AS dim_key, sum(toInt64(sign)) AS s, sum(sign * toInt64(pageviews)) AS pv, \
             sum(sign * toInt64(is_bounce)) AS b FROM sessions WHERE {w} \
             GROUP BY session_id, visitor_id, dim_key HAVING s > 0) \
             GROUP BY dim_key ORDER BY visits DESC, dim_key LIMIT :limit",
            v = distinct!("visitor_id"),
            col = d.column(),
            w = sessions_where()
        ),
    )
}

/// Top `limit` values of `by`.
pub async fn breakdown(
    db: &Db,
    s: &Scope<'_>,
    by: Dimension,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    if s.sites.is_empty() {
        return Ok(vec![]);
    }
    match (by, s.filters.is_empty()) {
        (Dimension::Page, true) => pages::daily(db, s, limit).await,
        (Dimension::Page, false) => pages::raw(db, s, limit).await,
        (Dimension::ExitPage, true) => exit_pages::daily(db, s, limit).await,
        (d, true) => {
            let p = With(s.daily(), With(Dim { dim: d.key() }, Limit { limit }));
            Ok(rows(DIMS_DAILY.query(db, &p)?.fetch_all().await?))
        }
        (d, false) => session_raw(db, s, d, limit).await,
    }
}

/// Filtered visits broken down by a session dimension.
pub(crate) async fn session_raw(
    db: &Db,
    s: &Scope<'_>,
    d: Dimension,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let p = With(s.filtered(), Limit { limit });
    Ok(rows(sessions_raw(d).query(db, &p)?.fetch_all().await?))
}

pub fn catalog() -> Vec<Sampled> {
    let mut out = vec![DIMS_DAILY.sampled(With(
        samples::daily(),
        With(Dim { dim: "source" }, Limit { limit: 10 }),
    ))];
    for d in Dimension::sessions() {
        out.push(sessions_raw(d).sampled(With(samples::filtered(), Limit { limit: 10 })));
    }
    out
}
