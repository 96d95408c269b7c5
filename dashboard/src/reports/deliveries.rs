//! Reads of the delivery log (`deliveries`: every email and webhook sent or given up on):
//! the newest rows (`/admin`), counts per channel and outcome (`/metrics`), and whether a
//! report was already sent (so a scheduled report goes out once). Rows are written by
//! [`crate::notify::log::record`].
use super::statement::{binds, Sampled, Statement};
use crate::notify::log::DeliveryRow;
use emc_sql::Db;
use serde::Deserialize;

binds! {
    pub struct Limit { limit: u32 }
}

binds! {
    pub struct Since { since: u32 }
}

binds! {
    pub struct Sent { username: String, subject: String }
}

pub const LIST_DELIVERIES: Statement<Limit> = Statement::fixed(
    "notify.list_deliveries",
    "SELECT at, channel, kind, username, recipient, subject, outcome, attempts, error \
     FROM deliveries ORDER BY at DESC LIMIT :limit",
);

/// Deliveries per channel and outcome since a time.
pub const COUNTS_SINCE: Statement<Since> = Statement::fixed(
    "notify.delivery_counts",
    "SELECT channel, outcome, toInt64(count()) FROM deliveries \
     WHERE at >= toDateTime(:since) GROUP BY channel, outcome ORDER BY channel, outcome",
);

/// Reports sent to this user with this subject (any channel).
pub const WAS_SENT: Statement<Sent> = Statement::fixed(
    "notify.was_sent",
    "SELECT toUInt64(count()) FROM deliveries \
     WHERE kind = 'report' AND outcome = 'sent' AND username = :username AND subject = :subject",
);

#[derive(Debug, clickhouse::Row, Deserialize)]
struct CountRow {
    channel: String,
    outcome: String,
    n: i64,
}

/// (channel, outcome, deliveries) since `since`.
pub async fn counts_since(
    db: &Db,
    since: u32,
) -> Result<Vec<(String, String, i64)>, clickhouse::error::Error> {
    let rows = COUNTS_SINCE
        .query(db, &Since { since })?
        .fetch_all::<CountRow>()
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.channel, r.outcome, r.n))
        .collect())
}

/// Has this user been sent a report with this subject?
pub async fn was_sent(
    db: &Db,
    username: &str,
    subject: &str,
) -> Result<bool, clickhouse::error::Error> {
    let p = Sent {
        username: username.to_owned(),
        subject: subject.to_owned(),
    };
    let n: u64 = WAS_SENT.query(db, &p)?.fetch_one().await?;
    Ok(n > 0)
}

/// The newest `limit` deliveries.
pub async fn recent(db: &Db, limit: u32) -> Result<Vec<DeliveryRow>, clickhouse::error::Error> {
    LIST_DELIVERIES
        .query(db, &Limit { limit })?
        .fetch_all::<DeliveryRow>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        LIST_DELIVERIES.sampled(Limit { limit: 200 }),
        WAS_SENT.sampled(Sent {
            username: "analyst-a".into(),
            subject: "[EMC] Báo cáo tháng 11/2026 — Bộ A".into(),
        }),
        COUNTS_SINCE.sampled(Since { since: 1772298000 }),
    ]
}
