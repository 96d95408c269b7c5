//! The ranking's inputs per site over a range: visits, bounces, duration (`sessions_daily`),
//! visitors and the days with hits (`visitors_daily`), and the compliance counts
//! ([`super::compliance`]), and what the scanner saw ([`super::ranking_scans`]). The scoring
//! is in [`crate::ranking`].
use super::samples;
use super::scope::{daily_where, Daily};
use super::statement::{Sampled, Statement};
use super::visitors::merged;
use crate::params::Range;
use crate::ranking::SiteInputs;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Visits, bounces, duration per site.
pub const SESSIONS: Statement<Daily> = Statement::fixed(
    "ranking.sessions",
    concat!(
        "SELECT site, toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)) FROM sessions_daily WHERE ",
        daily_where!(),
        " GROUP BY site"
    ),
);

/// Visitors (merged daily sketches) and the days with hits.
pub const EVENTS: Statement<Daily> = Statement::fixed(
    "ranking.events",
    concat!(
        "SELECT site, ",
        merged!("visitors"),
        ", groupUniqArray(day) FROM visitors_daily WHERE ",
        daily_where!(),
        " GROUP BY site"
    ),
);

#[derive(Debug, clickhouse::Row, Deserialize)]
struct SessionsRow {
    site: String,
    visits: i64,
    bounces: i64,
    duration: i64,
}

/// One row of [`EVENTS`].
#[derive(Debug, clickhouse::Row, Deserialize)]
pub struct EventsRow {
    pub site: String,
    pub visitors: i64,
    pub days: Vec<u16>,
}

/// [`EVENTS`] over the sites in `codes` (none: no query).
pub async fn events(
    db: &Db,
    codes: &[String],
    range: &Range,
) -> Result<Vec<EventsRow>, clickhouse::error::Error> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    EVENTS
        .query(db, &Daily::of(codes, range))?
        .fetch_all::<EventsRow>()
        .await
}

/// The inputs of every site in `codes` over the range (no domains: they are the registry's).
pub async fn load_inputs(
    db: &Db,
    codes: &[String],
    range: &Range,
) -> Result<BTreeMap<String, SiteInputs>, clickhouse::error::Error> {
    if codes.is_empty() {
        return Ok(BTreeMap::new());
    }
    let q = SESSIONS.query(db, &Daily::of(codes, range))?;
    let (sessions, events, counts, scans) = tokio::try_join!(
        q.fetch_all::<SessionsRow>(),
        events(db, codes, range),
        super::compliance::counts_by_site(db, codes, range),
        super::ranking_scans::scan_counts(db, codes, range)
    )?;
    let mut out: BTreeMap<String, SiteInputs> = BTreeMap::new();
    for (site, c) in scans {
        out.entry(site).or_default().scan = c;
    }
    for r in sessions {
        let i = out.entry(r.site).or_default();
        (i.visits, i.bounces, i.duration) = (r.visits, r.bounces, r.duration);
    }
    for r in events {
        let i = out.entry(r.site).or_default();
        i.visitors = r.visitors.max(0) as u64;
        i.days = r.days.into_iter().collect();
    }
    for (site, c) in counts {
        let i = out.entry(site).or_default();
        (i.pageviews, i.labelled, i.dc_complete, i.https, i.timings) =
            (c.pageviews, c.labelled, c.dc_complete, c.https, c.timings);
    }
    Ok(out)
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        SESSIONS.sampled(samples::daily()),
        EVENTS.sampled(samples::daily()),
    ]
}
