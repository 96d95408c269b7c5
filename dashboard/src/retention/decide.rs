//! The retention decision: a pure function of (today, partitions, policy).
//!
//! A monthly partition (`toYYYYMM`, id `YYYYMM`) of a retained table is dropped only when its
//! newest row's day is before **both**
//! - the policy cutoff, `today − months` (calendar months; raw tables and rollups each have
//!   their own), and
//! - the legal floor, `today − 365 days`, so no partition holding a row younger than 365 days is
//!   ever dropped (Circular 22/2023 Art. 8.3 for the connection log; applied to every table).
//!
//! Days are compared whole (`newest < cutoff`), so a row on the cutoff day keeps its partition;
//! a partition straddling the cutoff is kept. Anything unexpected (another table, an id that is
//! not `YYYYMM`, a partition without a date range) is kept.
use chrono::{Duration, Months, NaiveDate};
use serde::Serialize;

/// Raw tables, then rollups: every table retention may touch.
/// Raw tables: the collector's, then the scanner's (issue 11).
pub const RAW_TABLES: [&str; 6] = [
    "events",
    "sessions",
    "connection_log",
    "scan_checks",
    "scans",
    "scan_requests",
];
pub const ROLLUP_TABLES: [&str; 12] = [
    "events_hourly",
    "events_daily",
    "sessions_hourly",
    "sessions_daily",
    "sessions_dims_daily",
    "pages_daily",
    "visitors_daily",
    "compliance_daily",
    "failing_pages_daily",
    "connections_daily",
    "visitors_hourly",
    "exit_visitors_daily",
];
pub const DEFAULT_MONTHS: u32 = 13;
pub const MIN_MONTHS: u32 = 12;
/// No partition holding a row younger than this is dropped, whatever the policy.
pub const FLOOR_DAYS: i64 = 365;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("retention of {0} months refused: keep at least {MIN_MONTHS} months (the connection log must be kept 365 days, Circular 22/2023 Art. 8.3)")]
    TooShort(u32),
}

/// How long data is kept. Build it with [`Policy::new`] / [`Policy::with_rollups`], which refuse
/// anything under 12 months; [`decide`] enforces the 365-day floor regardless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Raw tables (`events`, `sessions`, `connection_log`, the scanner's `scan_*`).
    pub months: u32,
    /// Rollup tables.
    pub rollup_months: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            months: DEFAULT_MONTHS,
            rollup_months: DEFAULT_MONTHS,
        }
    }
}

impl Policy {
    /// The same policy for raw and rollup tables.
    pub fn new(months: u32) -> Result<Policy, PolicyError> {
        Policy::with_rollups(months, months)
    }

    /// Rollups may be kept longer (or shorter) than raw rows; neither under 12 months.
    pub fn with_rollups(months: u32, rollup_months: u32) -> Result<Policy, PolicyError> {
        for m in [months, rollup_months] {
            if m < MIN_MONTHS {
                return Err(PolicyError::TooShort(m));
            }
        }
        Ok(Policy {
            months,
            rollup_months,
        })
    }

    /// From optional config values (unset: 13 months; rollups: as raw).
    pub fn from_config(
        months: Option<u32>,
        rollup_months: Option<u32>,
    ) -> Result<Policy, PolicyError> {
        let m = months.unwrap_or(DEFAULT_MONTHS);
        Policy::with_rollups(m, rollup_months.unwrap_or(m))
    }

    pub fn months_for(&self, table: &str) -> Option<u32> {
        if RAW_TABLES.contains(&table) {
            Some(self.months)
        } else if ROLLUP_TABLES.contains(&table) {
            Some(self.rollup_months)
        } else {
            None
        }
    }
}

/// One partition as `system.parts` describes it (all its active parts together).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    pub table: String,
    pub partition_id: String,
    pub rows: u64,
    /// Days of the oldest and newest rows; `None` when the parts carry no date range.
    pub oldest: Option<NaiveDate>,
    pub newest: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Drop,
    /// Its newest row is on or after the policy cutoff.
    KeepWithinPolicy,
    /// It holds a row younger than 365 days.
    KeepYoungerThan365Days,
    /// Not a table retention manages.
    KeepUnmanagedTable,
    /// The id is not `YYYYMM`, or the parts carry no date range.
    KeepNotMonthly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub partition: Partition,
    pub verdict: Verdict,
    /// The first day whose rows are kept in this table.
    pub cutoff: Option<NaiveDate>,
}

/// `today − 365 days`: a row on or after this day is younger than 365 days.
pub fn floor_day(today: NaiveDate) -> NaiveDate {
    today - Duration::days(FLOOR_DAYS)
}

/// The first kept day for a table kept `months` months: the earlier of `today − months` and
/// the 365-day floor.
pub fn cutoff(today: NaiveDate, months: u32) -> NaiveDate {
    let by_policy = today
        .checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN);
    by_policy.min(floor_day(today))
}

fn is_monthly_id(id: &str) -> bool {
    id.len() == 6
        && id.bytes().all(|b| b.is_ascii_digit())
        && matches!(id[4..].parse::<u32>(), Ok(1..=12))
}

/// Decides every partition (same order as given).
pub fn decide(today: NaiveDate, partitions: &[Partition], policy: &Policy) -> Vec<Decision> {
    partitions
        .iter()
        .map(|p| {
            let cut = policy.months_for(&p.table).map(|m| cutoff(today, m));
            let verdict = match (cut, p.newest) {
                (None, _) => Verdict::KeepUnmanagedTable,
                (_, None) => Verdict::KeepNotMonthly,
                _ if !is_monthly_id(&p.partition_id) => Verdict::KeepNotMonthly,
                (_, Some(newest)) if newest >= floor_day(today) => Verdict::KeepYoungerThan365Days,
                (Some(c), Some(newest)) if newest >= c => Verdict::KeepWithinPolicy,
                _ => Verdict::Drop,
            };
            Decision {
                partition: p.clone(),
                verdict,
                cutoff: cut,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
