//! One function per report. Unfiltered figures and breakdowns read the rollups, and so do
//! views with one session-dimension filter where a rollup answers exactly; the other filtered
//! views read the raw `sessions`/`events` tables (see ARCHITECTURE.md, "Dashboard").
pub mod sql;

use crate::params::{Filters, Interval, Range};
use clickhouse::query::Query;
use emc_sql::Db;
use serde::Serialize;
use std::collections::BTreeMap;

/// What every report reads: a set of sites, a range, filters.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub sites: &'a [String],
    pub range: Range,
    pub filters: &'a Filters,
}

const DAY: u32 = 86_400;

/// (bucket label, two figures) rows of a time-series query.
type Buckets = Vec<(String, i64, i64)>;
/// (key, four figures) rows: by source in the stats, by site in the overview.
type Rows4 = Vec<(String, i64, i64, i64, i64)>;
/// (key, three figures) rows.
type Rows3 = Vec<(String, i64, i64, i64)>;

fn bind_sessions(mut q: Query, s: &Scope<'_>) -> Query {
    let page = s.filters.page();
    q = q
        .bind(s.sites)
        .bind(s.range.start_ts())
        .bind(s.range.end_ts());
    q = q
        .bind(page)
        .bind(s.sites)
        .bind(s.range.start_ts())
        .bind(s.range.end_ts() + DAY)
        .bind(page);
    for v in s.filters.session_values() {
        q = q.bind(v.as_str()).bind(v.as_str());
    }
    q
}

fn bind_events(mut q: Query, s: &Scope<'_>) -> Query {
    let page = s.filters.page();
    q = q
        .bind(s.sites)
        .bind(s.range.start_ts())
        .bind(s.range.end_ts() + DAY)
        .bind(page)
        .bind(page);
    bind_sessions(q, s)
}

fn bind_daily(q: Query, s: &Scope<'_>) -> Query {
    q.bind(s.sites)
        .bind(s.range.from_str())
        .bind(s.range.to_str())
}

/// The one filter `sessions_dims_daily` answers exactly, as (dimension, value): a single
/// session-level filter other than `exit_page` (whose visitors the rollup cannot tell, see
/// migration 0007). The filter keys are the rollup's dimension names.
fn rollup_filter(f: &Filters) -> Option<(&'static str, &str)> {
    match f.active().as_slice() {
        [(key, value)] if *key != "page" && *key != "exit_page" => Some((*key, *value)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sources {
    pub direct: i64,
    pub organic: i64,
    pub social: i64,
    pub referral: i64,
    pub campaign: i64,
}

/// The headline figures, as `GET /api/v1/stats` returns them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

fn ratio(a: i64, b: i64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
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

pub async fn stats(db: &Db, s: &Scope<'_>) -> Result<Stats, clickhouse::error::Error> {
    if s.sites.is_empty() {
        return Ok(Stats::default());
    }
    let c = db.client();
    let (mut st, duration, (hits, pageviews, visitors)) = if s.filters.is_empty() {
        let (rows, ev): (Rows4, (i64, i64, i64)) = tokio::try_join!(
            bind_daily(c.query(sql::STATS_SESSIONS_DAILY), s).fetch_all(),
            bind_daily(c.query(sql::STATS_EVENTS_DAILY), s).fetch_one(),
        )?;
        let (st, d) = session_totals(&rows);
        let pv = st.pageviews;
        (st, d, (ev.0, pv, ev.2))
    } else if let Some(("source", source)) = rollup_filter(s.filters) {
        // Visits of one source: the rollup's row for it is the whole answer, sources included.
        let (visits, bounces, dur, pv, hits, visitors): (i64, i64, i64, i64, i64, i64) =
            bind_daily(c.query(sql::STATS_DIMS), s)
                .bind("source")
                .bind(source)
                .fetch_one()
                .await?;
        let (st, d) = session_totals(&[(source.to_owned(), visits, bounces, dur, pv)]);
        (st, d, (hits, pv, visitors))
    } else {
        let rows = bind_sessions(c.query(sql::STATS_SESSIONS_RAW), s)
            .fetch_all()
            .await?;
        let ev: (i64, i64, i64) = bind_events(c.query(sql::STATS_EVENTS_RAW), s)
            .fetch_one()
            .await?;
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

/// One row of a breakdown.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BreakdownRow {
    pub key: String,
    pub visits: i64,
    pub visitors: i64,
    pub pageviews: i64,
    pub bounce_rate: f64,
}

/// Top `limit` values of `by` (a name from `params::DIMENSIONS`).
pub async fn breakdown(
    db: &Db,
    s: &Scope<'_>,
    by: &str,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    if s.sites.is_empty() {
        return Ok(vec![]);
    }
    if s.filters.is_empty() {
        return match by {
            "page" => page_breakdown_daily(db, s, limit).await,
            "exit_page" => exit_breakdown_daily(db, s, limit).await,
            _ => dims_breakdown_daily(db, s, by, limit).await,
        };
    }
    if by == "page" {
        return page_breakdown(db, s, limit).await;
    }
    let stmt = sql::SESSION_BREAKDOWNS
        .iter()
        .find(|(d, _)| *d == by)
        .map(|(_, q)| *q)
        .unwrap_or(sql::SESSION_BREAKDOWNS[0].1);
    session_breakdown(db, s, stmt, limit).await
}

/// Unfiltered, from `sessions_dims_daily`; `by` is one of its dimension names (bound as a value).
async fn dims_breakdown_daily(
    db: &Db,
    s: &Scope<'_>,
    by: &str,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let dim = sql::SESSION_BREAKDOWNS
        .iter()
        .map(|(d, _)| *d)
        .find(|d| *d == by)
        .unwrap_or(sql::SESSION_BREAKDOWNS[0].0);
    let q = bind_daily(db.client().query(sql::BREAKDOWN_DIMS), s).bind(dim);
    let rows: Vec<(String, i64, i64, i64, i64)> =
        bind_daily(q, s).bind(dim).bind(limit).fetch_all().await?;
    Ok(rows
        .into_iter()
        .map(|(key, visits, visitors, pageviews, bounces)| BreakdownRow {
            key,
            visits,
            visitors,
            pageviews,
            bounce_rate: ratio(bounces, visits),
        })
        .collect())
}

/// Unfiltered exit pages: the rollup ranks them and gives visits, page views and bounces; the
/// visitors of the pages shown come from `sessions` (a sketch cannot forget a superseded exit),
/// in a second query bound to exactly those pages.
async fn exit_breakdown_daily(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let c = db.client();
    let rows: Rows3 = bind_daily(c.query(sql::BREAKDOWN_DIMS_SUMS), s)
        .bind("exit_page")
        .bind(limit)
        .fetch_all()
        .await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let pages: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let counted: Vec<(i64, i64)> = c
        .query(sql::EXIT_VISITORS_RAW)
        .bind(&pages)
        .bind(s.sites)
        .bind(s.range.start_ts())
        .bind(s.range.end_ts())
        .bind(&pages)
        .fetch_all()
        .await?;
    // p is the page's 1-based position in `pages`.
    let visitors: BTreeMap<usize, i64> = counted
        .into_iter()
        .filter_map(|(p, n)| usize::try_from(p - 1).ok().map(|i| (i, n)))
        .collect();
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, (key, visits, pageviews, bounces))| {
            let visitors = visitors.get(&i).copied().unwrap_or(0);
            BreakdownRow {
                key,
                visits,
                visitors,
                pageviews,
                bounce_rate: ratio(bounces, visits),
            }
        })
        .collect())
}

/// Unfiltered pages from `pages_daily`; a page's bounce rate is that of the visits that
/// entered on it (`sessions_dims_daily`).
async fn page_breakdown_daily(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let c = db.client();
    let top = |stmt| bind_daily(bind_daily(c.query(stmt), s), s).bind(limit);
    let (rows, entries): (Rows3, Buckets) = tokio::try_join!(
        top(sql::PAGE_BREAKDOWN_DAILY).fetch_all(),
        top(sql::ENTRY_BOUNCES_DAILY).fetch_all()
    )?;
    let bounce: BTreeMap<String, f64> = entries
        .into_iter()
        .map(|(k, visits, bounces)| (k, ratio(bounces, visits)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(key, visits, visitors, pageviews)| {
            let bounce_rate = bounce.get(&key).copied().unwrap_or(0.0);
            BreakdownRow {
                key,
                visits,
                visitors,
                pageviews,
                bounce_rate,
            }
        })
        .collect())
}

async fn session_breakdown(
    db: &Db,
    s: &Scope<'_>,
    stmt: &str,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let rows: Vec<(String, i64, i64, i64, i64)> = bind_sessions(db.client().query(stmt), s)
        .bind(limit)
        .fetch_all()
        .await?;
    Ok(rows
        .into_iter()
        .map(|(key, visits, visitors, pageviews, bounces)| BreakdownRow {
            key,
            visits,
            visitors,
            pageviews,
            bounce_rate: ratio(bounces, visits),
        })
        .collect())
}

/// Pages; a page's bounce rate is that of the visits that entered on it.
async fn page_breakdown(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let rows: Vec<(String, i64, i64, i64)> = bind_events(db.client().query(sql::PAGE_BREAKDOWN), s)
        .bind(limit)
        .fetch_all()
        .await?;
    let entries = session_breakdown(db, s, sql::SESSION_BREAKDOWNS[0].1, 1000).await?;
    let bounce: BTreeMap<&str, f64> = entries
        .iter()
        .map(|r| (r.key.as_str(), r.bounce_rate))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(key, visits, visitors, pageviews)| {
            let bounce_rate = bounce.get(key.as_str()).copied().unwrap_or(0.0);
            BreakdownRow {
                key,
                visits,
                visitors,
                pageviews,
                bounce_rate,
            }
        })
        .collect())
}

/// One bucket of a time series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Point {
    pub t: String,
    pub visits: i64,
    pub visitors: i64,
    pub pageviews: i64,
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
            (
                t.clone(),
                Point {
                    t,
                    ..Point::default()
                },
            )
        })
        .collect();
    if s.sites.is_empty() {
        return Ok(points.into_values().collect());
    }
    let c = db.client();
    let tz = s.range.tz.name();
    let iv = interval.as_str();
    let one = rollup_filter(s.filters).filter(|_| interval != Interval::Hour);
    let (sessions, events): (Buckets, Buckets) = if let Some((dim, value)) = one {
        let rows: Vec<(String, i64, i64, i64)> = bind_daily(c.query(sql::TS_DIMS).bind(iv), s)
            .bind(dim)
            .bind(value)
            .fetch_all()
            .await?;
        let sessions = rows
            .iter()
            .map(|(t, v, pv, _)| (t.clone(), *v, *pv))
            .collect();
        (
            sessions,
            rows.into_iter().map(|(t, _, _, u)| (t, u, -1)).collect(),
        )
    } else if !s.filters.is_empty() {
        let q = c
            .query(sql::TS_SESSIONS_RAW)
            .bind(iv)
            .bind(tz)
            .bind(iv)
            .bind(tz)
            .bind(tz);
        let sessions = bind_sessions(q, s).fetch_all().await?;
        let q = c
            .query(sql::TS_EVENTS_RAW)
            .bind(iv)
            .bind(tz)
            .bind(iv)
            .bind(tz)
            .bind(tz);
        (sessions, bind_events(q, s).fetch_all().await?)
    } else if interval == Interval::Hour {
        let hourly = |stmt| {
            c.query(stmt)
                .bind(tz)
                .bind(s.sites)
                .bind(s.range.start_ts())
                .bind(s.range.end_ts())
        };
        let sessions = hourly(sql::TS_SESSIONS_HOURLY).fetch_all().await?;
        let ev: Vec<(String, i64)> = hourly(sql::TS_EVENTS_HOURLY).fetch_all().await?;
        (sessions, ev.into_iter().map(|(t, v)| (t, v, -1)).collect())
    } else {
        let sessions = bind_daily(c.query(sql::TS_SESSIONS_DAILY).bind(iv), s)
            .fetch_all()
            .await?;
        let ev: Vec<(String, i64)> = bind_daily(c.query(sql::TS_EVENTS_DAILY).bind(iv), s)
            .fetch_all()
            .await?;
        (sessions, ev.into_iter().map(|(t, v)| (t, v, -1)).collect())
    };
    for (t, visits, pageviews) in sessions {
        if let Some(p) = points.get_mut(&label(&t, interval)) {
            p.visits = visits;
            p.pageviews = pageviews;
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

/// Headline figures of one site in the overview.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

/// One row per site in `sites` (code, name), from the rollups.
pub async fn overview(
    db: &Db,
    sites: &[(String, String)],
    range: Range,
) -> Result<Vec<SiteFigures>, clickhouse::error::Error> {
    let codes: Vec<String> = sites.iter().map(|(c, _)| c.clone()).collect();
    let mut out: BTreeMap<String, SiteFigures> = sites
        .iter()
        .map(|(c, n)| {
            (
                c.clone(),
                SiteFigures {
                    site: c.clone(),
                    name: n.clone(),
                    ..SiteFigures::default()
                },
            )
        })
        .collect();
    if codes.is_empty() {
        return Ok(vec![]);
    }
    let no_filters = Filters::default();
    let s = Scope {
        sites: &codes,
        range,
        filters: &no_filters,
    };
    let c = db.client();
    let (rows, events): (Rows4, Buckets) = tokio::try_join!(
        bind_daily(c.query(sql::OVERVIEW_SESSIONS), &s).fetch_all(),
        bind_daily(c.query(sql::OVERVIEW_EVENTS), &s).fetch_all()
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

/// Visitors and hits in the 5 minutes before `now_ts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Realtime {
    pub visitors: i64,
    pub hits: i64,
}

pub async fn realtime(
    db: &Db,
    sites: &[String],
    now_ts: u32,
) -> Result<Realtime, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(Realtime::default());
    }
    let (visitors, hits): (i64, i64) = db
        .client()
        .query(sql::REALTIME)
        .bind(sites)
        .bind(now_ts.saturating_sub(300))
        .fetch_one()
        .await?;
    Ok(Realtime { visitors, hits })
}

/// The rollup statements of this module with sample binds, for the modern-ClickHouse check
/// (`crate::queries()` gathers them with the others).
pub fn rollup_queries() -> Vec<emc_sql::catalog::CatalogQuery> {
    use emc_sql::catalog::CatalogQuery;
    const DAILY: [&str; 3] = ["['227','10000']", "'2026-03-01'", "'2026-03-31'"];
    let leak =
        |v: Vec<&'static str>| -> &'static [&'static str] { Box::leak(v.into_boxed_slice()) };
    let dims = |dim: &'static str| [DAILY.as_slice(), &[dim]].concat();
    vec![
        CatalogQuery {
            name: "dashboard.breakdown_dims",
            sql: sql::BREAKDOWN_DIMS,
            binds: leak([dims("'source'"), dims("'source'"), vec!["10"]].concat()),
        },
        CatalogQuery {
            name: "dashboard.breakdown_dims_sums",
            sql: sql::BREAKDOWN_DIMS_SUMS,
            binds: leak([dims("'exit_page'"), vec!["10"]].concat()),
        },
        CatalogQuery {
            name: "dashboard.exit_visitors_raw",
            sql: sql::EXIT_VISITORS_RAW,
            binds: leak(vec![
                "['/','/tin-tuc']",
                "['227','10000']",
                "1772298000",
                "1772384400",
                "['/','/tin-tuc']",
            ]),
        },
        CatalogQuery {
            name: "dashboard.page_breakdown_daily",
            sql: sql::PAGE_BREAKDOWN_DAILY,
            binds: leak([DAILY.to_vec(), DAILY.to_vec(), vec!["10"]].concat()),
        },
        CatalogQuery {
            name: "dashboard.entry_bounces_daily",
            sql: sql::ENTRY_BOUNCES_DAILY,
            binds: leak([DAILY.to_vec(), DAILY.to_vec(), vec!["10"]].concat()),
        },
        CatalogQuery {
            name: "dashboard.stats_dims",
            sql: sql::STATS_DIMS,
            binds: leak([dims("'source'"), vec!["'organic'"]].concat()),
        },
        CatalogQuery {
            name: "dashboard.ts_dims",
            sql: sql::TS_DIMS,
            binds: leak([vec!["'month'"], dims("'country'"), vec!["'VN'"]].concat()),
        },
    ]
}
