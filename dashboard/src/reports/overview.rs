//! The overview: headline figures of every site in scope, one row each, from the daily rollups.
use super::scope::{daily_where, Daily};
use super::statement::{Sampled, Statement};
use super::visitors::merged;
use super::{ratio, samples};
use crate::params::Range;
use emc_sql::Db;
use serde::Serialize;
use std::collections::BTreeMap;

/// Headline figures of one site in the overview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SiteFigures {
    pub site: String,
    pub name: String,
    pub visits: i64,
    pub visitors: i64,
    pub pageviews: i64,
    pub hits: i64,
    pub bounce_rate: f64,
    pub avg_session_duration: f64,
}

/// Visits, bounces, duration, page views per site.
pub const SESSIONS: Statement<Daily> = Statement::fixed(
    "dashboard.overview_sessions",
    concat!(
        "SELECT site, toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)), toInt64(sum(pageviews)) ",
        "FROM sessions_daily WHERE ",
        daily_where!(),
        " GROUP BY site"
    ),
);

/// Hits and visitors per site.
pub const EVENTS: Statement<Daily> = Statement::fixed(
    "dashboard.overview_events",
    concat!(
        "SELECT site, toInt64(sum(hits)), ",
        merged!("visitors"),
        " FROM visitors_daily WHERE ",
        daily_where!(),
        " GROUP BY site"
    ),
);

/// (site, visits, bounces, duration, page views) rows.
type SiteRows = Vec<(String, i64, i64, i64, i64)>;

/// One row per site in `sites` (code, name), in that order.
pub async fn overview(
    db: &Db,
    sites: &[(String, String)],
    range: Range,
) -> Result<Vec<SiteFigures>, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(vec![]);
    }
    let mut out: BTreeMap<String, SiteFigures> = sites
        .iter()
        .map(|(c, n)| {
            let f = SiteFigures {
                site: c.clone(),
                name: n.clone(),
                ..SiteFigures::default()
            };
            (c.clone(), f)
        })
        .collect();
    let codes: Vec<String> = sites.iter().map(|(c, _)| c.clone()).collect();
    let p = Daily::of(&codes, &range);
    let (rows, events): (SiteRows, Vec<(String, i64, i64)>) = tokio::try_join!(
        SESSIONS.query(db, &p)?.fetch_all(),
        EVENTS.query(db, &p)?.fetch_all()
    )?;
    for (site, visits, bounces, duration, pageviews) in rows {
        if let Some(f) = out.get_mut(&site) {
            f.visits = visits;
            f.pageviews = pageviews;
            f.bounce_rate = ratio(bounces, visits);
            f.avg_session_duration = ratio(duration, visits);
        }
    }
    for (site, hits, visitors) in events {
        if let Some(f) = out.get_mut(&site) {
            f.hits = hits;
            f.visitors = visitors;
        }
    }
    Ok(sites.iter().filter_map(|(c, _)| out.remove(c)).collect())
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        SESSIONS.sampled(samples::daily()),
        EVENTS.sampled(samples::daily()),
    ]
}
