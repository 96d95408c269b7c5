//! Collector configuration: every flag also an `EMC_…` environment variable.
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "emc-collector", version, about = "EMC beacon collector")]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonConfig,
    #[command(flatten)]
    pub spool: SpoolArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve POST /api/event, /tracking, /tracker.js, /healthz, /readyz and /metrics.
    Serve(ServeConfig),
    /// Import web-server access logs (NCSA combined) through the same pipeline.
    Import(ImportConfig),
}

/// What every subcommand needs: where ClickHouse and the data folder are.
#[derive(Debug, Clone, Args)]
pub struct CommonConfig {
    /// HTTP URL of ClickHouse; unset: a managed local server under EMC_DATA_DIR.
    #[arg(long, env = "EMC_CLICKHOUSE_URL", global = true)]
    pub clickhouse_url: Option<String>,
    #[arg(long, env = "EMC_CLICKHOUSE_DB", default_value = "emc", global = true)]
    pub clickhouse_db: String,
    /// Cluster name: migrations are applied in their cluster form (ON CLUSTER,
    /// Replicated*MergeTree, Distributed tables). Unset: a single server.
    #[arg(long, env = "EMC_CLICKHOUSE_CLUSTER", global = true)]
    pub clickhouse_cluster: Option<String>,
    /// Spool, salts, dead letters, managed ClickHouse data.
    #[arg(long, env = "EMC_DATA_DIR", default_value = "./var", global = true)]
    pub data_dir: PathBuf,
    /// A .mmdb city or country database; several separated by ',' (DB-IP ships one per address family).
    #[arg(long, env = "EMC_GEOIP_DB", value_delimiter = ',', global = true)]
    pub geoip_db: Vec<PathBuf>,
    /// Seconds of idleness that end a session.
    #[arg(
        long,
        env = "EMC_SESSION_TIMEOUT",
        default_value_t = 1800,
        global = true
    )]
    pub session_timeout: u32,
    /// What a "day" means in the daily rollups.
    #[arg(
        long,
        env = "EMC_TIMEZONE",
        default_value = "Asia/Ho_Chi_Minh",
        global = true
    )]
    pub timezone: String,
    /// Rows per insert batch (a batch is also flushed when it is `flush_ms` old). Big: by
    /// `make bench`, ClickHouse on this machine spends about a third of the CPU per request
    /// with 50 000-row, 2 s batches than with 10 000-row, 1 s ones (each insert makes parts in
    /// three tables and their rollups, and parts are then merged).
    #[arg(long, env = "EMC_BATCH_ROWS", default_value_t = 50_000, global = true)]
    pub batch_rows: usize,
    #[arg(long, env = "EMC_FLUSH_MS", default_value_t = 2000, global = true)]
    pub flush_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[arg(long, env = "EMC_COLLECTOR_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// CIDRs whose X-Forwarded-For is believed, comma separated.
    #[arg(long, env = "EMC_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// How often the site registry is re-read (a new site is seen within this).
    #[arg(long, env = "EMC_REGISTRY_REFRESH_SECS", default_value_t = 2)]
    pub registry_refresh_secs: u64,
    /// Largest accepted request body, bytes.
    #[arg(long, env = "EMC_MAX_BODY_BYTES", default_value_t = 16 * 1024)]
    pub max_body_bytes: usize,
    /// The daily salts of visitor ids; unset: `EMC_DATA_DIR/salts`. Collectors behind one load
    /// balancer that share this folder (a filesystem with atomic hard links: local disk, NFS)
    /// give a visitor one id whichever of them answers, so a failover does not count the
    /// visitor twice. Keys older than yesterday are deleted from it.
    #[arg(long, env = "EMC_SALT_DIR")]
    pub salt_dir: Option<PathBuf>,
    /// The Matomo `token_auth` of bulk imports: only a bulk request carrying it may set a
    /// hit's time with `cdt`. Unset: `cdt` is always ignored.
    #[arg(long, env = "EMC_MATOMO_TOKEN", hide_env_values = true)]
    pub matomo_token: Option<String>,
    /// Rate limit, read timeout, header size (collector/src/limits.rs).
    #[command(flatten)]
    pub limits: crate::limits::LimitsConfig,
}

#[derive(Debug, Clone, Args)]
pub struct ImportConfig {
    /// The site the log belongs to.
    #[arg(long)]
    pub site: String,
    /// Log format; only NCSA combined (which also reads common) for now.
    #[arg(long, default_value = "combined", value_parser = ["combined"])]
    pub format: String,
    /// Access-log files ('-' for standard input).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// The durable spool of `serve` (under `EMC_DATA_DIR/spool`).
#[derive(Debug, Clone, Args)]
pub struct SpoolArgs {
    /// Disk budget of the spool, bytes; when reached, beacons are answered 429 until
    /// ClickHouse has caught up.
    #[arg(long, env = "EMC_SPOOL_MAX_BYTES", default_value_t = crate::spool::SpoolConfig::default().max_bytes, global = true)]
    pub spool_max_bytes: u64,
    /// Size at which a spool segment is sealed and the next one started, bytes.
    #[arg(long, env = "EMC_SPOOL_SEGMENT_BYTES", default_value_t = crate::spool::SpoolConfig::default().segment_bytes, global = true)]
    pub spool_segment_bytes: u64,
    /// Most request groups written per fdatasync (group commit).
    #[arg(long, env = "EMC_SPOOL_GROUP_COMMIT", default_value_t = crate::spool::SpoolConfig::default().group_commit, global = true)]
    pub spool_group_commit: usize,
}

impl SpoolArgs {
    pub fn config(&self) -> crate::spool::SpoolConfig {
        crate::spool::SpoolConfig {
            max_bytes: self.spool_max_bytes,
            segment_bytes: self.spool_segment_bytes.max(4096),
            group_commit: self.spool_group_commit.max(1),
        }
    }
}
