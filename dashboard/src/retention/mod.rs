//! The retention job: list partitions in `system.parts`, [`decide`], drop, audit.
//!
//! There is no TTL on 18.16, so data ages out by dropping whole monthly partitions of the raw
//! tables and the rollups (rules in [`decide`]). Each drop is one
//! `ALTER TABLE t DROP PARTITION ID 'YYYYMM'` (valid on 18.16 and on current ClickHouse) and one
//! `audit_log` row (actor `retention`, action `retention.drop_partition`, target `table/id`).
//! `emc-dashboard retention [--dry-run] [--today YYYY-MM-DD]` prints [`RetentionReport`].
pub mod decide;
pub mod schedule;

pub use decide::{
    cutoff, decide, Decision, Partition, Policy, PolicyError, Verdict, DEFAULT_MONTHS, MIN_MONTHS,
    RAW_TABLES, ROLLUP_TABLES,
};

use crate::reports::partitions::PartRow;
use anyhow::Context as _;
use chrono::NaiveDate;
use emc_sql::Db;
use serde::Serialize;
use std::fmt;

pub const AUDIT_ACTOR: &str = "retention";
pub const AUDIT_ACTION: &str = "retention.drop_partition";

fn epoch_day(days: u16) -> Option<NaiveDate> {
    (days > 0)
        .then(|| {
            NaiveDate::from_ymd_opt(1970, 1, 1).map(|e| e + chrono::Duration::days(i64::from(days)))
        })
        .flatten()
}

/// The day (UTC) of a DateTime, `None` for the zero value.
fn ts_day(ts: u32) -> Option<NaiveDate> {
    (ts > 0)
        .then(|| chrono::DateTime::from_timestamp(i64::from(ts), 0).map(|t| t.date_naive()))
        .flatten()
}

impl From<PartRow> for Partition {
    fn from(r: PartRow) -> Partition {
        let (oldest, newest) = match (ts_day(r.min_time), ts_day(r.max_time)) {
            (Some(a), Some(b)) => (Some(a), Some(b)),
            _ => (epoch_day(r.min_date), epoch_day(r.max_date)),
        };
        Partition {
            table: r.table,
            partition_id: r.partition_id,
            rows: r.rows,
            oldest,
            newest,
        }
    }
}

/// Every partition of the managed tables.
pub async fn list_partitions(db: &Db) -> Result<Vec<Partition>, clickhouse::error::Error> {
    let rows = crate::reports::partitions::list(db).await?;
    Ok(rows.into_iter().map(Partition::from).collect())
}

/// What one run did (or, dry, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    pub today: NaiveDate,
    pub policy: Policy,
    pub dry_run: bool,
    /// Partitions dropped (or that would be), in table then id order.
    pub dropped: Vec<Partition>,
    /// Every decision, including the partitions kept.
    pub decisions: Vec<Decision>,
}

impl RetentionReport {
    pub fn kept(&self) -> usize {
        self.decisions.len() - self.dropped.len()
    }
}

impl fmt::Display for RetentionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.policy;
        writeln!(
            f,
            "retention on {}{}: raw tables keep {} months (rows from {}), rollups {} months (rows from {}); nothing younger than 365 days is dropped",
            self.today,
            if self.dry_run { " (dry run)" } else { "" },
            p.months,
            cutoff(self.today, p.months),
            p.rollup_months,
            cutoff(self.today, p.rollup_months),
        )?;
        let verb = if self.dry_run {
            "would drop"
        } else {
            "dropped"
        };
        for d in &self.dropped {
            let day = |x: Option<NaiveDate>| x.map_or_else(|| "?".to_owned(), |d| d.to_string());
            writeln!(
                f,
                "{verb} {} partition {}: {} rows, {} to {}",
                d.table,
                d.partition_id,
                d.rows,
                day(d.oldest),
                day(d.newest)
            )?;
        }
        let n = self.dropped.len();
        if n == 0 {
            write!(f, "nothing to drop; {} partitions kept", self.kept())
        } else {
            write!(
                f,
                "{verb} {n} partition{}; {} kept",
                if n == 1 { "" } else { "s" },
                self.kept()
            )
        }
    }
}

/// Runs the job once: decides with `today`, then drops (unless `dry_run`) and audits each drop.
pub async fn run(
    db: &Db,
    policy: &Policy,
    today: NaiveDate,
    dry_run: bool,
) -> anyhow::Result<RetentionReport> {
    // A policy built without the constructor is refused here too (decide keeps the 365-day floor anyway).
    Policy::with_rollups(policy.months, policy.rollup_months)?;
    let partitions = list_partitions(db)
        .await
        .context("listing partitions in system.parts")?;
    let decisions = decide(today, &partitions, policy);
    let dropped: Vec<Partition> = decisions
        .iter()
        .filter(|d| d.verdict == Verdict::Drop)
        .map(|d| d.partition.clone())
        .collect();
    if !dry_run {
        for p in &dropped {
            crate::reports::partitions::drop_partition(db, &p.table, &p.partition_id)
                .await
                .with_context(|| format!("dropping partition {} of {}", p.partition_id, p.table))?;
            let target = format!("{}/{}", p.table, p.partition_id);
            let detail = format!(
                "rows={} newest={} policy_months={} rollup_months={} today={}",
                p.rows,
                p.newest.map(|d| d.to_string()).unwrap_or_default(),
                policy.months,
                policy.rollup_months,
                today
            );
            crate::audit::record(db, AUDIT_ACTOR, AUDIT_ACTION, &target, &detail)
                .await
                .with_context(|| format!("auditing the drop of {target}"))?;
            tracing::info!(table = %p.table, partition = %p.partition_id, rows = p.rows, "retention dropped a partition");
        }
    }
    Ok(RetentionReport {
        today,
        policy: *policy,
        dry_run,
        dropped,
        decisions,
    })
}
