//! `deliveries`: every email and webhook sent or given up on (shown on `/admin`).
use emc_sql::catalog::CatalogQuery;
use emc_sql::Db;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub at: u32,
    /// `email` or `webhook`.
    pub channel: String,
    /// `alert`, `recovery`, `report`.
    pub kind: String,
    pub username: String,
    /// The address or URL.
    pub recipient: String,
    pub subject: String,
    /// `sent` or `failed`.
    pub outcome: String,
    pub attempts: u8,
    /// The last attempt's error (empty when sent).
    pub error: String,
}

pub const LIST_DELIVERIES: &str =
    "SELECT at, channel, kind, username, recipient, subject, outcome, attempts, error \
     FROM deliveries ORDER BY at DESC LIMIT ?";

/// Deliveries per channel and outcome since a time (bind: since ts).
pub const COUNTS_SINCE: &str = "SELECT channel, outcome, toInt64(count()) FROM deliveries \
     WHERE at >= toDateTime(?) GROUP BY channel, outcome ORDER BY channel, outcome";

#[derive(Debug, clickhouse::Row, Deserialize)]
struct CountRow {
    channel: String,
    outcome: String,
    n: i64,
}

pub async fn counts_since(
    db: &Db,
    since: u32,
) -> Result<Vec<(String, String, i64)>, clickhouse::error::Error> {
    let rows = db
        .client()
        .query(COUNTS_SINCE)
        .bind(since)
        .fetch_all::<CountRow>()
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.channel, r.outcome, r.n))
        .collect())
}

/// Has this user been sent a message with this subject (any channel)? Binds: username, subject.
pub const WAS_SENT: &str = "SELECT toUInt64(count()) FROM deliveries \
     WHERE kind = 'report' AND outcome = 'sent' AND username = ? AND subject = ?";

pub async fn was_sent(
    db: &Db,
    username: &str,
    subject: &str,
) -> Result<bool, clickhouse::error::Error> {
    let n: u64 = db
        .client()
        .query(WAS_SENT)
        .bind(username)
        .bind(subject)
        .fetch_one()
        .await?;
    Ok(n > 0)
}

pub async fn record(db: &Db, row: &DeliveryRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db.client().insert::<DeliveryRow>("deliveries").await?;
    ins.write(row).await?;
    ins.end().await
}

pub async fn recent(db: &Db, limit: u32) -> Result<Vec<DeliveryRow>, clickhouse::error::Error> {
    db.client()
        .query(LIST_DELIVERIES)
        .bind(limit)
        .fetch_all::<DeliveryRow>()
        .await
}

pub fn queries() -> Vec<CatalogQuery> {
    vec![
        CatalogQuery::with_binds("notify.list_deliveries", LIST_DELIVERIES, &["200"]),
        CatalogQuery::with_binds(
            "notify.was_sent",
            WAS_SENT,
            &["'analyst-a'", "'[EMC] Báo cáo tháng 11/2026 — Bộ A'"],
        ),
        CatalogQuery::with_binds("notify.delivery_counts", COUNTS_SINCE, &["1772298000"]),
    ]
}
