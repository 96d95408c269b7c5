//! Connection health from the connection log: when each site's tag was last heard, and each
//! site's requests by reason. The definitions (silence, rejections) are in [`crate::health`].
use super::samples;
use super::statement::{binds, Sampled, Statement};
use crate::health::{assess, summarize, Rejections, SiteHealth};
use crate::params::Range;
use emc_sql::registry::SiteRow;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

binds! {
    /// A moment (Unix seconds).
    pub struct Since { since: u32 }
}

binds! {
    /// A half-open window of Unix seconds.
    pub struct Between { start: u32, end: u32 }
}

/// Newest accepted request per site since a time.
pub const LAST_SEEN: Statement<Since> = Statement::fixed(
    "health.last_seen",
    "SELECT site, toUInt32(max(received_at)) FROM connection_log \
     WHERE reason = 'ok' AND received_at >= toDateTime(:since) GROUP BY site ORDER BY site",
);

/// Requests per site and reason in a window. A row may stand for several refused requests
/// (its `count`).
pub const BY_REASON: Statement<Between> = Statement::fixed(
    "health.by_reason",
    "SELECT site, reason, toUInt64(sum(count)) FROM connection_log \
     WHERE received_at >= toDateTime(:start) AND received_at < toDateTime(:end) \
     GROUP BY site, reason ORDER BY site, reason",
);

#[derive(Debug, clickhouse::Row, Deserialize)]
struct LastSeenRow {
    site: String,
    at: u32,
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct ReasonRow {
    site: String,
    reason: String,
    n: u64,
}

pub async fn last_seen(
    db: &Db,
    since_ts: u32,
) -> Result<BTreeMap<String, u32>, clickhouse::error::Error> {
    let rows = LAST_SEEN
        .query(db, &Since { since: since_ts })?
        .fetch_all::<LastSeenRow>()
        .await?;
    Ok(rows.into_iter().map(|r| (r.site, r.at)).collect())
}

/// Health of `sites` at `now`, looking back `lookback_days` for the last beacon.
pub async fn connection_health(
    db: &Db,
    sites: &[SiteRow],
    now: u32,
    threshold_secs: u64,
    lookback_days: u32,
) -> Result<Vec<SiteHealth>, clickhouse::error::Error> {
    let since = now.saturating_sub(lookback_days.saturating_mul(86_400));
    Ok(assess(
        sites,
        &last_seen(db, since).await?,
        now,
        threshold_secs,
    ))
}

/// Requests and rejections per site (every site in the log, registered or not) over the range.
pub async fn rejections(
    db: &Db,
    range: &Range,
) -> Result<Vec<Rejections>, clickhouse::error::Error> {
    let p = Between {
        start: range.start_ts(),
        end: range.end_ts(),
    };
    let rows = BY_REASON.query(db, &p)?.fetch_all::<ReasonRow>().await?;
    let rows: Vec<(String, String, u64)> =
        rows.into_iter().map(|r| (r.site, r.reason, r.n)).collect();
    Ok(summarize(&rows))
}

pub fn catalog() -> Vec<Sampled> {
    let w = samples::window();
    vec![
        LAST_SEEN.sampled(Since { since: w.start }),
        BY_REASON.sampled(Between {
            start: w.start,
            end: w.end,
        }),
    ]
}
