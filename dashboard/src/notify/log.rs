//! `deliveries`: every email and webhook sent or given up on (shown on `/admin`).
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

pub use crate::reports::deliveries::{counts_since, recent, was_sent};

pub async fn record(db: &Db, row: &DeliveryRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db.client().insert::<DeliveryRow>("deliveries").await?;
    ins.write(row).await?;
    ins.end().await
}
