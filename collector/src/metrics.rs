//! Prometheus metrics of the collector (`GET /metrics`).
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    pub endpoint: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TableLabel {
    pub table: &'static str,
}

fn rows_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 4.0, 10))
}

fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

/// Every metric, registered once at start.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub accepted: Family<EndpointLabel, Counter>,
    pub rejected: Family<ReasonLabel, Counter>,
    pub bots_dropped: Family<ReasonLabel, Counter>,
    pub queue_depth: Gauge,
    pub open_sessions: Gauge,
    pub batch_rows: Family<TableLabel, Histogram, fn() -> Histogram>,
    pub insert_seconds: Family<TableLabel, Histogram, fn() -> Histogram>,
    pub insert_retries: Family<TableLabel, Counter>,
    pub rows_inserted: Family<TableLabel, Counter>,
    pub dead_letter_rows: Family<TableLabel, Counter>,
    pub import_lines: Family<ReasonLabel, Counter>,
    pub spool_bytes: Gauge,
    pub spool_segments: Gauge,
    pub spool_pending_groups: Gauge,
    pub spool_full: Counter,
    pub spool_cut: Family<ReasonLabel, Counter>,
    pub spool_cut_bytes: Counter,
    pub spool_commit_seconds: Histogram,
    pub spool_commit_groups: Histogram,
    pub replay_skipped: Family<TableLabel, Counter>,
    pub clickhouse_up: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("emc");
        let m = Metrics {
            accepted: Family::default(),
            rejected: Family::default(),
            bots_dropped: Family::default(),
            queue_depth: Gauge::default(),
            open_sessions: Gauge::default(),
            batch_rows: Family::new_with_constructor(rows_histogram as fn() -> Histogram),
            insert_seconds: Family::new_with_constructor(seconds_histogram as fn() -> Histogram),
            insert_retries: Family::default(),
            rows_inserted: Family::default(),
            dead_letter_rows: Family::default(),
            import_lines: Family::default(),
            spool_bytes: Gauge::default(),
            spool_segments: Gauge::default(),
            spool_pending_groups: Gauge::default(),
            spool_full: Counter::default(),
            spool_cut: Family::default(),
            spool_cut_bytes: Counter::default(),
            spool_commit_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            spool_commit_groups: rows_histogram(),
            replay_skipped: Family::default(),
            clickhouse_up: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "accepted",
            "Beacons accepted (202), by endpoint",
            m.accepted.clone(),
        );
        registry.register(
            "rejected",
            "Requests rejected, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "bots_dropped",
            "Bot requests answered 202 and dropped, by kind",
            m.bots_dropped.clone(),
        );
        registry.register(
            "queue_depth",
            "Request groups waiting for the sink",
            m.queue_depth.clone(),
        );
        registry.register(
            "open_sessions",
            "Sessions open in the cache",
            m.open_sessions.clone(),
        );
        registry.register(
            "batch_rows",
            "Rows per insert batch, by table",
            m.batch_rows.clone(),
        );
        registry.register(
            "insert_seconds",
            "Insert latency, by table",
            m.insert_seconds.clone(),
        );
        registry.register(
            "insert_retries",
            "Insert attempts retried after a transient error",
            m.insert_retries.clone(),
        );
        registry.register(
            "rows_inserted",
            "Rows acknowledged by ClickHouse, by table",
            m.rows_inserted.clone(),
        );
        registry.register(
            "dead_letter_rows",
            "Rows refused by ClickHouse as bad data, kept in a dead-letter file",
            m.dead_letter_rows.clone(),
        );
        registry.register(
            "import_lines",
            "Access-log lines by outcome",
            m.import_lines.clone(),
        );
        registry.register(
            "spool_bytes",
            "Bytes of spool segments on disk (the backlog and what awaits deletion)",
            m.spool_bytes.clone(),
        );
        registry.register(
            "spool_segments",
            "Spool segment files on disk",
            m.spool_segments.clone(),
        );
        registry.register(
            "spool_pending_groups",
            "Request groups spooled and not yet acknowledged by ClickHouse",
            m.spool_pending_groups.clone(),
        );
        registry.register(
            "spool_full",
            "Requests answered 429 because the spool reached EMC_SPOOL_MAX_BYTES",
            m.spool_full.clone(),
        );
        registry.register(
            "spool_cut",
            "Spool records cut on replay, by reason (torn tail, checksum, length, undecodable)",
            m.spool_cut.clone(),
        );
        registry.register(
            "spool_cut_bytes",
            "Bytes dropped with cut spool records",
            m.spool_cut_bytes.clone(),
        );
        registry.register(
            "spool_commit_seconds",
            "Spool group commit latency (write + fdatasync)",
            m.spool_commit_seconds.clone(),
        );
        registry.register(
            "spool_commit_groups",
            "Request groups per spool fdatasync",
            m.spool_commit_groups.clone(),
        );
        registry.register(
            "replay_skipped",
            "Spooled groups not inserted because ClickHouse already held them, by table",
            m.replay_skipped.clone(),
        );
        registry.register(
            "clickhouse_up",
            "1 when the last insert or check reached ClickHouse, 0 after a failure",
            m.clickhouse_up.clone(),
        );
        Metrics { registry, ..m }
    }

    pub fn reject(&self, reason: &'static str) {
        self.rejected.get_or_create(&ReasonLabel { reason }).inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics");
        }
        out
    }
}
