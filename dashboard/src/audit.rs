//! `audit_log`: every change to the registry and users, with who and when.
use emc_sql::Db;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: u32,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

pub const LIST_AUDIT: &str =
    "SELECT at, actor, action, target, detail FROM audit_log ORDER BY at DESC LIMIT ?";

pub async fn record(
    db: &Db,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), clickhouse::error::Error> {
    let row = AuditRow {
        at: chrono::Utc::now().timestamp() as u32,
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        detail: detail.into(),
    };
    let mut ins = db.client().insert::<AuditRow>("audit_log").await?;
    ins.write(&row).await?;
    ins.end().await
}

pub async fn list(db: &Db, limit: u32) -> Result<Vec<AuditRow>, clickhouse::error::Error> {
    db.client()
        .query(LIST_AUDIT)
        .bind(limit)
        .fetch_all::<AuditRow>()
        .await
}
