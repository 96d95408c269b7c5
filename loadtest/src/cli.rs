//! Command line: every flag documented, the ClickHouse ones also `EMC_…` variables.
use crate::driver::Profile;
use crate::report::parse_duration;
use crate::wire::Protocol;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "emc-loadtest",
    version,
    about = "Load generator for the EMC collector: realistic visits, latency percentiles, and a check that everything accepted landed in ClickHouse",
    long_about = "Load generator for the EMC collector.\n\n\
Without a subcommand it sends realistic traffic to a running collector: sites registered in the \
registry (agency `loadtest`), a population of Vietnamese visitors (addresses sent in X-Forwarded-For, \
so start the collector with EMC_TRUSTED_PROXIES covering this machine) whose visits bounce or go on \
for Zipf-distributed pages, with engagement beacons and page-load timings, downloads, and the real mix \
of referrers (Google, Cốc Cốc, Facebook, Zalo, news sites, campaigns). Open loop (--rate) or closed \
loop (--concurrency), for --duration or --requests, over --connections keep-alive connections.\n\n\
At the end it waits for the collector's flush and counts what landed in ClickHouse: landed versus \
accepted, duplicates (rows sharing an event id), and each site's page views, visits, bounces, \
visitors and visits by source against the generator's own books. Any loss, duplicate or mismatch \
exits non-zero. It prints a table and writes a JSON summary.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A bare axum endpoint on the collector's own server loop that decodes the same JSON and
    /// answers 202, storing nothing: the limit of an HTTP beacon path on this machine.
    BaselineServer(BaselineArgs),
    /// Bulk historical traffic with event times, through the collector's own pipeline
    /// (sessions computed, rollups fed): for dashboard benchmarks at 10 M–100 M events.
    Seed(SeedArgs),
    /// What `make bench` runs: baseline maximum, collector maximum, latency at half of it,
    /// landed versus accepted, memory per open session; a table and target/bench/*.json.
    Bench(BenchArgs),
    /// What `make bench-reports` runs: a year of traffic for a fleet of sites (a base made by
    /// the pipeline, multiplied inside ClickHouse), then every report timed over HTTP against
    /// `emc-dashboard serve`; a table and target/bench/reports.json.
    BenchReports(BenchReportsArgs),
    /// What `make demo` runs: the demo agency `demo-data` ("Demo — dữ liệu mẫu"), a portal
    /// and two components with a year of traffic through the collector's pipeline; once
    /// (a second run does nothing unless --reseed); --remove deletes all of it.
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Delete the demo agency, its sites and all their rows.
    #[arg(long, conflicts_with = "reseed")]
    pub remove: bool,
    /// Remove the demo data and seed it again.
    #[arg(long)]
    pub reseed: bool,
    /// Events to generate in all.
    #[arg(long, default_value_t = 250_000)]
    pub events: u64,
    /// Days of history, ending with --end.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Last day (UTC, YYYY-MM-DD) [default: yesterday].
    #[arg(long)]
    pub end: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub db: DbArgs,
    /// A .mmdb city database for geo columns (as the collector's EMC_GEOIP_DB).
    #[arg(long, env = "EMC_GEOIP_DB", value_delimiter = ',')]
    pub geoip_db: Vec<PathBuf>,
    #[arg(long)]
    pub quiet: bool,
}

/// Where ClickHouse is (as the other EMC binaries find it).
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// ClickHouse HTTP URL; unset: the managed local server under EMC_DATA_DIR (started if none answers).
    #[arg(long, env = "EMC_CLICKHOUSE_URL")]
    pub clickhouse_url: Option<String>,
    #[arg(long, env = "EMC_CLICKHOUSE_DB", default_value = "emc")]
    pub clickhouse_db: String,
    /// Holds the managed ClickHouse when EMC_CLICKHOUSE_URL is unset.
    #[arg(long, env = "EMC_DATA_DIR", default_value = "./var")]
    pub data_dir: PathBuf,
    /// What a "day" means in the rollups (used when this command creates the schema).
    #[arg(long, env = "EMC_TIMEZONE", default_value = "Asia/Ho_Chi_Minh")]
    pub timezone: String,
}

/// The shape of the traffic.
#[derive(Debug, Clone, Args)]
pub struct TrafficArgs {
    /// Sites to spread the visits over (Zipf popularity); registered when missing.
    #[arg(long, default_value_t = 20)]
    pub sites: usize,
    /// Site codes are PREFIX-001…, domains SLUG.PREFIX.gov.vn.
    #[arg(long, default_value = "lt")]
    pub site_prefix: String,
    /// Size of the visitor population (visitors return and open further visits).
    #[arg(long, default_value_t = 200_000)]
    pub visitors: u64,
    /// Share of visits with one page view.
    #[arg(long, default_value_t = 0.55)]
    pub bounce_rate: f64,
    /// Share of page views followed by an engagement beacon.
    #[arg(long, default_value_t = 0.6)]
    pub engagement_rate: f64,
    /// Random seed (default: a new one each run; visitors' addresses depend on it).
    #[arg(long)]
    pub seed: Option<u64>,
    /// The collector's session timeout, seconds (the books cut visits by it).
    #[arg(long, env = "EMC_SESSION_TIMEOUT", default_value_t = 1800)]
    pub session_timeout: u32,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Base URL of the collector.
    #[arg(
        long,
        env = "EMC_LOADTEST_TARGET",
        default_value = "http://127.0.0.1:8080"
    )]
    pub target: String,
    /// Wire format: the JSON beacon (POST /api/event) or the Matomo tracking API (GET /tracking).
    #[arg(long, value_enum, default_value_t = Protocol::Json)]
    pub protocol: Protocol,
    /// Open loop: requests per second, sent on schedule whatever the answers' speed.
    #[arg(long, conflicts_with = "concurrency")]
    pub rate: Option<f64>,
    /// Closed loop: requests in flight, each sent when the previous answer came [default: 64].
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Keep-alive connections (up to 10 000; the open-file limit is raised) [default: the
    /// concurrency in closed loop, 256 in open loop].
    #[arg(long)]
    pub connections: Option<usize>,
    /// How long to send after the warm-up (30s, 2m, 500ms) [default: 30s unless --requests].
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// How many requests to send in all (warm-up included).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Sent first and left out of latency and throughput.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    pub warmup: Duration,
    /// realistic: returning visitors, multi-page visits; new-sessions: one page view per new visitor.
    #[arg(long, value_enum, default_value_t = Profile::Realistic)]
    pub profile: Profile,
    /// Visits each connection interleaves.
    #[arg(long, default_value_t = 4)]
    pub active_visits: usize,
    #[command(flatten)]
    pub traffic: TrafficArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// Do not count what landed in ClickHouse (e.g. against the baseline server, which stores nothing).
    #[arg(long)]
    pub no_verify: bool,
    /// Do not register the sites (they must exist).
    #[arg(long)]
    pub no_register: bool,
    /// After the run, how long the landed counts must stay unchanged.
    #[arg(long, value_parser = parse_duration, default_value = "2500ms")]
    pub settle: Duration,
    /// Longest wait for the collector's flush.
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    pub flush_timeout: Duration,
    /// The server's pid: its CPU per request and memory growth are reported (/proc).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// ClickHouse's pid (same machine): its CPU per request is reported too.
    #[arg(long)]
    pub clickhouse_pid: Option<u32>,
    /// Where to write the JSON summary.
    #[arg(long, default_value = "loadtest-summary.json")]
    pub json_out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Worker threads [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    #[arg(long, env = "EMC_BASELINE_ADDR", default_value = "127.0.0.1:8099")]
    pub addr: String,
    /// Worker threads [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Events to generate in all.
    #[arg(long)]
    pub events: u64,
    /// Days of history, ending with --end.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Last day (UTC, YYYY-MM-DD) [default: yesterday].
    #[arg(long)]
    pub end: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub traffic: TrafficArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// A .mmdb city database for geo columns (as the collector's EMC_GEOIP_DB).
    #[arg(long, env = "EMC_GEOIP_DB", value_delimiter = ',')]
    pub geoip_db: Vec<PathBuf>,
    /// Parallel generators (each owns a slice of the visitors) [default: one per core].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Rows per insert.
    #[arg(long, default_value_t = 100_000)]
    pub batch_rows: usize,
    /// Do not count what landed in ClickHouse at the end.
    #[arg(long)]
    pub no_verify: bool,
    #[arg(long, default_value = "seed-summary.json")]
    pub json_out: PathBuf,
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// ClickHouse to use; unset: one started under --data-dir on free ports, stopped at the end.
    #[arg(long, env = "EMC_CLICKHOUSE_URL")]
    pub clickhouse_url: Option<String>,
    /// The bench's own database (never `emc`'s).
    #[arg(long, env = "EMC_BENCH_DB", default_value = "emc_bench")]
    pub clickhouse_db: String,
    #[arg(long, default_value = "target/bench/var")]
    pub data_dir: PathBuf,
    /// Keep the bench database of earlier runs (default: dropped and created afresh, so every
    /// run meets the same small tables and no merges left over from the last one).
    #[arg(long)]
    pub keep_db: bool,
    /// The collector binary [default: emc-collector next to this binary].
    #[arg(long)]
    pub collector_bin: Option<PathBuf>,
    /// Extra environment of the collector, KEY=VALUE, repeatable (e.g. EMC_FLUSH_MS=5000, or
    /// LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 to try another allocator).
    #[arg(long = "collector-env", value_name = "KEY=VALUE")]
    pub collector_env: Vec<String>,
    /// Requests in flight when looking for a maximum.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    #[arg(long, value_parser = parse_duration, default_value = "3s")]
    pub warmup: Duration,
    /// Measured time of each maximum (baseline, collector).
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub max_duration: Duration,
    /// Measured time of the run at half the collector's maximum.
    #[arg(long, value_parser = parse_duration, default_value = "15s")]
    pub half_duration: Duration,
    /// Connections of the half-rate run.
    #[arg(long, default_value_t = 256)]
    pub half_connections: usize,
    /// Sessions opened for the memory probe.
    #[arg(long, default_value_t = 1_000_000)]
    pub sessions: u64,
    #[arg(long, default_value_t = 20)]
    pub sites: usize,
    /// Generator threads [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchReportsArgs {
    /// Events in all: a base of --events / --copies through the pipeline, then copied.
    #[arg(long, default_value_t = 100_000_000)]
    pub events: u64,
    /// Sites (Zipf popularity), registered as portals of ministries, provinces and other bodies.
    #[arg(long, default_value_t = 1000)]
    pub sites: usize,
    /// Days of history, ending yesterday (UTC).
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Copies of the base made inside ClickHouse (1: the pipeline makes everything); must
    /// divide --events.
    #[arg(long, default_value_t = 20)]
    pub copies: u32,
    /// Visitor population of the base (each copy has its own visitors).
    #[arg(long, default_value_t = 400_000)]
    pub visitors: u64,
    /// Random seed of the base (a fixed default: every machine builds the same data).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Timed runs of each figure, after one untimed warm-up run.
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Longest time spent on one figure's runs; at least 3 runs are made whatever it costs.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub figure_budget: Duration,
    /// Build the data again even when the database holds a complete seed of this shape.
    #[arg(long)]
    pub reseed: bool,
    /// Where reports.json goes.
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// ClickHouse to use; unset: one started under --data-dir on free ports (its data kept
    /// between runs, so a complete seed is reused), stopped at the end.
    #[arg(long, env = "EMC_CLICKHOUSE_URL")]
    pub clickhouse_url: Option<String>,
    /// The bench's own database (never `emc`'s); the base is built in `<db>_base`, then dropped.
    #[arg(
        long,
        env = "EMC_BENCH_REPORTS_DB",
        default_value = "emc_bench_reports"
    )]
    pub clickhouse_db: String,
    #[arg(long, default_value = "target/bench/reports-var")]
    pub data_dir: PathBuf,
    /// The native (TCP) port of the ClickHouse at --clickhouse-url, from which the cluster
    /// loads the base with `remote()` (the bench's own server: known).
    #[arg(long, default_value_t = 9000)]
    pub clickhouse_tcp_port: u16,
    /// Skip the 2 shards × 2 replicas cluster (its section of reports.json is then null).
    #[arg(long)]
    pub no_cluster: bool,
    /// The dashboard binary [default: emc-dashboard next to this binary].
    #[arg(long)]
    pub dashboard_bin: Option<PathBuf>,
    /// A .mmdb city database for the geo columns (country, province, city breakdowns).
    #[arg(long, env = "EMC_GEOIP_DB", value_delimiter = ',')]
    pub geoip_db: Vec<PathBuf>,
    /// What a "day" means (rollups and dashboard alike).
    #[arg(long, env = "EMC_TIMEZONE", default_value = "Asia/Ho_Chi_Minh")]
    pub timezone: String,
    #[arg(long)]
    pub quiet: bool,
}
