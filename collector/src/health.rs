//! Liveness and readiness, from state the collector already keeps (no I/O when asked):
//!
//! - **live** (`/healthz`): the process answers. A dependency's trouble — ClickHouse away, the
//!   schema not checked yet, a full or unwritable spool — makes it `degraded`, with reasons,
//!   never dead: beacons still go to the spool while ClickHouse is away.
//! - **ready** (`/readyz`): the collector can take a beacon now. Not ready only when the
//!   spool cannot take a group (full, or its last write failed) or it is shutting down.
//!
//! ClickHouse's reachability is `emc_clickhouse_up`, set by every insert of the sink and by
//! the [`spawn_prober`] job, which pings ClickHouse every [`PROBE_EVERY`] and asks an
//! unwritable spool to check itself again.
use crate::metrics::Metrics;
use crate::queue::Queue;
use crate::schema::SchemaReady;
use crate::spool::SpoolStatus;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often ClickHouse is pinged (and a failed spool probed) in the background.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// What the health endpoints read.
#[derive(Debug, Clone)]
pub struct Health {
    metrics: Arc<Metrics>,
    spool: Option<Arc<SpoolStatus>>,
    schema: SchemaReady,
    stopping: Arc<AtomicBool>,
    clickhouse_url: String,
}

/// Why the collector is degraded or not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    ClickhouseUnreachable,
    SchemaNotChecked,
    SpoolFull,
    SpoolUnwritable,
    ShuttingDown,
}

impl Problem {
    /// True when the collector cannot take a beacon because of it.
    pub fn blocks_ingest(self) -> bool {
        matches!(
            self,
            Problem::SpoolFull | Problem::SpoolUnwritable | Problem::ShuttingDown
        )
    }
}

/// One reading of the state.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub problems: Vec<Problem>,
    /// One sentence per problem, in the same order.
    pub details: Vec<String>,
    pub clickhouse: bool,
    pub schema_checked: bool,
    pub spool_bytes: u64,
    pub spool_segments: i64,
    pub pending_groups: i64,
}

impl Report {
    pub fn ready(&self) -> bool {
        !self.problems.iter().any(|p| p.blocks_ingest())
    }
}

impl Health {
    pub fn new(
        metrics: Arc<Metrics>,
        spool: Option<Arc<SpoolStatus>>,
        schema: SchemaReady,
        clickhouse_url: String,
    ) -> Health {
        Health {
            metrics,
            spool,
            schema,
            stopping: Arc::new(AtomicBool::new(false)),
            clickhouse_url,
        }
    }

    /// From now on the collector is not ready (`/readyz` 503): it is shutting down.
    pub fn set_stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    pub fn report(&self) -> Report {
        let m = &self.metrics;
        let clickhouse = m.clickhouse_up.get() > 0;
        let schema_checked = self.schema.is_ready();
        let pending = m.spool_pending_groups.get().max(0);
        let spool_bytes = m.spool_bytes.get().max(0) as u64;
        let mut out = Report {
            problems: Vec::new(),
            details: Vec::new(),
            clickhouse,
            schema_checked,
            spool_bytes,
            spool_segments: m.spool_segments.get(),
            pending_groups: pending,
        };
        let mut add = |p: Problem, detail: String| {
            out.problems.push(p);
            out.details.push(detail);
        };
        if !schema_checked {
            add(
                Problem::SchemaNotChecked,
                crate::schema::NOT_CHECKED.to_owned(),
            );
        }
        if !clickhouse {
            add(
                Problem::ClickhouseUnreachable,
                format!(
                    "clickhouse unreachable at {}; beacons are spooled ({pending} groups waiting)",
                    self.clickhouse_url
                ),
            );
        }
        if let Some(spool) = &self.spool {
            if spool.is_full() {
                add(
                    Problem::SpoolFull,
                    format!("spool full ({spool_bytes} bytes): beacons are answered 429"),
                );
            }
            if let Some(e) = spool.io_error() {
                add(Problem::SpoolUnwritable, format!("spool not writable: {e}"));
            }
        }
        if self.stopping.load(Ordering::Relaxed) {
            add(
                Problem::ShuttingDown,
                "shutting down: finishing open requests and flushing".to_owned(),
            );
        }
        out
    }
}

/// Pings ClickHouse every [`PROBE_EVERY`] into `emc_clickhouse_up`, and has an unwritable
/// spool try again.
pub fn spawn_prober(health: Health, queue: Queue) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PROBE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let up = emc_sql::server::ping(&health.clickhouse_url).await;
            health.metrics.clickhouse_up.set(i64::from(up));
            queue.probe_spool();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_stops_ingest_makes_the_collector_unready() {
        let metrics = Arc::new(Metrics::new());
        let health = Health::new(
            metrics.clone(),
            Some(Arc::new(SpoolStatus::default())),
            SchemaReady::ready(),
            "http://127.0.0.1:1".into(),
        );
        let r = health.report();
        assert_eq!(r.problems, vec![Problem::ClickhouseUnreachable]);
        assert!(r.ready(), "ClickHouse away: still taking beacons");
        metrics.clickhouse_up.set(1);
        assert!(health.report().problems.is_empty());
        health.set_stopping();
        let r = health.report();
        assert_eq!(r.problems, vec![Problem::ShuttingDown]);
        assert!(!r.ready());
    }
}
