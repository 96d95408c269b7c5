//! The ranking's scan side: per site, what `emc-scanner` saw over the range — for each check
//! the ranking reads ([`crate::ranking::sources::checks`]), results passing and failing, and
//! for `dc_complete` the pages complete and read (its value `complete/read`). Read straight
//! from `scan_checks` (one row per check per domain per scan: a few per site per day).
use super::samples;
use super::statement::{binds, Sampled, Statement};
use crate::params::Range;
use crate::ranking::criteria::TimingCount;
use crate::ranking::{sources, ScanCounts};
use emc_sql::scan::Check;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

binds! {
    /// Sites, a half-open window of Unix seconds, and the checks to count.
    pub struct ScanWindow { sites: Vec<String>, start: u32, end: u32, checks: Vec<String> }
}

impl ScanWindow {
    pub fn of(sites: &[String], range: &Range) -> ScanWindow {
        ScanWindow {
            sites: sites.to_vec(),
            start: range.start_ts(),
            end: range.end_ts(),
            checks: check_keys(),
        }
    }
}

fn check_keys() -> Vec<String> {
    sources::checks()
        .into_iter()
        .map(|c| c.key().to_owned())
        .collect()
}

/// Per site and check: passing, failing, and (for `dc_complete`) pages complete and read
/// over the results that passed or failed.
pub const SCAN_COUNTS: Statement<ScanWindow> = Statement::fixed(
    "ranking.scan_counts",
    "SELECT site, check, countIf(outcome = 'pass'), countIf(outcome = 'fail'), \
     sumIf(toUInt64OrZero(splitByChar('/', value)[1]), check = 'dc_complete' AND outcome IN ('pass', 'fail')), \
     sumIf(toUInt64OrZero(splitByChar('/', value)[2]), check = 'dc_complete' AND outcome IN ('pass', 'fail')) \
     FROM scan_checks WHERE site IN (SELECT arrayJoin(:sites)) \
     AND scanned_at >= toDateTime(:start) AND scanned_at < toDateTime(:end) \
     AND check IN (SELECT arrayJoin(:checks)) \
     GROUP BY site, check",
);

#[derive(Debug, clickhouse::Row, Deserialize)]
struct Row {
    site: String,
    check: String,
    pass: u64,
    fail: u64,
    pages_complete: u64,
    pages_read: u64,
}

impl Row {
    /// What this row adds to its criterion: pages for `dc_complete`, results otherwise.
    fn counted(&self, check: Check) -> TimingCount {
        if check == Check::DcComplete {
            TimingCount {
                measured: self.pages_read,
                ok: self.pages_complete.min(self.pages_read),
            }
        } else {
            TimingCount {
                measured: self.pass + self.fail,
                ok: self.pass,
            }
        }
    }
}

/// The scan counts of every site in `codes` over the range (a site never scanned: absent).
pub async fn scan_counts(
    db: &Db,
    codes: &[String],
    range: &Range,
) -> Result<BTreeMap<String, ScanCounts>, clickhouse::error::Error> {
    let mut out: BTreeMap<String, ScanCounts> = BTreeMap::new();
    if codes.is_empty() {
        return Ok(out);
    }
    let rows = SCAN_COUNTS
        .query(db, &ScanWindow::of(codes, range))?
        .fetch_all::<Row>()
        .await?;
    for r in rows {
        if let Some(check) = Check::parse(&r.check) {
            let c = r.counted(check);
            out.entry(r.site).or_default().add(check, c);
        }
    }
    Ok(out)
}

pub fn catalog() -> Vec<Sampled> {
    let w = samples::window();
    vec![SCAN_COUNTS.sampled(ScanWindow {
        sites: w.sites,
        start: w.start,
        end: w.end,
        checks: check_keys(),
    })]
}
