//! Reads of `audit_log`: the newest rows, and the newest rows of given actions (the retention
//! page's last runs). (Rows are written by [`crate::audit::record`].)
use super::statement::{binds, Sampled, Statement};
use crate::audit::AuditRow;
use emc_sql::Db;

binds! {
    pub struct Newest { limit: u32 }
}

binds! {
    /// Two actions and how many rows.
    pub struct OfActions { action: &'static str, other: &'static str, limit: u32 }
}

pub const LIST: Statement<Newest> = Statement::fixed(
    "dashboard.list_audit",
    "SELECT at, actor, action, target, detail FROM audit_log ORDER BY at DESC LIMIT :limit",
);

pub const OF_ACTIONS: Statement<OfActions> = Statement::fixed(
    "retention.last_runs",
    "SELECT at, actor, action, target, detail FROM audit_log WHERE action = :action OR action = :other \
     ORDER BY at DESC LIMIT :limit",
);

pub async fn list(db: &Db, limit: u32) -> Result<Vec<AuditRow>, clickhouse::error::Error> {
    LIST.query(db, &Newest { limit })?
        .fetch_all::<AuditRow>()
        .await
}

/// The newest rows of either action, newest first.
pub async fn of_actions(
    db: &Db,
    action: &'static str,
    other: &'static str,
    limit: u32,
) -> Result<Vec<AuditRow>, clickhouse::error::Error> {
    OF_ACTIONS
        .query(
            db,
            &OfActions {
                action,
                other,
                limit,
            },
        )?
        .fetch_all::<AuditRow>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        LIST.sampled(Newest { limit: 100 }),
        OF_ACTIONS.sampled(OfActions {
            action: "retention.run",
            other: "retention.drop_partition",
            limit: 20,
        }),
    ]
}
