//! Connection health from the connection log's daily rollup (`connections_daily`): when each
//! site's tag was last heard, and each site's requests by reason. The definitions (silence, rejections) are in [`crate::health`].
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
    /// Days (`YYYY-MM-DD`, both included), of every site.
    pub struct Days { from: String, to: String }
}

/// Newest accepted request per site since a moment, from `connections_daily` (migration
/// 0012): the newest of the days from the day before `:since` (UTC; the rollup's days are cut
/// in `EMC_TIMEZONE`, at most a day apart) is the newest of all, kept when it is at or after
/// `:since`.
pub const LAST_SEEN: Statement<Since> = Statement::fixed(
    "health.last_seen",
    "SELECT site, toUInt32(maxMerge(last_at)) AS at FROM connections_daily \
     WHERE reason = 'ok' AND day >= toDate(toDateTime(:since)) - 1 \
     GROUP BY site HAVING at >= :since ORDER BY site",
);

/// Requests per site and reason over days, from `connections_daily` (a connection-log row may
/// stand for several refused requests: the rollup sums its `count`).
pub const BY_REASON: Statement<Days> = Statement::fixed(
    "health.by_reason",
    concat!(
        "SELECT site, reason, toUInt64(sum(requests)) FROM connections_daily WHERE ",
        "day >= toDate(:from) AND day <= toDate(:to) GROUP BY site, reason ORDER BY site, reason"
    ),
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
    let p = Days {
        from: range.from_str(),
        to: range.to_str(),
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
        BY_REASON.sampled(Days {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
        }),
    ]
}
