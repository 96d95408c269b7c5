//! What `emc-scanner` saw (`scan_checks`, issue 11), for the scorecard (`/sites/CODE/scan`), the
//! fleet page (`/scans`), the overview's flags, `GET /api/v1/scans`, its CSV and open data.
//! The statements live in `emc_sql::scan` (the scanner and the alerts read the same ones).
use emc_sql::scan::{Change, Check, CheckRead, Outcome, ScanRequestRow, CHANGES, HISTORY, LATEST};
use emc_sql::Db;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One check of a scan, as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckOut {
    pub check: &'static str,
    pub outcome: &'static str,
    pub value: String,
    pub detail: String,
}

/// The latest scan of one (site, domain): the CLI's `--json` object.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanOut {
    pub site: String,
    pub domain: String,
    pub scanned_at: String,
    pub checks: Vec<CheckOut>,
}

impl ScanOut {
    pub fn outcome(&self, check: Check) -> Option<Outcome> {
        self.checks
            .iter()
            .find(|c| c.check == check.key())
            .and_then(|c| Outcome::parse(c.outcome))
    }

    pub fn failing(&self) -> Vec<Check> {
        self.checks
            .iter()
            .filter(|c| c.outcome == Outcome::Fail.key())
            .filter_map(|c| Check::parse(c.check))
            .collect()
    }
}

pub fn iso(ts: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(ts), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn check_out(r: &CheckRead) -> Option<CheckOut> {
    Some(CheckOut {
        check: Check::parse(&r.check)?.key(),
        outcome: Outcome::from_code(r.outcome)?.key(),
        value: r.value.clone(),
        detail: r.detail.clone(),
    })
}

/// Groups rows (ordered by site, domain) into scans, checks in [`Check::ALL`] order.
fn group(rows: &[CheckRead]) -> Vec<ScanOut> {
    let mut by: BTreeMap<(String, String, u32), Vec<&CheckRead>> = BTreeMap::new();
    for r in rows {
        by.entry((r.site.clone(), r.domain.clone(), r.scanned_at))
            .or_default()
            .push(r);
    }
    let mut out: Vec<ScanOut> = by
        .into_iter()
        .map(|((site, domain, at), rows)| {
            let mut checks: Vec<CheckOut> = rows.iter().filter_map(|r| check_out(r)).collect();
            checks.sort_by_key(|c| Check::parse(c.check));
            ScanOut {
                site,
                domain,
                scanned_at: iso(at),
                checks,
            }
        })
        .collect();
    out.sort_by(|a, b| (a.site.len(), &a.site, &a.domain).cmp(&(b.site.len(), &b.site, &b.domain)));
    out
}

/// The latest scan of every domain of the given sites (`sites` empty: none).
pub async fn latest(db: &Db, sites: &[String]) -> Result<Vec<ScanOut>, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(Vec::new());
    }
    let one = if sites.len() == 1 {
        sites[0].as_str()
    } else {
        ""
    };
    let rows: Vec<CheckRead> = db
        .client()
        .query(LATEST)
        .bind(one)
        .bind(one)
        .bind(one)
        .bind(one)
        .fetch_all()
        .await?;
    let keep: BTreeSet<&str> = sites.iter().map(String::as_str).collect();
    let rows: Vec<CheckRead> = rows
        .into_iter()
        .filter(|r| keep.contains(r.site.as_str()))
        .collect();
    Ok(group(&rows))
}

/// Every scan of one site between two instants (Unix seconds), newest first.
pub async fn history(
    db: &Db,
    site: &str,
    from: u32,
    to: u32,
) -> Result<Vec<ScanOut>, clickhouse::error::Error> {
    let rows: Vec<CheckRead> = db
        .client()
        .query(HISTORY)
        .bind(site)
        .bind(from)
        .bind(to)
        .fetch_all()
        .await?;
    let mut scans = group(&rows);
    scans.sort_by(|a, b| b.scanned_at.cmp(&a.scanned_at));
    Ok(scans)
}

/// Checks of one site that flipped between its last two scans.
pub async fn changes(db: &Db, site: &str) -> Result<Vec<Change>, clickhouse::error::Error> {
    db.client()
        .query(CHANGES)
        .bind(site)
        .bind(site)
        .fetch_all()
        .await
}

/// Asks the scanner service for a scan of `site` now (it polls `scan_requests`).
pub async fn request(db: &Db, site: &str, by: &str) -> Result<(), clickhouse::error::Error> {
    let mut insert = db
        .client()
        .insert::<ScanRequestRow>("scan_requests")
        .await?;
    insert
        .write(&ScanRequestRow {
            site: site.to_owned(),
            requested_at: chrono::Utc::now().timestamp() as u32,
            requested_by: by.to_owned(),
        })
        .await?;
    insert.end().await
}

/// The overview's flags, from the latest scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Flag {
    /// `http` failed: the homepage does not answer 2xx.
    Down,
    /// `tag_present` failed.
    Untagged,
    /// The tag carries another site's id or reports elsewhere.
    WronglyTagged,
}

impl Flag {
    pub const ALL: [Flag; 3] = [Flag::Down, Flag::Untagged, Flag::WronglyTagged];

    pub fn key(self) -> &'static str {
        match self {
            Flag::Down => "scan_down",
            Flag::Untagged => "scan_untagged",
            Flag::WronglyTagged => "scan_wrong_tag",
        }
    }

    pub fn applies(self, s: &ScanOut) -> bool {
        let fails = |c: Check| s.outcome(c) == Some(Outcome::Fail);
        match self {
            Flag::Down => fails(Check::Http),
            Flag::Untagged => fails(Check::TagPresent),
            Flag::WronglyTagged => fails(Check::TagSiteId) || fails(Check::TagCollector),
        }
    }
}

/// (flag, sites it applies to) for every flag with at least one site.
pub fn flags(scans: &[ScanOut]) -> Vec<(Flag, Vec<String>)> {
    Flag::ALL
        .iter()
        .map(|f| {
            let mut sites: Vec<String> = scans
                .iter()
                .filter(|s| f.applies(s))
                .map(|s| s.site.clone())
                .collect();
            sites.dedup();
            (*f, sites)
        })
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

/// The CSV of latest scans: one row per check (cells as every export writes them).
pub fn csv(scans: &[ScanOut]) -> String {
    use crate::routes::csv::cell;
    let mut w = String::from("site,domain,scanned_at,check,outcome,value,detail\r\n");
    for s in scans {
        for c in &s.checks {
            let cells = [
                cell(&s.site),
                cell(&s.domain),
                cell(&s.scanned_at),
                cell(c.check),
                cell(c.outcome),
                cell(&c.value),
                cell(&c.detail),
            ];
            w.push_str(&cells.join(","));
            w.push_str("\r\n");
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(site: &str, check: Check, outcome: Outcome) -> CheckRead {
        CheckRead {
            scan_id: Default::default(),
            site: site.into(),
            domain: format!("{site}.gov.vn"),
            scanned_at: 1_765_000_000,
            check: check.key().into(),
            outcome: outcome.code(),
            value: "v".into(),
            detail: "d, \"q\"".into(),
        }
    }

    #[test]
    fn grouping_flags_and_csv() {
        let rows = [
            row("10", Check::TagPresent, Outcome::Fail),
            row("10", Check::Http, Outcome::Pass),
            row("2", Check::Http, Outcome::Fail),
            row("2", Check::TagSiteId, Outcome::Fail),
            row("3", Check::TagCollector, Outcome::Fail),
        ];
        let scans = group(&rows);
        let order: Vec<&str> = scans.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(order, ["2", "3", "10"]);
        assert_eq!(scans[2].checks[0].check, "http", "checks in their order");
        let f = flags(&scans);
        assert_eq!(
            f,
            [
                (Flag::Down, vec!["2".to_owned()]),
                (Flag::Untagged, vec!["10".to_owned()]),
                (Flag::WronglyTagged, vec!["2".to_owned(), "3".to_owned()]),
            ]
        );
        let text = csv(&scans[..1]);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "2,2.gov.vn,2025-12-06T05:46:40Z,http,fail,v,\"d, \"\"q\"\"\""
        );
        assert_eq!(scans[0].failing(), [Check::Http, Check::TagSiteId]);
    }
}
