use anyhow::Context;
use clap::Parser;
use emc_scanner::browser::Browser;
use emc_scanner::config::{Cli, Command};
use emc_scanner::scan::DomainScan;
use emc_scanner::store::{self, Trigger};
use emc_scanner::{fleet, serve};
use std::io::Write;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let scanner = fleet::scanner(&cli.scan)?;
    let tz: chrono_tz::Tz = cli
        .common
        .timezone
        .parse()
        .map_err(|e| anyhow::anyhow!("EMC_TIMEZONE {:?}: {e}", cli.common.timezone))?;
    let db = fleet::open_db(&cli.common).await?;
    match cli.command {
        Command::Scan(args) => {
            let targets = fleet::load_targets(&db, &args.sites).await?;
            let browser = if cli.scan.browser && !targets.is_empty() {
                Some(Browser::launch(&cli.scan, &scanner.net.connect_to).await?)
            } else {
                None
            };
            let scans =
                fleet::scan_all(&scanner, browser.as_ref(), &targets, cli.scan.concurrency).await;
            if let Some(b) = browser {
                b.close().await;
            }
            if !args.no_store {
                store::save(&db, &scans, Trigger::Cli).await?;
            }
            let mut out = std::io::stdout().lock();
            for s in &scans {
                if args.json {
                    writeln!(out, "{}", serde_json::to_string(s)?)?;
                } else {
                    write!(out, "{}", table(s))?;
                }
            }
            Ok(())
        }
        Command::Serve(args) => serve::run(db, scanner, cli.scan, args, tz, shutdown_signal())
            .await
            .context("serving"),
    }
}

/// The human-readable form: one line per check.
fn table(s: &DomainScan) -> String {
    let mut text = format!(
        "{} {} {}\n",
        s.site,
        s.domain,
        s.scanned_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    for c in &s.checks {
        text.push_str(&format!(
            "  {:<18} {:<5} {:<24} {}\n",
            c.check.key(),
            c.outcome.key(),
            c.value,
            c.detail
        ));
    }
    text
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
