//! The headline figures (`GET /api/v1/stats`, the top of a report page). Unfiltered: from the
//! daily rollups; one `source` filter: from `sessions_dims_daily`; other filters: raw rows.
use super::samples;
use super::scope::{
    daily_where, events_where, sessions_where, Daily, Filtered, Scope, DAILY_WHERE,
};
use super::statement::{binds, Sampled, Statement, With};
use super::visitors::{distinct, merged};
use super::{ratio, rollup_filter};
use crate::reports::dimension::Dimension;
use emc_sql::Db;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sources {
    pub direct: i64,
    pub organic: i64,
    pub social: i64,
    pub referral: i64,
    pub campaign: i64,
}

/// The headline figures, as `GET /api/v1/stats` returns them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub visits: i64,
    pub sessions: i64,
    pub pageviews: i64,
    pub visitors: i64,
    pub bounces: i64,
    pub bounce_rate: f64,
    pub avg_session_duration: f64,
    pub hits: i64,
    pub sources: Sources,
}

binds! {
    /// One value of one dimension of `sessions_dims_daily`.
    pub struct DimValue { dim: &'static str, value: String }
}

/// Rollup: visits, bounces, duration, page views by source.
pub const SESSIONS_DAILY: Statement<Daily> = Statement::fixed(
    "dashboard.stats_sessions_daily",
    concat!(
        "SELECT source, toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)), toInt64(sum(pageviews)) ",
        "FROM sessions_daily WHERE ",
        daily_where!(),
        " GROUP BY source"
    ),
);

/// Rollup: hits, page views, visitors (merged daily sketches, migration 0008).
pub const EVENTS_DAILY: Statement<Daily> = Statement::fixed(
    "dashboard.stats_events_daily",
    concat!(
        "SELECT toInt64(sum(hits)), toInt64(sum(pageviews)), ",
        merged!("visitors"),
        " FROM visitors_daily WHERE ",
        daily_where!()
    ),
);

/// Rollup: the figures of the visits with one session-dimension value (visits, bounces,
/// duration, page views, hits, visitors).
pub fn dims() -> Statement<With<Daily, DimValue>> {
    Statement::built(
        "dashboard.stats_dims",
        format!(
            "SELECT toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)), toInt64(sum(pageviews)), \
             toInt64(sum(hits)), {v} FROM sessions_dims_daily WHERE {DAILY_WHERE} \
             AND dim = :dim AND value = :value",
            v = merged!("visitors")
        ),
    )
}

/// Raw, for filtered views: visits, bounces, duration, page views by source.
pub fn sessions_raw() -> Statement<Filtered> {
    Statement::built(
        "dashboard.stats_sessions_raw",
        format!(
            "SELECT source, toInt64(sum(sign)), toInt64(sum(sign * toInt64(is_bounce))), \
             toInt64(sum(sign * toInt64(duration))), toInt64(sum(sign * toInt64(pageviews))) \
             FROM sessions WHERE {} GROUP BY source",
            sessions_where()
        ),
    )
}

/// Raw, for filtered views: hits, page views, visitors.
pub fn events_raw() -> Statement<Filtered> {
    Statement::built(
        "dashboard.stats_events_raw",
        format!(
            "SELECT toInt64(count()), toInt64(countIf(name = 'pageview')), {} FROM events WHERE {}",
            distinct!("visitor_id"),
            events_where()
        ),
    )
}

/// Sums (source, visits, bounces, duration, pageviews) rows into stats.
fn session_totals(rows: &[(String, i64, i64, i64, i64)]) -> (Stats, i64) {
    let mut st = Stats::default();
    let mut duration = 0;
    for (source, visits, bounces, dur, pv) in rows {
        st.visits += visits;
        st.bounces += bounces;
        duration += dur;
        st.pageviews += pv;
        let slot = match source.as_str() {
            "direct" | "" => &mut st.sources.direct,
            "organic" => &mut st.sources.organic,
            "social" => &mut st.sources.social,
            "referral" => &mut st.sources.referral,
            "campaign" => &mut st.sources.campaign,
            _ => continue,
        };
        *slot += visits;
    }
    (st, duration)
}

type SourceRows = Vec<(String, i64, i64, i64, i64)>;

pub async fn stats(db: &Db, s: &Scope<'_>) -> Result<Stats, clickhouse::error::Error> {
    if s.sites.is_empty() {
        return Ok(Stats::default());
    }
    let (mut st, duration, (hits, pageviews, visitors)) = if s.filters.is_empty() {
        let d = s.daily();
        let (rows, ev): (SourceRows, (i64, i64, i64)) = tokio::try_join!(
            SESSIONS_DAILY.query(db, &d)?.fetch_all(),
            EVENTS_DAILY.query(db, &d)?.fetch_one(),
        )?;
        let (st, dur) = session_totals(&rows);
        let pv = st.pageviews;
        (st, dur, (ev.0, pv, ev.2))
    } else if let Some((Dimension::Source, source)) = rollup_filter(s.filters) {
        // Visits of one source: the rollup's row for it is the whole answer, sources included.
        let p = With(
            s.daily(),
            DimValue {
                dim: Dimension::Source.key(),
                value: source.to_owned(),
            },
        );
        let (visits, bounces, dur, pv, hits, visitors): (i64, i64, i64, i64, i64, i64) =
            dims().query(db, &p)?.fetch_one().await?;
        let (st, d) = session_totals(&[(source.to_owned(), visits, bounces, dur, pv)]);
        (st, d, (hits, pv, visitors))
    } else {
        let f = s.filtered();
        let (rows, ev): (SourceRows, (i64, i64, i64)) = tokio::try_join!(
            sessions_raw().query(db, &f)?.fetch_all(),
            events_raw().query(db, &f)?.fetch_one(),
        )?;
        let (st, d) = session_totals(&rows);
        (st, d, ev)
    };
    st.sessions = st.visits;
    st.hits = hits;
    st.pageviews = pageviews;
    st.visitors = visitors;
    st.bounce_rate = ratio(st.bounces, st.visits);
    st.avg_session_duration = ratio(duration, st.visits);
    Ok(st)
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        SESSIONS_DAILY.sampled(samples::daily()),
        EVENTS_DAILY.sampled(samples::daily()),
        dims().sampled(With(
            samples::daily(),
            DimValue {
                dim: "source",
                value: "organic".into(),
            },
        )),
        sessions_raw().sampled(samples::filtered()),
        events_raw().sampled(samples::filtered()),
    ]
}
