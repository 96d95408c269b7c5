//! `audit_log`: every change to the registry and users, with who and when (read back by
//! [`crate::reports::audit`]).
use emc_sql::Db;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct AuditRow {
    /// Unix seconds.
    pub at: u32,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

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
