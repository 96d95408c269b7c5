//! The checks only a browser can make, in one headless Chromium driven over the DevTools
//! protocol (chromiumoxide, as the browser tests do: BROWSER.md): `tag_fires`,
//! `label_visible` (visible, not merely present), `ttfb`, `fcp`, `lcp`, `load` (median of 3
//! cold loads) and `a11y` (axe-core injected into the page).
//!
//! Chromium says it is desktop Chrome (a `HeadlessChrome` user agent is dropped as a bot by
//! collectors, ours included), resolves names through `EMC_SCANNER_CONNECT_TO` (as
//! `--host-resolver-rules`) and ignores certificate errors: `tls_valid` judges the certificate;
//! the browser measures the page a visitor who proceeds gets.
mod measure;

use crate::checks::CheckResult;
use crate::config::ScanConfig;
use crate::connect_to::ConnectTo;
use anyhow::Context;
use chromiumoxide::BrowserConfig;
use emc_sql::scan::Check;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use url::Url;

pub use measure::{Load, Thresholds, THRESHOLDS};

/// What the browser says it is: Chrome, so pages behave as for a visitor, and the scanner by
/// name, so the collector drops the tag's beacons as a bot (`202`, counted as `bot:crawler`
/// in the connection log, no visit) and sites can tell monitoring from visits.
pub const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 EMC-Scanner/0.1 (Vietnamese government website monitoring)";
/// Cold loads per page; the median is kept.
pub const LOADS: usize = 3;
/// Tabs open at once.
pub const TABS: usize = 2;
/// The longest `--host-resolver-rules` handed to Chromium.
pub const MAX_HOST_RULES_BYTES: usize = 32 * 1024;
/// One page load may take this long.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Browser {
    inner: chromiumoxide::Browser,
    handler: JoinHandle<()>,
    tabs: Arc<Semaphore>,
    axe: Result<Arc<str>, String>,
    _profile: tempfile::TempDir,
}

/// Every browser check as an error (the page could not be loaded at all).
pub fn all_error(why: &str) -> Vec<CheckResult> {
    Check::ALL
        .iter()
        .filter(|c| c.needs_browser() || **c == Check::LabelVisible)
        .map(|c| CheckResult::error(*c, why))
        .collect()
}

impl Browser {
    pub async fn launch(cfg: &ScanConfig, connect_to: &ConnectTo) -> anyhow::Result<Browser> {
        let profile = tempfile::tempdir().context("a Chromium profile directory")?;
        let mut config = BrowserConfig::builder()
            .chrome_executable(&cfg.chromium)
            .no_sandbox()
            .user_data_dir(profile.path())
            .args([
                "disable-gpu",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-extensions",
                "disable-dev-shm-usage",
                "mute-audio",
                "no-first-run",
                "ignore-certificate-errors",
            ])
            .arg(("user-agent", USER_AGENT))
            .window_size(1366, 768)
            .launch_timeout(Duration::from_secs(60))
            .request_timeout(LOAD_TIMEOUT + Duration::from_secs(10));
        let rules = connect_to.chromium_rules();
        // Chromium dies on a trap (no message) when its host rules are much longer than this
        // (measured: 36 KB starts, 73 KB crashes): say so instead.
        anyhow::ensure!(
            rules.len() <= MAX_HOST_RULES_BYTES,
            "EMC_SCANNER_CONNECT_TO gives Chromium {} bytes of host rules (at most {MAX_HOST_RULES_BYTES}): \
             map every host of a port at once with the host left out (':443:address:port')",
            rules.len()
        );
        if !rules.is_empty() {
            config = config.arg(("host-resolver-rules", rules.as_str()));
        }
        let config = config.build().map_err(anyhow::Error::msg)?;
        let (inner, mut handler) = chromiumoxide::Browser::launch(config)
            .await
            .with_context(|| format!("launching {}", cfg.chromium.display()))?;
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let axe = std::fs::read_to_string(&cfg.axe_js)
            .map(Arc::from)
            .map_err(|e| {
                format!(
                    "axe-core not readable at {} ({e}): run scripts/install-deps.sh",
                    cfg.axe_js.display()
                )
            });
        Ok(Browser {
            inner,
            handler,
            tabs: Arc::new(Semaphore::new(TABS)),
            axe,
            _profile: profile,
        })
    }

    /// The browser checks of one page.
    pub async fn checks(&self, url: &Url, collector: &Url) -> Vec<CheckResult> {
        let _tab = self
            .tabs
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let mut loads = Vec::with_capacity(LOADS);
        let mut first = None;
        for i in 0..LOADS {
            let first_load = i == 0;
            match measure::load(&self.inner, url, collector, first_load.then_some(&self.axe)).await
            {
                Ok((load, extra)) => {
                    loads.push(load);
                    if first_load {
                        first = Some(extra);
                    }
                }
                Err(e) => return all_error(&format!("{e:#}")),
            }
        }
        let first = first.expect("the first load ran");
        let mut out = measure::timing_checks(&loads, &THRESHOLDS);
        out.push(measure::tag_fires(&first, collector));
        out.push(measure::label(&first));
        out.push(measure::a11y(&first));
        out
    }

    pub async fn close(mut self) {
        let _ = self.inner.close().await;
        let _ = self.inner.wait().await;
        self.handler.abort();
    }
}
