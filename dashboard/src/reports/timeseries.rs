//! The time series of a report (visits, visitors, page views per hour, day or month).
//! Unfiltered: hourly or daily rollups; one session-dimension filter by day or month:
//! `sessions_dims_daily`; other filters: raw rows.
use super::rollup_filter;
use super::samples;
use super::scope::DAILY_WHERE;
use super::scope::{daily_where, events_where, sessions_where, Daily, Filtered, Scope, Window};
use super::statement::{binds, Sampled, Statement, With};
use super::stats::DimValue;
use super::visitors::{distinct, merged};
use crate::params::{Interval, Range};
use emc_sql::Db;
use serde::Serialize;
use std::collections::BTreeMap;

/// One bucket of a time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Point {
    pub t: String,
    pub visits: i64,
    pub visitors: i64,
    pub pageviews: i64,
    /// Bounces and the summed duration (seconds) of the bucket's visits: the site page's
    /// bounce-rate and visit-duration charts (not in the API's JSON).
    #[serde(skip)]
    pub bounces: i64,
    #[serde(skip)]
    pub duration: i64,
}

impl Point {
    /// Bounces / visits, 0 without visits.
    pub fn bounce_rate(&self) -> f64 {
        super::ratio(self.bounces, self.visits)
    }
    /// Mean visit duration in seconds, 0 without visits.
    pub fn avg_duration(&self) -> f64 {
        super::ratio(self.duration, self.visits)
    }
}

binds! {
    /// `day` or `month`.
    pub struct Every { interval: &'static str }
}

binds! {
    /// The timezone hours are labelled in.
    pub struct Zone { tz: &'static str }
}

binds! {
    /// Bucket size and timezone, for buckets cut from raw timestamps.
    pub struct Bucketing { interval: &'static str, tz: &'static str }
}

/// (bucket label, two figures) rows.
type Buckets = Vec<(String, i64, i64)>;

/// (bucket label, visits, page views, bounces, duration) rows.
type SessionBuckets = Vec<(String, i64, i64, i64, i64)>;

pub const SESSIONS_DAILY: Statement<With<Every, Daily>> = Statement::fixed(
    "dashboard.ts_sessions_daily",
    concat!(
        "SELECT if(:interval = 'month', toString(toStartOfMonth(day)), toString(day)) AS t, ",
        "toInt64(sum(visits)), toInt64(sum(pageviews)), toInt64(sum(bounces)), toInt64(sum(duration)) FROM sessions_daily WHERE ",
        daily_where!(),
        " GROUP BY t"
    ),
);

pub const EVENTS_DAILY: Statement<With<Every, Daily>> = Statement::fixed(
    "dashboard.ts_events_daily",
    concat!(
        "SELECT if(:interval = 'month', toString(toStartOfMonth(day)), toString(day)) AS t, ",
        merged!("visitors"),
        " FROM visitors_daily WHERE ",
        daily_where!(),
        " GROUP BY t"
    ),
);

pub const SESSIONS_HOURLY: Statement<With<Zone, Window>> = Statement::fixed(
    "dashboard.ts_sessions_hourly",
    "SELECT toString(hour, :tz) AS t, toInt64(sum(visits)), toInt64(sum(pageviews)), toInt64(sum(bounces)), \
     toInt64(sum(duration)) FROM sessions_hourly \
     WHERE site IN (SELECT arrayJoin(:sites)) AND hour >= toDateTime(:start) AND hour < toDateTime(:end) GROUP BY t",
);

/// Visitors per hour from `visitors_hourly` (migration 0012: the same sketch as every report).
pub const EVENTS_HOURLY: Statement<With<Zone, Window>> = Statement::fixed(
    "dashboard.ts_events_hourly",
    concat!(
        "SELECT toString(hour, :tz) AS t, ",
        merged!("visitors"),
        " FROM visitors_hourly WHERE site IN (SELECT arrayJoin(:sites)) AND hour >= toDateTime(:start) ",
        "AND hour < toDateTime(:end) GROUP BY t"
    ),
);

/// Rollup: a day or month series of the visits with one session-dimension value
/// (visits, page views, visitors).
pub fn dims() -> Statement<With<Every, With<Daily, DimValue>>> {
    Statement::built(
        "dashboard.ts_dims",
        format!(
            "SELECT if(:interval = 'month', toString(toStartOfMonth(day)), toString(day)) AS t, toInt64(sum(visits)), \
             toInt64(sum(pageviews)), {v}, toInt64(sum(bounces)), toInt64(sum(duration)) FROM sessions_dims_daily WHERE {DAILY_WHERE} \
             AND dim = :dim AND value = :value GROUP BY t",
            v = merged!("visitors")
        ),
    )
}

fn raw_bucket(col: &str) -> String {
    format!(
        "multiIf(:interval = 'hour', toString(toStartOfHour({col}), :tz), :interval = 'month', \
         toString(toStartOfMonth(toDate({col}, :tz))), toString(toDate({col}, :tz)))"
    )
}

pub fn sessions_raw() -> Statement<With<Bucketing, Filtered>> {
    Statement::built(
        "dashboard.ts_sessions_raw",
        format!(
            "SELECT {} AS t, toInt64(sum(sign)), toInt64(sum(sign * toInt64(pageviews))), \
             toInt64(sum(sign * toInt64(is_bounce))), toInt64(sum(sign * toInt64(duration))) FROM sessions WHERE {} GROUP BY t",
            raw_bucket("start"),
            sessions_where()
        ),
    )
}

pub fn events_raw() -> Statement<With<Bucketing, Filtered>> {
    Statement::built(
        "dashboard.ts_events_raw",
        format!(
            "SELECT {} AS t, {}, toInt64(countIf(name = 'pageview')) FROM events WHERE {} GROUP BY t",
            raw_bucket("timestamp"),
            distinct!("visitor_id"),
            events_where()
        ),
    )
}

/// Every bucket of the range, zeros included, labelled `YYYY-MM-DD HH:00`, `YYYY-MM-DD` or `YYYY-MM`.
pub async fn timeseries(
    db: &Db,
    s: &Scope<'_>,
    interval: Interval,
) -> Result<Vec<Point>, clickhouse::error::Error> {
    let mut points: BTreeMap<String, Point> = buckets(&s.range, interval)
        .into_iter()
        .map(|t| {
            let p = Point {
                t: t.clone(),
                ..Point::default()
            };
            (t, p)
        })
        .collect();
    if s.sites.is_empty() {
        return Ok(points.into_values().collect());
    }
    let tz = s.range.tz.name();
    let iv = interval.as_str();
    let one = rollup_filter(s.filters).filter(|_| interval != Interval::Hour);
    // (t, visits, page views) and (t, visitors, page views or -1 when the first has them).
    let (sessions, events): (SessionBuckets, Buckets) = if let Some((dim, value)) = one {
        let p = With(
            Every { interval: iv },
            With(
                s.daily(),
                DimValue {
                    dim: dim.key(),
                    value: value.to_owned(),
                },
            ),
        );
        let rows: Vec<(String, i64, i64, i64, i64, i64)> =
            dims().query(db, &p)?.fetch_all().await?;
        let sessions = rows
            .iter()
            .map(|(t, v, pv, _, b, d)| (t.clone(), *v, *pv, *b, *d))
            .collect();
        (
            sessions,
            rows.into_iter()
                .map(|(t, _, _, u, _, _)| (t, u, -1))
                .collect(),
        )
    } else if !s.filters.is_empty() {
        let p = With(Bucketing { interval: iv, tz }, s.filtered());
        tokio::try_join!(
            sessions_raw().query(db, &p)?.fetch_all(),
            events_raw().query(db, &p)?.fetch_all()
        )?
    } else if interval == Interval::Hour {
        let p = With(Zone { tz }, s.window());
        let (sessions, ev): (SessionBuckets, Vec<(String, i64)>) = tokio::try_join!(
            SESSIONS_HOURLY.query(db, &p)?.fetch_all(),
            EVENTS_HOURLY.query(db, &p)?.fetch_all()
        )?;
        (sessions, ev.into_iter().map(|(t, v)| (t, v, -1)).collect())
    } else {
        let p = With(Every { interval: iv }, s.daily());
        let (sessions, ev): (SessionBuckets, Vec<(String, i64)>) = tokio::try_join!(
            SESSIONS_DAILY.query(db, &p)?.fetch_all(),
            EVENTS_DAILY.query(db, &p)?.fetch_all()
        )?;
        (sessions, ev.into_iter().map(|(t, v)| (t, v, -1)).collect())
    };
    for (t, visits, pageviews, bounces, duration) in sessions {
        if let Some(p) = points.get_mut(&label(&t, interval)) {
            p.visits = visits;
            p.pageviews = pageviews;
            p.bounces = bounces;
            p.duration = duration;
        }
    }
    for (t, visitors, pageviews) in events {
        if let Some(p) = points.get_mut(&label(&t, interval)) {
            p.visitors = visitors;
            if pageviews >= 0 {
                p.pageviews = pageviews;
            }
        }
    }
    Ok(points.into_values().collect())
}

/// The server's bucket text (`2026-03-01`, `2026-03-01 08:00:00`) as our label.
fn label(t: &str, interval: Interval) -> String {
    match interval {
        Interval::Hour => t.get(..13).map(|h| format!("{h}:00")).unwrap_or_default(),
        Interval::Day => t.get(..10).unwrap_or_default().to_owned(),
        Interval::Month => t.get(..7).unwrap_or_default().to_owned(),
    }
}

/// The labels of every bucket of `range`.
pub fn buckets(range: &Range, interval: Interval) -> Vec<String> {
    let mut out = vec![];
    let mut day = range.from;
    while day <= range.to {
        match interval {
            Interval::Hour => {
                out.extend((0..24).map(|h| format!("{} {h:02}:00", day.format("%Y-%m-%d"))))
            }
            Interval::Day => out.push(day.format("%Y-%m-%d").to_string()),
            Interval::Month => {
                let m = day.format("%Y-%m").to_string();
                if out.last() != Some(&m) {
                    out.push(m);
                }
            }
        }
        day = day.succ_opt().unwrap_or(day);
        if day == chrono::NaiveDate::MAX {
            break;
        }
    }
    out
}

pub fn catalog() -> Vec<Sampled> {
    let tz = "Asia/Ho_Chi_Minh";
    let dv = DimValue {
        dim: "country",
        value: "VN".into(),
    };
    vec![
        SESSIONS_DAILY.sampled(With(Every { interval: "month" }, samples::daily())),
        EVENTS_DAILY.sampled(With(Every { interval: "day" }, samples::daily())),
        SESSIONS_HOURLY.sampled(With(Zone { tz }, samples::window())),
        EVENTS_HOURLY.sampled(With(Zone { tz }, samples::window())),
        dims().sampled(With(
            Every { interval: "month" },
            With(samples::daily(), dv),
        )),
        sessions_raw().sampled(With(
            Bucketing {
                interval: "day",
                tz,
            },
            samples::filtered(),
        )),
        events_raw().sampled(With(
            Bucketing {
                interval: "day",
                tz,
            },
            samples::filtered(),
        )),
    ]
}
