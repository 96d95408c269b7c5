//! What the rules read, at a given instant: last beacons and the last hour's rejections
//! (connection log, through `health.rs`), hits per hour (the `events_hourly` rollup), the
//! scanner's newest results (`scan_checks`) and the per-site overrides (`alert_rule_overrides`).
use super::detect::{ScanResult, SettingsTable, Traffic};
use super::rules::Rule;
use crate::health::Rejections;
use crate::reports;
use chrono::{Duration, TimeZone};
use chrono_tz::Tz;
use emc_sql::Db;
use std::collections::BTreeMap;

/// How far back the scanner's results are read.
pub const SCAN_LOOKBACK_DAYS: u32 = 35;
/// How far back the last beacon is looked for.
pub const SILENCE_LOOKBACK_DAYS: u32 = 35;

pub async fn last_seen(
    db: &Db,
    now: u32,
) -> Result<BTreeMap<String, u32>, clickhouse::error::Error> {
    reports::health::last_seen(db, now.saturating_sub(SILENCE_LOOKBACK_DAYS * 86_400)).await
}

/// Requests and rejections per site in the hour before `now`.
pub async fn last_hour(db: &Db, now: u32) -> Result<Vec<Rejections>, clickhouse::error::Error> {
    reports::alerts_facts::rejections(db, now.saturating_sub(3_600), now).await
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
    let w = traffic_windows(now, tz).map(|(a, b)| (clamp(a), clamp(b)));
    reports::alerts_facts::traffic(db, w).await
}

fn clamp(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

pub async fn scans(db: &Db, now: u32) -> Result<Vec<ScanResult>, clickhouse::error::Error> {
    reports::alerts_facts::scans(db, now.saturating_sub(SCAN_LOOKBACK_DAYS * 86_400)).await
}

/// The defaults (`silence_secs` is EMC_SILENCE_SECS) and every site's overrides.
pub async fn settings(
    db: &Db,
    silence_secs: u64,
) -> Result<SettingsTable, clickhouse::error::Error> {
    let overrides = reports::alerts_rules::all(db)
        .await?
        .iter()
        .filter_map(|r| Some(((r.site.clone(), Rule::parse(&r.rule)?), r.to_override())))
        .collect();
    Ok(SettingsTable {
        silence_secs,
        overrides,
    })
}
