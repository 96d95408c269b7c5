//! The stack of the batch jobs — `emc-collector import` and `emc-loadtest seed` — built in one
//! place: the registry read from ClickHouse, a pipeline with per-run, per-day salts held in
//! memory (the real salts of past days are gone by design), a bounded in-memory queue (a job
//! can simply be re-run, and must not share the server's spool) and the sink.
use super::{Ingest, Refusals};
use crate::dvc::DvcKey;
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, PipelineParts, SaltSource};
use crate::queue::Queue;
use crate::registry_cache::RegistryCache;
use crate::salt::EphemeralSalts;
use crate::sink::{self, SinkConfig};
use anyhow::Context;
use emc_sql::Db;
use std::path::PathBuf;
use std::sync::Arc;

/// What an offline run needs to know.
#[derive(Debug)]
pub struct OfflineConfig {
    pub geoip_db: Vec<PathBuf>,
    pub session_timeout: u32,
    pub dvc: DvcKey,
    pub sink: SinkConfig,
    /// Request groups the queue holds before `push` waits for the sink.
    pub queue_groups: usize,
}

/// A running offline stack: feed [`Offline::ingest`], then [`Offline::finish`].
pub struct Offline {
    pub ingest: Ingest,
    pub metrics: Arc<Metrics>,
    sink: tokio::task::JoinHandle<()>,
    _stop: tokio::sync::watch::Sender<bool>,
}

impl Offline {
    pub async fn start(db: &Db, cfg: OfflineConfig) -> anyhow::Result<Offline> {
        let registry = RegistryCache::default();
        registry
            .refresh(db)
            .await
            .context("reading the site registry")?;
        let metrics = Arc::new(Metrics::new());
        let pipeline = Arc::new(Pipeline::new(PipelineParts {
            registry,
            geo: crate::app::open_geo(&cfg.geoip_db)?,
            salts: SaltSource::Ephemeral(Arc::new(EphemeralSalts::new())),
            session_timeout: cfg.session_timeout,
            metrics: metrics.clone(),
            dvc: cfg.dvc,
        }));
        let (queue, rx) = Queue::new(cfg.queue_groups.max(1), metrics.clone());
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let sink = tokio::spawn(sink::run(
            db.clone(),
            rx,
            cfg.sink,
            metrics.clone(),
            stop_rx,
        ));
        Ok(Offline {
            ingest: Ingest::new(pipeline, queue, Arc::new(Refusals::default())),
            metrics,
            sink,
            _stop: stop,
        })
    }

    /// Waits until every accepted row is inserted (every clone of the ingest handed out must
    /// have been dropped first: the sink ends when the last sender is gone).
    pub async fn finish(self) -> anyhow::Result<()> {
        let Offline { ingest, sink, .. } = self;
        drop(ingest);
        sink.await.context("waiting for the sink")
    }
}
