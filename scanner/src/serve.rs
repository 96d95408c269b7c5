//! `emc-scanner serve`: the fleet every day at `EMC_SCANNER_HOUR` (in `EMC_TIMEZONE`), and
//! every site asked for from the dashboard (`scan_requests`) within `EMC_SCANNER_POLL_SECS`.
use crate::browser::Browser;
use crate::config::{ScanConfig, ServeArgs};
use crate::fleet;
use crate::scan::Scanner;
use crate::store::{self, Trigger};
use chrono::{DateTime, Duration as Days, TimeZone, Utc};
use chrono_tz::Tz;
use emc_sql::Db;
use std::time::Duration;

/// The first moment at `hour` o'clock in `tz` strictly after `now`.
pub fn next_run(now: DateTime<Utc>, hour: u32, tz: Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz).date_naive();
    (0..3)
        .filter_map(|d| (local + Days::days(d)).and_hms_opt(hour.min(23), 0, 0))
        .filter_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .find(|t| *t > now)
        .unwrap_or(now + Days::days(1))
}

pub async fn run(
    db: Db,
    scanner: Scanner,
    cfg: ScanConfig,
    args: ServeArgs,
    tz: Tz,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut next = if args.scan_at_start {
        Utc::now()
    } else {
        next_run(Utc::now(), args.hour, tz)
    };
    tracing::info!(next = %next, "scanner serving");
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_secs(args.poll_secs.max(1)));
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tick.tick() => {}
        }
        if Utc::now() >= next {
            if let Err(e) = pass(&db, &scanner, &cfg, &[], Trigger::Schedule).await {
                tracing::error!(error = format!("{e:#}"), "daily scan failed");
            }
            next = next_run(Utc::now(), args.hour, tz);
            tracing::info!(next = %next, "next daily scan");
        }
        match store::due_requests(&db).await {
            Ok(sites) if !sites.is_empty() => {
                if let Err(e) = pass(&db, &scanner, &cfg, &sites, Trigger::Request).await {
                    tracing::error!(error = format!("{e:#}"), "requested scan failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "reading scan requests"),
        }
    }
}

/// One scan of `only` (every site when empty), stored.
async fn pass(
    db: &Db,
    scanner: &Scanner,
    cfg: &ScanConfig,
    only: &[String],
    trigger: Trigger,
) -> anyhow::Result<()> {
    let targets = fleet::load_targets(db, only).await?;
    let started = std::time::Instant::now();
    let browser = if cfg.browser && !targets.is_empty() {
        Some(Browser::launch(cfg, &scanner.net.connect_to).await?)
    } else {
        None
    };
    let scans = fleet::scan_all(scanner, browser.as_ref(), &targets, cfg.concurrency).await;
    if let Some(b) = browser {
        b.close().await;
    }
    store::save(db, &scans, trigger).await?;
    let failing: usize = scans
        .iter()
        .map(|s| {
            s.checks
                .iter()
                .filter(|c| c.outcome == emc_sql::scan::Outcome::Fail)
                .count()
        })
        .sum();
    tracing::info!(
        trigger = trigger.key(),
        domains = scans.len(),
        failing,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scan stored"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_the_hour_in_the_zone() {
        let tz: Tz = "Asia/Ho_Chi_Minh".parse().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 02:00 in Hanoi is 19:00 UTC the day before.
        assert_eq!(
            next_run(at("2026-12-06T10:00:00Z"), 2, tz),
            at("2026-12-06T19:00:00Z")
        );
        assert_eq!(
            next_run(at("2026-12-06T19:00:00Z"), 2, tz),
            at("2026-12-07T19:00:00Z")
        );
        assert_eq!(
            next_run(at("2026-12-06T18:59:59Z"), 2, tz),
            at("2026-12-06T19:00:00Z")
        );
    }
}
