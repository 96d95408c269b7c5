//! The report as PDF: its printable HTML page (the same template the dashboard serves, with the
//! stylesheet written in) printed by headless Chromium (`Page.printToPDF` over the DevTools
//! protocol, through `chromiumoxide`, as the browser tests drive it).
//!
//! Why Chromium and not a Rust PDF writer: the PDF must be *the same report* as the page, with
//! its Vietnamese text shaped and wrapped, its tables broken across pages and the print
//! stylesheet applied; a layout engine does that, and Chromium is the one the project already
//! installs and drives (BROWSER.md). Rust PDF crates (printpdf, genpdf) would need the layout
//! written a second time by hand.
use anyhow::Context;
use chromiumoxide::cdp::browser_protocol::page::PrintToPdfParams;
use chromiumoxide::BrowserConfig;
use futures::StreamExt;
use std::time::Duration;

/// Debian's Chromium (`EMC_CHROMIUM` overrides it).
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

/// Prints `html` to PDF (A4 landscape from the page's `@page` rule, backgrounds on).
pub async fn render(html: &str, chromium: &str) -> anyhow::Result<Vec<u8>> {
    let profile = tempfile::tempdir().context("a Chromium profile directory")?;
    let config = BrowserConfig::builder()
        .chrome_executable(chromium)
        .no_sandbox()
        .user_data_dir(profile.path())
        .args([
            "disable-gpu",
            "disable-background-networking",
            "disable-component-update",
            "disable-sync",
            "no-first-run",
        ])
        .launch_timeout(Duration::from_secs(60))
        .build()
        .map_err(anyhow::Error::msg)?;
    let (mut browser, mut handler) = chromiumoxide::Browser::launch(config)
        .await
        .with_context(|| format!("starting {chromium}"))?;
    let driver = tokio::spawn(async move { while handler.next().await.is_some() {} });
    let result = print(&browser, html).await;
    let _ = browser.close().await;
    let _ = browser.wait().await;
    driver.abort();
    result
}

async fn print(browser: &chromiumoxide::Browser, html: &str) -> anyhow::Result<Vec<u8>> {
    let page = browser.new_page("about:blank").await.context("a new tab")?;
    page.set_content(html).await.context("loading the report")?;
    let params = PrintToPdfParams {
        print_background: Some(true),
        prefer_css_page_size: Some(true),
        ..PrintToPdfParams::default()
    };
    let pdf = tokio::time::timeout(Duration::from_secs(60), page.pdf(params))
        .await
        .context("printing took over 60 s")?
        .context("printing to PDF")?;
    anyhow::ensure!(pdf.starts_with(b"%PDF"), "Chromium returned no PDF");
    Ok(pdf)
}
