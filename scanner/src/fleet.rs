//! Scanning many targets: HTTP/HTML checks of up to `concurrency` domains at once; the
//! browser checks (one Chromium, a few tabs) as each domain's HTTP part ends.
use crate::browser::Browser;
use crate::config::{CommonConfig, ScanConfig};
use crate::connect_to::ConnectTo;
use crate::net::{tls::Trust, Net};
use crate::scan::{DomainScan, Scanner};
use crate::target::{self, Target};
use anyhow::Context;
use emc_sql::{Db, DbTarget, MigrateOptions, Topology};
use futures::StreamExt;
use std::time::Duration;
use url::Url;

/// The scanner as configured: clients, trust, the collector URL.
pub fn scanner(cfg: &ScanConfig) -> anyhow::Result<Scanner> {
    let connect_to = ConnectTo::parse(&cfg.connect_to)?;
    let trust = Trust::new(cfg.extra_ca.as_deref())?;
    let net = Net::new(connect_to, trust, Duration::from_secs(cfg.timeout_secs))?;
    let collector = Url::parse(&cfg.collector_public_url)
        .with_context(|| format!("EMC_COLLECTOR_PUBLIC_URL {:?}", cfg.collector_public_url))?;
    Ok(Scanner {
        net,
        collector,
        inner_pages: cfg.inner_pages,
    })
}

pub async fn open_db(common: &CommonConfig) -> anyhow::Result<Db> {
    let target = DbTarget::from_config(common.clickhouse_url.as_deref(), &common.data_dir);
    let opts = MigrateOptions {
        timezone: common.timezone.clone(),
        topology: Topology::from_cluster(common.clickhouse_cluster.as_deref()),
    };
    Db::open(&target, &common.clickhouse_db, &opts)
        .await
        .with_context(|| format!("opening ClickHouse database {}", common.clickhouse_db))
}

/// The targets of the named sites (all when `only` is empty), from the registry.
pub async fn load_targets(db: &Db, only: &[String]) -> anyhow::Result<Vec<Target>> {
    let sites = emc_sql::registry::list_sites(db).await?;
    let agencies = emc_sql::registry::list_agencies(db).await?;
    target::targets(&sites, &agencies, only)
        .map_err(|unknown| anyhow::anyhow!("unknown site code(s): {}", unknown.join(", ")))
}

/// Scans every target, `concurrency` at a time; results in target order.
pub async fn scan_all(
    scanner: &Scanner,
    browser: Option<&Browser>,
    targets: &[Target],
    concurrency: usize,
) -> Vec<DomainScan> {
    futures::stream::iter(targets)
        .map(|t| scanner.scan(t, browser))
        .buffered(concurrency.max(1))
        .collect()
        .await
}
