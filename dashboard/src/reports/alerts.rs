//! Reads of the `alerts` table: the open alerts, the open and recent ones (`/alerts`,
//! `GET /api/v1/alerts`), and the newest opening message per rule and site (the cooldown).
//! Alerts are written as new row versions by [`crate::alerts::state::write`].
use super::statement::{binds, NoBinds, Sampled, Statement};
use crate::alerts::state::AlertRow;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

binds! {
    /// Alerts opened since `since` (Unix seconds), at most `limit`.
    pub struct Recent { since: u32, limit: u32 }
}

pub const OPEN_ALERTS: Statement<NoBinds> = Statement::fixed(
    "alerts.open",
    "SELECT id, rule, site, toUInt32(opened_at), toUInt32(resolved_at), \
     toUInt32(notified_at), recovery_sent, detail, version FROM alerts FINAL \
     WHERE toUInt32(resolved_at) = 0 ORDER BY opened_at",
);

/// Open alerts and those opened since a time, newest first.
pub const RECENT_ALERTS: Statement<Recent> = Statement::fixed(
    "alerts.recent",
    "SELECT id, rule, site, toUInt32(opened_at), toUInt32(resolved_at), \
     toUInt32(notified_at), recovery_sent, detail, version FROM alerts FINAL \
     WHERE toUInt32(resolved_at) = 0 OR opened_at >= toDateTime(:since) \
     ORDER BY opened_at DESC LIMIT :limit",
);

pub const LAST_NOTIFIED: Statement<NoBinds> = Statement::fixed(
    "alerts.last_notified",
    "SELECT rule, site, toUInt32(max(notified_at)) FROM alerts FINAL \
     WHERE toUInt32(notified_at) > 0 GROUP BY rule, site",
);

#[derive(Debug, clickhouse::Row, Deserialize)]
struct NotifiedRow {
    rule: String,
    site: String,
    at: u32,
}

pub async fn open(db: &Db) -> Result<Vec<AlertRow>, clickhouse::error::Error> {
    OPEN_ALERTS
        .query(db, &NoBinds {})?
        .fetch_all::<AlertRow>()
        .await
}

pub async fn recent(
    db: &Db,
    since: u32,
    limit: u32,
) -> Result<Vec<AlertRow>, clickhouse::error::Error> {
    RECENT_ALERTS
        .query(db, &Recent { since, limit })?
        .fetch_all::<AlertRow>()
        .await
}

/// The newest opening message per (rule key, site).
pub async fn last_notified(
    db: &Db,
) -> Result<BTreeMap<(String, String), u32>, clickhouse::error::Error> {
    let rows = LAST_NOTIFIED
        .query(db, &NoBinds {})?
        .fetch_all::<NotifiedRow>()
        .await?;
    Ok(rows.into_iter().map(|r| ((r.rule, r.site), r.at)).collect())
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        OPEN_ALERTS.sampled(NoBinds {}),
        RECENT_ALERTS.sampled(Recent {
            since: 1772298000,
            limit: 100,
        }),
        LAST_NOTIFIED.sampled(NoBinds {}),
    ]
}
