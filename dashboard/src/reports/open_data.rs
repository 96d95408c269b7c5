//! The monthly open-data file: visits, page views, visitors, bounce rate and visit duration of
//! every registered site per month, from the daily rollups. (The yearly ranking file reads
//! [`super::ranking`].)
use super::samples;
use super::scope::{daily_where, Daily};
use super::statement::{Sampled, Statement};
use super::visitors::merged;
use crate::params::Range;
use crate::scope::Registry;
use emc_sql::Db;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Visits, bounces, duration, page views per site and month.
pub const MONTHLY_SESSIONS: Statement<Daily> = Statement::fixed(
    "open_data.monthly_sessions",
    concat!(
        "SELECT site, toUInt32(toYYYYMM(day)), toInt64(sum(visits)), toInt64(sum(bounces)), ",
        "toInt64(sum(duration)), toInt64(sum(pageviews)) FROM sessions_daily WHERE ",
        daily_where!(),
        " GROUP BY site, toYYYYMM(day) ORDER BY site, toYYYYMM(day)"
    ),
);

/// Visitors (merged daily sketches) per site and month.
pub const MONTHLY_EVENTS: Statement<Daily> = Statement::fixed(
    "open_data.monthly_events",
    concat!(
        "SELECT site, toUInt32(toYYYYMM(day)), ",
        merged!("visitors"),
        " FROM visitors_daily WHERE ",
        daily_where!(),
        " GROUP BY site, toYYYYMM(day) ORDER BY site, toYYYYMM(day)"
    ),
);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    pub site: String,
    pub name: String,
    pub kind: String,
    pub visits: i64,
    pub pageviews: i64,
    /// Sum over the month's days of the daily distinct visitors' sketches, merged.
    pub visitors: i64,
    /// Bounces / visits, 0–1.
    pub bounce_rate: f64,
    /// Seconds.
    pub avg_session_duration: f64,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct MonthSessions {
    site: String,
    month: u32,
    visits: i64,
    bounces: i64,
    duration: i64,
    pageviews: i64,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct MonthVisitors {
    site: String,
    month: u32,
    visitors: i64,
}

/// Monthly figures of every registered site over the range, by site (registry order) then month.
pub async fn monthly(
    db: &Db,
    reg: &Registry,
    range: &Range,
) -> Result<Vec<MonthFigures>, clickhouse::error::Error> {
    let codes: Vec<String> = reg.sites.iter().map(|s| s.code.clone()).collect();
    if codes.is_empty() {
        return Ok(vec![]);
    }
    let p = Daily::of(&codes, range);
    let (s, e) = tokio::try_join!(
        MONTHLY_SESSIONS.query(db, &p)?.fetch_all::<MonthSessions>(),
        MONTHLY_EVENTS.query(db, &p)?.fetch_all::<MonthVisitors>()
    )?;
    let visitors: BTreeMap<(String, u32), i64> = e
        .into_iter()
        .map(|r| ((r.site, r.month), r.visitors))
        .collect();
    let mut by_site: BTreeMap<String, Vec<MonthSessions>> = BTreeMap::new();
    for r in s {
        by_site.entry(r.site.clone()).or_default().push(r);
    }
    let mut out = vec![];
    for site in &reg.sites {
        for r in by_site.remove(&site.code).unwrap_or_default() {
            let ratio = |a: i64| super::ratio(a, r.visits);
            out.push(MonthFigures {
                month: format!("{}-{:02}", r.month / 100, r.month % 100),
                site: site.code.clone(),
                name: site.name.clone(),
                kind: site.kind.clone(),
                visits: r.visits,
                pageviews: r.pageviews,
                visitors: visitors
                    .get(&(site.code.clone(), r.month))
                    .copied()
                    .unwrap_or(0),
                bounce_rate: ratio(r.bounces),
                avg_session_duration: ratio(r.duration),
            });
        }
    }
    Ok(out)
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        MONTHLY_SESSIONS.sampled(samples::daily()),
        MONTHLY_EVENTS.sampled(samples::daily()),
    ]
}
