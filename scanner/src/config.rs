//! Scanner configuration: every flag also an `EMC_…` environment variable.
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "emc-scanner",
    version,
    about = "EMC site scanner: checks every registered site (HTTP, TLS, HTML, headless Chromium)"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonConfig,
    #[command(flatten)]
    pub scan: ScanConfig,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan now (every registered site, or the ones named) and print the results.
    Scan(ScanArgs),
    /// Scan the fleet daily at EMC_SCANNER_HOUR, and any site asked for from the dashboard.
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// A site code to scan (repeatable); none: every registered site.
    #[arg(long = "site", value_name = "CODE")]
    pub sites: Vec<String>,
    /// One JSON object per site and domain, one per line, instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Print only; store nothing in ClickHouse.
    #[arg(long)]
    pub no_store: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Hour of the day (0-23, in EMC_TIMEZONE) at which the daily scan of the fleet starts.
    #[arg(long, env = "EMC_SCANNER_HOUR", default_value_t = 2)]
    pub hour: u32,
    /// Seconds between two looks at the scan requests made from the dashboard.
    #[arg(long, env = "EMC_SCANNER_POLL_SECS", default_value_t = 10)]
    pub poll_secs: u64,
    /// Scan the fleet once at start (then daily); `make up` sets it so the demo site is scanned.
    #[arg(long, env = "EMC_SCANNER_SCAN_AT_START", default_value_t = false)]
    pub scan_at_start: bool,
}

/// Where ClickHouse is, as for every EMC binary.
#[derive(Debug, Clone, Args)]
pub struct CommonConfig {
    /// HTTP URL of ClickHouse; unset: a managed local server under EMC_DATA_DIR.
    #[arg(long, env = "EMC_CLICKHOUSE_URL", global = true)]
    pub clickhouse_url: Option<String>,
    #[arg(long, env = "EMC_CLICKHOUSE_DB", default_value = "emc", global = true)]
    pub clickhouse_db: String,
    /// Cluster name (migrations in their cluster form); unset: a single server.
    #[arg(long, env = "EMC_CLICKHOUSE_CLUSTER", global = true)]
    pub clickhouse_cluster: Option<String>,
    #[arg(long, env = "EMC_DATA_DIR", default_value = "./var", global = true)]
    pub data_dir: PathBuf,
    /// What a "day" means (the daily scan hour is in this zone).
    #[arg(
        long,
        env = "EMC_TIMEZONE",
        default_value = "Asia/Ho_Chi_Minh",
        global = true
    )]
    pub timezone: String,
}

/// How the scanner scans.
#[derive(Debug, Clone, Args)]
pub struct ScanConfig {
    /// The collector the sites' tags must report to (tag_collector, tag_fires).
    #[arg(
        long,
        env = "EMC_COLLECTOR_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub collector_public_url: String,
    /// curl's --connect-to: `host:port:address:port,…` sends connections for host:port to
    /// address:port (TLS names and Host headers unchanged), for the HTTP checks and Chromium.
    #[arg(
        long,
        env = "EMC_SCANNER_CONNECT_TO",
        default_value = "",
        global = true
    )]
    pub connect_to: String,
    /// A PEM file of extra CA certificates trusted besides Mozilla's roots.
    #[arg(long, env = "EMC_SCANNER_EXTRA_CA", global = true)]
    pub extra_ca: Option<PathBuf>,
    /// Domains scanned at once.
    #[arg(
        long,
        env = "EMC_SCANNER_CONCURRENCY",
        default_value_t = 32,
        global = true
    )]
    pub concurrency: usize,
    /// Seconds allowed for one HTTP request (connect included).
    #[arg(
        long,
        env = "EMC_SCANNER_TIMEOUT_SECS",
        default_value_t = 15,
        global = true
    )]
    pub timeout_secs: u64,
    /// Inner pages sampled for dc_complete (from sitemap.xml, else the homepage's links).
    #[arg(
        long,
        env = "EMC_SCANNER_INNER_PAGES",
        default_value_t = 3,
        global = true
    )]
    pub inner_pages: usize,
    /// The browser checks (tag_fires, label_visible, ttfb, fcp, lcp, load, a11y) in headless
    /// Chromium; off: those checks are left out.
    #[arg(long, env = "EMC_SCANNER_BROWSER", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub browser: bool,
    /// The Chromium binary.
    #[arg(
        long,
        env = "EMC_SCANNER_CHROMIUM",
        default_value = "/usr/bin/chromium",
        global = true
    )]
    pub chromium: PathBuf,
    /// axe-core's `axe.min.js` (installed by scripts/install-deps.sh under scanner/js).
    #[arg(
        long,
        env = "EMC_SCANNER_AXE",
        default_value = "scanner/js/node_modules/axe-core/axe.min.js",
        global = true
    )]
    pub axe_js: PathBuf,
}
