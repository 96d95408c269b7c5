//! The retention job as the product runs it: once from `emc-dashboard retention`, daily inside
//! `serve`, and the state the admin retention page shows (policy, oldest data kept, last runs).
use super::{
    list_partitions, run, Policy, RetentionReport, AUDIT_ACTION, AUDIT_ACTOR, RAW_TABLES,
    ROLLUP_TABLES,
};
use crate::audit::AuditRow;
use chrono::NaiveDate;
use chrono_tz::Tz;
use emc_sql::Db;
use serde::Serialize;

/// The audit action of one completed (not dry) run, whatever it dropped.
pub const RUN_ACTION: &str = "retention.run";

/// Runs once and, unless dry, records the run itself in `audit_log` (each drop is recorded by [`run`]).
pub async fn run_recorded(
    db: &Db,
    policy: &Policy,
    today: NaiveDate,
    dry_run: bool,
) -> anyhow::Result<RetentionReport> {
    let report = run(db, policy, today, dry_run).await?;
    if !dry_run {
        let detail = format!(
            "dropped={} kept={} months={} rollup_months={}",
            report.dropped.len(),
            report.kept(),
            policy.months,
            policy.rollup_months
        );
        crate::audit::record(db, AUDIT_ACTOR, RUN_ACTION, &today.to_string(), &detail).await?;
    }
    Ok(report)
}

/// The daily job inside `serve`: at start, then every 24 h. A failed run is logged, never fatal.
pub fn spawn_daily(db: Db, policy: Policy, tz: Tz) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(86_400));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let today = crate::params::today(tz);
            match run_recorded(&db, &policy, today, false).await {
                Ok(r) => {
                    tracing::info!(dropped = r.dropped.len(), kept = r.kept(), %today, "retention run")
                }
                Err(e) => tracing::error!(error = format!("{e:#}"), %today, "retention run failed"),
            }
        }
    })
}

/// The oldest data a table still holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableStatus {
    pub table: &'static str,
    pub months: u32,
    pub partitions: usize,
    pub rows: u64,
    /// The smallest partition id (`YYYYMM`) and the day of its oldest row.
    pub oldest_partition: Option<String>,
    pub oldest_day: Option<NaiveDate>,
}

/// Every managed table, raw first, with what it keeps.
pub async fn status(
    db: &Db,
    policy: &Policy,
) -> Result<Vec<TableStatus>, clickhouse::error::Error> {
    let parts = list_partitions(db).await?;
    Ok(RAW_TABLES
        .iter()
        .chain(ROLLUP_TABLES.iter())
        .map(|t| {
            let mine: Vec<_> = parts.iter().filter(|p| p.table == *t).collect();
            let oldest = mine
                .iter()
                .min_by(|a, b| a.partition_id.cmp(&b.partition_id));
            TableStatus {
                table: t,
                months: policy.months_for(t).unwrap_or(policy.months),
                partitions: mine.len(),
                rows: mine.iter().map(|p| p.rows).sum(),
                oldest_partition: oldest.map(|p| p.partition_id.clone()),
                oldest_day: oldest.and_then(|p| p.oldest),
            }
        })
        .collect())
}

/// The last runs and drops, newest first.
pub async fn last_runs(db: &Db, limit: u32) -> Result<Vec<AuditRow>, clickhouse::error::Error> {
    crate::reports::audit::of_actions(db, RUN_ACTION, AUDIT_ACTION, limit).await
}
