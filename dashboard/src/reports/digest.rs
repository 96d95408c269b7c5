//! The scheduled reports' own statement: the scanner checks failing most on an agency's
//! sites in a period (the rest of a report reads the overview, ranking and health reports).
use super::scope::Window;
use super::statement::{Sampled, Statement};
use super::visitors::distinct_if;
use crate::digest::FailingCheck;
use emc_sql::Db;

/// The ten checks with most failures on `sites` in `[start, end)`, and on how many sites.
pub const FAILING_CHECKS: Statement<Window> = Statement::fixed(
    "digest.failing_checks",
    concat!(
        "SELECT `check`, toUInt64(countIf(outcome = 'fail')) AS failures, ",
        "toUInt64(",
        distinct_if!("site", "outcome = 'fail'"),
        ") AS sites FROM scan_checks ",
        "WHERE site IN (SELECT arrayJoin(:sites)) AND scanned_at >= toDateTime(:start) ",
        "AND scanned_at < toDateTime(:end) ",
        "GROUP BY `check` HAVING failures > 0 ORDER BY failures DESC, `check` LIMIT 10"
    ),
);

pub async fn failing_checks(
    db: &Db,
    w: &Window,
) -> Result<Vec<FailingCheck>, clickhouse::error::Error> {
    if w.sites.is_empty() {
        return Ok(vec![]);
    }
    FAILING_CHECKS
        .query(db, w)?
        .fetch_all::<FailingCheck>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![FAILING_CHECKS.sampled(super::samples::window())]
}
