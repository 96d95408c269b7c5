//! The page breakdown: pages by page views, with the visits and visitors that viewed each and
//! the bounce rate of the visits that entered on it. Unfiltered from `pages_daily` (and
//! `sessions_dims_daily` for the bounces), filtered from the raw hits.
use super::breakdown::{self, BreakdownRow, Limit};
use super::dimension::Dimension;
use super::scope::{daily_where, events_where, Daily, Filtered, Scope};
use super::statement::{Sampled, Statement, With};
use super::visitors::{distinct, merged};
use super::{ratio, samples};
use emc_sql::Db;
use std::collections::BTreeMap;

/// Rollup: top pages by page views; visits and visitors merged from daily sketches for the
/// pages shown only.
pub const DAILY: Statement<With<Daily, Limit>> = Statement::fixed(
    "dashboard.page_breakdown_daily",
    concat!(
        "SELECT pathname, ",
        merged!("visits"),
        ", ",
        merged!("visitors"),
        ", toInt64(sum(pageviews)) AS pv FROM pages_daily WHERE ",
        daily_where!(),
        " AND pathname IN (SELECT pathname FROM pages_daily WHERE ",
        daily_where!(),
        " GROUP BY pathname ORDER BY sum(pageviews) DESC, pathname LIMIT :limit)",
        " GROUP BY pathname ORDER BY pv DESC, pathname"
    ),
);

/// Rollup: visits and bounces of the visits that entered on each of the top pages (ranked as
/// [`DAILY`] ranks them, so both run at once).
pub const ENTRY_BOUNCES_DAILY: Statement<With<Daily, Limit>> = Statement::fixed(
    "dashboard.entry_bounces_daily",
    concat!(
        "SELECT value, toInt64(sum(visits)), toInt64(sum(bounces)) FROM sessions_dims_daily WHERE ",
        daily_where!(),
        " AND dim = 'entry_page' AND value IN (SELECT pathname FROM pages_daily WHERE ",
        daily_where!(),
        " GROUP BY pathname ORDER BY sum(pageviews) DESC, pathname LIMIT :limit) GROUP BY value"
    ),
);

/// Raw: pages viewed by the filtered visits, their visits, visitors and page views.
pub fn raw_statement() -> Statement<With<Filtered, Limit>> {
    Statement::built(
        "dashboard.page_breakdown",
        format!(
            "SELECT pathname AS dim_key, {} AS visits, {} AS visitors, toInt64(count()) AS pageviews \
             FROM events WHERE name = 'pageview' AND {} GROUP BY dim_key ORDER BY pageviews DESC, dim_key \
             LIMIT :limit",
            distinct!("session_id"),
            distinct!("visitor_id"),
            events_where()
        ),
    )
}

/// (page, visits, visitors, page views) rows.
type PageRows = Vec<(String, i64, i64, i64)>;

/// Page rows with each page's bounce rate.
fn with_bounces(rows: PageRows, bounce: &BTreeMap<String, f64>) -> Vec<BreakdownRow> {
    rows.into_iter()
        .map(|(key, visits, visitors, pageviews)| BreakdownRow {
            bounce_rate: bounce.get(&key).copied().unwrap_or(0.0),
            key,
            visits,
            visitors,
            pageviews,
        })
        .collect()
}

/// Unfiltered.
pub async fn daily(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let p = With(s.daily(), Limit { limit });
    let (rows, entries): (PageRows, Vec<(String, i64, i64)>) = tokio::try_join!(
        DAILY.query(db, &p)?.fetch_all(),
        ENTRY_BOUNCES_DAILY.query(db, &p)?.fetch_all()
    )?;
    let bounce = entries
        .into_iter()
        .map(|(k, visits, bounces)| (k, ratio(bounces, visits)))
        .collect();
    Ok(with_bounces(rows, &bounce))
}

/// Filtered.
pub async fn raw(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let q = raw_statement().query(db, &With(s.filtered(), Limit { limit }))?;
    let (rows, entries) = tokio::try_join!(
        q.fetch_all::<(String, i64, i64, i64)>(),
        breakdown::session_raw(db, s, Dimension::EntryPage, 1000)
    )?;
    let bounce = entries
        .into_iter()
        .map(|r| (r.key, r.bounce_rate))
        .collect();
    Ok(with_bounces(rows, &bounce))
}

pub fn catalog() -> Vec<Sampled> {
    let daily = || With(samples::daily(), Limit { limit: 10 });
    vec![
        DAILY.sampled(daily()),
        ENTRY_BOUNCES_DAILY.sampled(daily()),
        raw_statement().sampled(With(samples::filtered(), Limit { limit: 10 })),
    ]
}
