//! What the rules read, at a given instant: last beacons and the last hour's rejections
//! (connection log, through `health.rs`), hits per hour (the `events_hourly` rollup), the
//! scanner's newest results (`scan_checks`) and the per-site overrides (`alert_settings`).
use super::detect::{ScanResult, SettingsTable, Traffic};
use super::rules::{Rule, Settings};
use crate::health::{self, Rejections};
use chrono::{Duration, TimeZone};
use chrono_tz::Tz;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Requests per site and reason in `[start, end)` (binds: start ts, end ts); each connection-log
/// row stands for `count` requests.
pub const LAST_HOUR_BY_REASON: &str = "SELECT site, reason, toUInt64(sum(count)) FROM connection_log \
     WHERE received_at >= toDateTime(?) AND received_at < toDateTime(?) GROUP BY site, reason ORDER BY site, reason";

/// Hits per site in five windows (today so far, then the same hours 1–4 weeks before), from
/// the hourly rollup. Binds: five (start, end) pairs, then the outer bounds.
pub const TRAFFIC_WINDOWS: &str = "SELECT site, \
     sumIf(n, hour >= toDateTime(?) AND hour < toDateTime(?)) AS today, \
     sumIf(n, hour >= toDateTime(?) AND hour < toDateTime(?)) AS w1, \
     sumIf(n, hour >= toDateTime(?) AND hour < toDateTime(?)) AS w2, \
     sumIf(n, hour >= toDateTime(?) AND hour < toDateTime(?)) AS w3, \
     sumIf(n, hour >= toDateTime(?) AND hour < toDateTime(?)) AS w4 \
     FROM (SELECT site, hour, toUInt64(countMerge(hits)) AS n FROM events_hourly \
     WHERE hour >= toDateTime(?) AND hour < toDateTime(?) GROUP BY site, hour) \
     GROUP BY site ORDER BY site";

/// The newest ten results of every (site, domain, check) scanned since a time (bind: since ts).
pub const SCAN_RESULTS: &str =
    "SELECT site, domain, `check`, toString(outcome) AS outcome, value, \
     toUInt32(scanned_at) AS at FROM scan_checks WHERE scanned_at >= toDateTime(?) \
     ORDER BY site, domain, `check`, scanned_at DESC LIMIT 10 BY site, domain, `check`";

pub const ALERT_SETTINGS: &str = "SELECT site, rule, enabled, threshold, floor, version, deleted \
     FROM alert_settings FINAL WHERE deleted = 0";

/// How far back the scanner's results are read.
pub const SCAN_LOOKBACK_DAYS: u32 = 35;
/// How far back the last beacon is looked for.
pub const SILENCE_LOOKBACK_DAYS: u32 = 35;

#[derive(Debug, Clone, Default, PartialEq, clickhouse::Row, serde::Serialize, Deserialize)]
pub struct SettingRow {
    pub site: String,
    pub rule: String,
    pub enabled: u8,
    pub threshold: f64,
    pub floor: f64,
    pub version: u64,
    pub deleted: u8,
}

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

pub async fn last_seen(
    db: &Db,
    now: u32,
) -> Result<BTreeMap<String, u32>, clickhouse::error::Error> {
    crate::reports::health::last_seen(db, now.saturating_sub(SILENCE_LOOKBACK_DAYS * 86_400)).await
}

/// Requests and rejections per site in the hour before `now`.
pub async fn last_hour(db: &Db, now: u32) -> Result<Vec<Rejections>, clickhouse::error::Error> {
    let rows = db
        .client()
        .query(LAST_HOUR_BY_REASON)
        .bind(now.saturating_sub(3_600))
        .bind(now)
        .fetch_all::<ReasonRow>()
        .await?;
    let rows: Vec<(String, String, u64)> =
        rows.into_iter().map(|r| (r.site, r.reason, r.n)).collect();
    Ok(health::summarize(&rows))
}

/// The five windows at `now`: today from 00:00 in `tz` to the start of the current hour, and
/// the same span 7, 14, 21 and 28 days earlier. Unix seconds, `[start, end)`.
pub fn traffic_windows(now: i64, tz: Tz) -> [(i64, i64); 5] {
    let local = tz
        .timestamp_opt(now, 0)
        .single()
        .unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap());
    let day = local.date_naive();
    let start = crate::params::day_start(tz, day) as i64;
    let end = (now - now.rem_euclid(3_600)).max(start);
    let mut w = [(0, 0); 5];
    for (k, slot) in w.iter_mut().enumerate() {
        let back = Duration::days(7 * k as i64).num_seconds();
        *slot = (start - back, end - back);
    }
    w
}

pub async fn traffic(db: &Db, now: i64, tz: Tz) -> Result<Vec<Traffic>, clickhouse::error::Error> {
    let w = traffic_windows(now, tz);
    let mut q = db.client().query(TRAFFIC_WINDOWS);
    for (a, b) in w {
        q = q.bind(a.max(0) as u32).bind(b.max(0) as u32);
    }
    let rows = q
        .bind(w[4].0.max(0) as u32)
        .bind(w[0].1.max(0) as u32)
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

pub async fn scans(db: &Db, now: u32) -> Result<Vec<ScanResult>, clickhouse::error::Error> {
    let rows = db
        .client()
        .query(SCAN_RESULTS)
        .bind(now.saturating_sub(SCAN_LOOKBACK_DAYS * 86_400))
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

pub async fn settings(
    db: &Db,
    silence_secs: u64,
) -> Result<SettingsTable, clickhouse::error::Error> {
    let rows = db
        .client()
        .query(ALERT_SETTINGS)
        .fetch_all::<SettingRow>()
        .await?;
    let overrides = rows
        .into_iter()
        .filter_map(|r| {
            let rule = Rule::parse(&r.rule)?;
            let s = Settings {
                enabled: r.enabled != 0,
                threshold: r.threshold,
                floor: r.floor,
            };
            Some(((r.site, rule), s))
        })
        .collect();
    Ok(SettingsTable {
        silence_secs,
        overrides,
    })
}

pub async fn put_setting(db: &Db, row: &SettingRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db.client().insert::<SettingRow>("alert_settings").await?;
    ins.write(row).await?;
    ins.end().await
}
