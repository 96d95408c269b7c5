//! What the alert rules read: the requests of the last hour per site and reason (connection
//! log), hits per site in five same-weekday windows (the `events_hourly` rollup) and the
//! scanner's newest results (`scan_checks`). The rules themselves are pure
//! ([`crate::alerts::detect`]); the windows are computed in [`crate::alerts::facts`].
use super::statement::{binds, Sampled, Statement};
use crate::alerts::detect::{ScanResult, Traffic};
use crate::health::{self, Rejections};
use emc_sql::Db;
use serde::Deserialize;

binds! {
    /// `[start, end)` in Unix seconds.
    pub struct Span { start: u32, end: u32 }
}

binds! {
    /// Results newer than `since` (Unix seconds).
    pub struct Since { since: u32 }
}

binds! {
    /// Today so far (`d0_*`) and the same span 1–4 weeks before (`d1_*` … `d4_*`); the outer
    /// bounds `from`/`to` limit the rollup read.
    pub struct Windows {
        d0_start: u32, d0_end: u32,
        d1_start: u32, d1_end: u32,
        d2_start: u32, d2_end: u32,
        d3_start: u32, d3_end: u32,
        d4_start: u32, d4_end: u32,
        from: u32, to: u32,
    }
}

/// Requests per site and reason in `[start, end)`; each connection-log row stands for
/// `count` requests.
pub const LAST_HOUR_BY_REASON: Statement<Span> = Statement::fixed(
    "alerts.last_hour_by_reason",
    "SELECT site, reason, toUInt64(sum(count)) FROM connection_log \
     WHERE received_at >= toDateTime(:start) AND received_at < toDateTime(:end) \
     GROUP BY site, reason ORDER BY site, reason",
);

/// Hits per site in the five windows, from the hourly rollup.
pub const TRAFFIC_WINDOWS: Statement<Windows> = Statement::fixed(
    "alerts.traffic_windows",
    "SELECT site, \
     sumIf(n, hour >= toDateTime(:d0_start) AND hour < toDateTime(:d0_end)) AS today, \
     sumIf(n, hour >= toDateTime(:d1_start) AND hour < toDateTime(:d1_end)) AS w1, \
     sumIf(n, hour >= toDateTime(:d2_start) AND hour < toDateTime(:d2_end)) AS w2, \
     sumIf(n, hour >= toDateTime(:d3_start) AND hour < toDateTime(:d3_end)) AS w3, \
     sumIf(n, hour >= toDateTime(:d4_start) AND hour < toDateTime(:d4_end)) AS w4 \
     FROM (SELECT site, hour, toUInt64(countMerge(hits)) AS n FROM events_hourly \
     WHERE hour >= toDateTime(:from) AND hour < toDateTime(:to) GROUP BY site, hour) \
     GROUP BY site ORDER BY site",
);

/// The newest ten results of every (site, domain, check) scanned since a time.
pub const SCAN_RESULTS: Statement<Since> = Statement::fixed(
    "alerts.scan_results",
    "SELECT site, domain, `check`, toString(outcome) AS outcome, value, \
     toUInt32(scanned_at) AS at FROM scan_checks WHERE scanned_at >= toDateTime(:since) \
     ORDER BY site, domain, `check`, scanned_at DESC LIMIT 10 BY site, domain, `check`",
);

#[derive(Debug, clickhouse::Row, Deserialize)]
struct ReasonRow {
    site: String,
    reason: String,
    n: u64,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct TrafficRow {
    site: String,
    today: u64,
    w1: u64,
    w2: u64,
    w3: u64,
    w4: u64,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct ScanRow {
    site: String,
    domain: String,
    check: String,
    outcome: String,
    value: String,
    at: u32,
}

/// Requests and rejections per site in `[start, end)`.
pub async fn rejections(
    db: &Db,
    start: u32,
    end: u32,
) -> Result<Vec<Rejections>, clickhouse::error::Error> {
    let rows = LAST_HOUR_BY_REASON
        .query(db, &Span { start, end })?
        .fetch_all::<ReasonRow>()
        .await?;
    let rows: Vec<(String, String, u64)> =
        rows.into_iter().map(|r| (r.site, r.reason, r.n)).collect();
    Ok(health::summarize(&rows))
}

/// Hits per site in the five windows `w` (today first), Unix seconds `[start, end)`.
pub async fn traffic(
    db: &Db,
    w: [(u32, u32); 5],
) -> Result<Vec<Traffic>, clickhouse::error::Error> {
    let p = Windows {
        d0_start: w[0].0,
        d0_end: w[0].1,
        d1_start: w[1].0,
        d1_end: w[1].1,
        d2_start: w[2].0,
        d2_end: w[2].1,
        d3_start: w[3].0,
        d3_end: w[3].1,
        d4_start: w[4].0,
        d4_end: w[4].1,
        from: w[4].0,
        to: w[0].1,
    };
    let rows = TRAFFIC_WINDOWS
        .query(db, &p)?
        .fetch_all::<TrafficRow>()
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Traffic {
            site: r.site,
            today: r.today,
            weeks: [r.w1, r.w2, r.w3, r.w4],
        })
        .collect())
}

/// The scanner's newest results since `since`.
pub async fn scans(db: &Db, since: u32) -> Result<Vec<ScanResult>, clickhouse::error::Error> {
    let rows = SCAN_RESULTS
        .query(db, &Since { since })?
        .fetch_all::<ScanRow>()
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ScanResult {
            site: r.site,
            domain: r.domain,
            check: r.check,
            outcome: r.outcome,
            value: r.value,
            scanned_at: r.at,
        })
        .collect())
}

pub fn catalog() -> Vec<Sampled> {
    let day = 86_400 * 7;
    let (s, e) = (1772298000u32, 1772334000u32);
    vec![
        LAST_HOUR_BY_REASON.sampled(Span {
            start: 1772298000,
            end: 1772301600,
        }),
        TRAFFIC_WINDOWS.sampled(Windows {
            d0_start: s,
            d0_end: e,
            d1_start: s - day,
            d1_end: e - day,
            d2_start: s - 2 * day,
            d2_end: e - 2 * day,
            d3_start: s - 3 * day,
            d3_end: e - 3 * day,
            d4_start: s - 4 * day,
            d4_end: e - 4 * day,
            from: s - 4 * day,
            to: e,
        }),
        SCAN_RESULTS.sampled(Since { since: 1772298000 }),
    ]
}
