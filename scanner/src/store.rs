//! Writes scans to ClickHouse (`scans`, `scan_checks`) and reads the dashboard's requests.
use crate::scan::DomainScan;
use anyhow::Context;
use emc_sql::scan::{ScanCheckRow, ScanRow, LAST_SCANS, REQUESTS};
use emc_sql::Db;
use std::collections::BTreeMap;

/// Why a scan ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Request,
    Cli,
}

impl Trigger {
    pub fn key(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Request => "request",
            Trigger::Cli => "cli",
        }
    }
}

/// One insert per table for a batch of scans.
pub async fn save(db: &Db, scans: &[DomainScan], trigger: Trigger) -> anyhow::Result<()> {
    if scans.is_empty() {
        return Ok(());
    }
    let mut checks = db
        .client()
        .insert::<ScanCheckRow>("scan_checks")
        .await
        .context("inserting into scan_checks")?;
    for s in scans {
        for c in &s.checks {
            checks
                .write(&ScanCheckRow {
                    scan_id: s.scan_id,
                    site: s.site.clone(),
                    domain: s.domain.clone(),
                    scanned_at: s.scanned_at.timestamp() as u32,
                    check: c.check.key().to_owned(),
                    outcome: c.outcome.code(),
                    value: c.value.clone(),
                    detail: c.detail.clone(),
                })
                .await?;
        }
    }
    checks.end().await.context("inserting into scan_checks")?;
    let mut rows = db
        .client()
        .insert::<ScanRow>("scans")
        .await
        .context("inserting into scans")?;
    for s in scans {
        rows.write(&ScanRow {
            scan_id: s.scan_id,
            site: s.site.clone(),
            domain: s.domain.clone(),
            scanned_at: s.scanned_at.timestamp() as u32,
            duration_ms: s.duration.as_millis().min(u32::MAX as u128) as u32,
            trigger: trigger.key().to_owned(),
            browser: u8::from(s.browser),
        })
        .await?;
    }
    rows.end().await.context("inserting into scans")?;
    Ok(())
}

/// Sites whose newest request is later than their latest scan.
pub async fn due_requests(db: &Db) -> anyhow::Result<Vec<String>> {
    let requests: Vec<(String, u32, String)> = db
        .client()
        .query(REQUESTS)
        .fetch_all()
        .await
        .context("reading scan_requests")?;
    let last: BTreeMap<String, u32> = db
        .client()
        .query(LAST_SCANS)
        .fetch_all::<(String, u32)>()
        .await
        .context("reading scans")?
        .into_iter()
        .collect();
    Ok(requests
        .into_iter()
        .filter(|(site, at, _)| last.get(site).is_none_or(|l| at > l))
        .map(|(site, _, _)| site)
        .collect())
}
