//! Wiring: the shared state, the router, and the background jobs of `serve`.
use crate::client_ip::TrustedProxies;
use crate::config::{CommonConfig, ServeConfig};
use crate::enrich::geo::GeoDb;
use crate::health::Health;
use crate::ingest::{Ingest, Refusals};
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, PipelineParts, SaltSource};
use crate::queue::Queue;
use crate::registry_cache::{RegistryCache, SnapshotError, SNAPSHOT_FILE};
use crate::routes;
use crate::salt::SaltStore;
use crate::schema::SchemaReady;
use crate::sink::{self, SinkConfig};
use crate::spool::SpoolConfig;
use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;
use emc_sql::{Db, DbTarget, MigrateOptions, Topology};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

/// What the handlers share, behind one `Arc`: axum clones the state for every extractor and
/// middleware of every request, and a clone is then one reference count, not a dozen (the
/// field-by-field clone and drop were ~6 % of the collector's CPU under `make bench`).
#[derive(Debug, Clone)]
pub struct AppState(Arc<SharedState>);

impl AppState {
    pub fn new(shared: SharedState) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The fields of [`AppState`].
#[derive(Debug)]
pub struct SharedState {
    /// The typed ingest path (pipeline, queue, refusal counts).
    pub ingest: Ingest,
    pub trusted: Arc<TrustedProxies>,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    /// Liveness and readiness (`/healthz`, `/readyz`).
    pub health: Health,
    /// `EMC_MATOMO_TOKEN`: the `token_auth` that lets a bulk request set `cdt`.
    pub matomo_token: Option<Arc<str>>,
    /// Per-client rate limit and body read deadline (`limits.rs`).
    pub limits: Arc<crate::limits::Limits>,
}

/// The collector's HTTP face. Routes first, layers after (a layer wraps only the routes
/// added before it).
pub fn router(state: AppState) -> Router {
    let beacon_cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    let beacons = Router::new()
        .route("/api/event", post(routes::event::post_event))
        .route(
            "/tracking",
            get(routes::matomo::get_tracking).post(routes::matomo::post_tracking),
        )
        .route(
            "/matomo.php",
            get(routes::matomo::get_tracking).post(routes::matomo::post_tracking),
        )
        // Inside CORS, so a 429 or 408 still carries the CORS headers the page needs to see it.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::body_deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::rate_limit,
        ))
        .layer(beacon_cors);
    Router::new()
        .merge(beacons)
        .route("/tracker.js", get(routes::tracker::tracker_js))
        .route(
            "/embed/gov-tracking.min.js",
            get(routes::tracker::tracker_js),
        )
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::metrics::metrics))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span of a request: method and path only. The query string of a Matomo GET may carry
/// personal data (a raw DVC custom variable), so it never reaches the logs.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
}

pub fn migrate_options(common: &CommonConfig) -> MigrateOptions {
    let topology = Topology::from_cluster(common.clickhouse_cluster.as_deref());
    MigrateOptions {
        timezone: common.timezone.clone(),
        topology,
    }
}

/// A database handle from the common config, migrated.
pub async fn open_db(common: &CommonConfig) -> anyhow::Result<Db> {
    let target = DbTarget::from_config(common.clickhouse_url.as_deref(), &common.data_dir);
    Db::open(&target, &common.clickhouse_db, &migrate_options(common))
        .await
        .with_context(|| format!("opening ClickHouse database {}", common.clickhouse_db))
}

pub fn open_geo(paths: &[PathBuf]) -> anyhow::Result<GeoDb> {
    if paths.is_empty() {
        tracing::warn!("EMC_GEOIP_DB is not set: country, region and city are left empty");
        return Ok(GeoDb::empty());
    }
    GeoDb::open(paths).context("reading the geo database (EMC_GEOIP_DB)")
}

/// A running collector: state, sink task and background jobs.
pub struct App {
    pub state: AppState,
    pub db: Db,
    /// `EMC_DATA_DIR`: where the open visits are saved at shutdown.
    data_dir: PathBuf,
    /// Resolves when the sink thread has flushed and stopped.
    sink: tokio::sync::oneshot::Receiver<()>,
    stop: tokio::sync::watch::Sender<bool>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

/// How long the first read of the registry may take before the snapshot is used.
const REGISTRY_START_TIMEOUT: Duration = Duration::from_secs(10);

/// Fills `registry` from ClickHouse, or else from its snapshot (`EMC_DATA_DIR/registry.json`)
/// with a warning; with neither, the collector cannot know which sites to accept.
async fn load_registry(registry: &RegistryCache, db: &Db) -> anyhow::Result<()> {
    let error = match tokio::time::timeout(REGISTRY_START_TIMEOUT, registry.refresh(db)).await {
        Ok(Ok(n)) => {
            tracing::info!(sites = n, "registry loaded");
            return Ok(());
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", REGISTRY_START_TIMEOUT.as_secs()),
    };
    let path = registry
        .snapshot_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match registry.load_snapshot() {
        Ok(n) => {
            tracing::warn!(sites = n, snapshot = path, error, "could not read the site registry from ClickHouse; starting from the snapshot");
            Ok(())
        }
        Err(SnapshotError::Missing(_)) => anyhow::bail!(
            "reading the site registry from ClickHouse failed ({error}) and there is no snapshot at {path} to start from: start the collector once while ClickHouse answers"
        ),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading the site registry from ClickHouse failed ({error}), and from the snapshot"))),
    }
}

impl App {
    /// With the default spool settings.
    pub async fn start(common: &CommonConfig, serve: &ServeConfig, db: Db) -> anyhow::Result<App> {
        App::start_with_spool(common, serve, &SpoolConfig::default(), db).await
    }

    /// With a migrated database.
    pub async fn start_with_spool(
        common: &CommonConfig,
        serve: &ServeConfig,
        spool: &SpoolConfig,
        db: Db,
    ) -> anyhow::Result<App> {
        let opened = crate::schema::Opened {
            db,
            schema: SchemaReady::ready(),
            migrator: None,
        };
        App::start_opened(common, serve, spool, opened).await
    }

    /// Opens the spool under `EMC_DATA_DIR/spool` (replaying what it holds), then starts the
    /// sink (held until `opened.schema` is ready) and the background jobs.
    pub async fn start_opened(
        common: &CommonConfig,
        serve: &ServeConfig,
        spool: &SpoolConfig,
        opened: crate::schema::Opened,
    ) -> anyhow::Result<App> {
        let crate::schema::Opened {
            db,
            schema,
            migrator,
        } = opened;
        std::fs::create_dir_all(&common.data_dir).with_context(|| {
            format!("creating the data directory {}", common.data_dir.display())
        })?;
        let metrics = Arc::new(Metrics::new());
        let registry = RegistryCache::with_snapshot(common.data_dir.join(SNAPSHOT_FILE));
        load_registry(&registry, &db).await?;
        let salt_dir = serve
            .salt_dir
            .clone()
            .unwrap_or_else(|| common.data_dir.join("salts"));
        let salts = SaltStore::open(&salt_dir)
            .with_context(|| format!("opening the salt store {}", salt_dir.display()))?;
        let pipeline = Arc::new(Pipeline::new(PipelineParts {
            registry: registry.clone(),
            geo: open_geo(&common.geoip_db)?,
            salts: SaltSource::Daily(Arc::new(salts)),
            session_timeout: common.session_timeout,
            metrics: metrics.clone(),
            dvc: crate::dvc::DvcKey::open(&common.data_dir)
                .context("opening the DVC key (EMC_DATA_DIR/dvc.key)")?,
        }));
        let refusals = Arc::new(Refusals::default());
        load_sessions(&pipeline, &common.data_dir);
        let spool_dir = common.data_dir.join("spool");
        let (queue, rx, _recovered) = Queue::spool(&spool_dir, spool.clone(), metrics.clone())
            .with_context(|| format!("opening the spool {}", spool_dir.display()))?;
        let sink_cfg = SinkConfig {
            batch_rows: common.batch_rows,
            flush_ms: common.flush_ms,
            dead_letter_dir: common.data_dir.join("dead-letter"),
            refusals: Some(refusals.clone()),
        };
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let sink = spawn_sink(
            db.clone(),
            rx,
            sink_cfg,
            metrics.clone(),
            stop_rx,
            schema.clone(),
        )?;
        let refresher = registry.spawn_refresher(
            db.clone(),
            Duration::from_secs(serve.registry_refresh_secs.max(1)),
        );
        let sweeper = spawn_sweeper(pipeline.clone());
        let limits = Arc::new(crate::limits::Limits::new(&serve.limits));
        let limit_sweeper = crate::limits::spawn_sweeper(limits.clone());
        let trusted = TrustedProxies::parse(&serve.trusted_proxies).map_err(anyhow::Error::msg)?;
        let health = Health::new(
            metrics.clone(),
            queue.spool_status(),
            schema,
            db.url().to_owned(),
        );
        let prober = crate::health::spawn_prober(health.clone(), queue.clone());
        let state = AppState::new(SharedState {
            ingest: Ingest::new(pipeline, queue, refusals),
            trusted: Arc::new(trusted),
            metrics,
            max_body_bytes: serve.max_body_bytes,
            health,
            matomo_token: serve
                .matomo_token
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(Arc::from),
            limits: limits.clone(),
        });
        let jobs = [refresher, sweeper, limit_sweeper, prober]
            .into_iter()
            .chain(migrator)
            .collect();
        Ok(App {
            state,
            db,
            data_dir: common.data_dir.clone(),
            sink,
            stop,
            jobs,
        })
    }

    /// Stops the jobs, closes the queue (later pushes answer 503) and waits until the sink
    /// has flushed everything that was accepted.
    pub async fn shutdown(self) {
        self.state.health.set_stopping();
        for j in &self.jobs {
            j.abort();
        }
        let App {
            state,
            sink,
            db,
            stop,
            data_dir,
            ..
        } = self;
        save_sessions(state.ingest.pipeline(), &data_dir);
        drop(state);
        let _ = stop.send(true);
        if sink.await.is_err() {
            tracing::error!("the sink thread failed before it had flushed");
        }
        drop(db);
    }
}

fn now() -> u32 {
    chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32
}

/// Opens the visits the last graceful stop saved (`session/persist.rs`).
fn load_sessions(pipeline: &Pipeline, data_dir: &std::path::Path) {
    match crate::session::persist::load(pipeline.sessions(), data_dir, now()) {
        Ok((0, 0)) => {}
        Ok((opened, saved)) => {
            tracing::info!(
                opened,
                saved,
                "open visits of the last graceful stop loaded"
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not load the open visits of the last stop; starting with none")
        }
    }
}

/// Saves the open visits for the next start: after the server has stopped, so no hit changes
/// them any more.
fn save_sessions(pipeline: &Pipeline, data_dir: &std::path::Path) {
    match crate::session::persist::save(pipeline.sessions(), data_dir, now()) {
        Ok(sessions) => tracing::info!(sessions, "open visits saved for the next start"),
        Err(e) => {
            tracing::error!(error = %e, "could not save the open visits: visits will split at the next start")
        }
    }
}

/// The sink on a thread of its own, with its own single-threaded runtime: building and
/// sending a batch of tens of thousands of rows then never holds up one of the request
/// workers (profiled: inserts on the shared workers showed as the tail of the latency at
/// half load); the kernel shares the cores between the two fairly.
fn spawn_sink(
    db: Db,
    rx: crate::queue::QueueReceiver,
    cfg: SinkConfig,
    metrics: Arc<Metrics>,
    stop: tokio::sync::watch::Receiver<bool>,
    schema: SchemaReady,
) -> anyhow::Result<tokio::sync::oneshot::Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the sink's runtime")?;
    let (done, finished) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("emc-sink".into())
        .spawn(move || {
            runtime.block_on(sink::run_gated(db, rx, cfg, metrics, stop, schema));
            let _ = done.send(());
        })
        .context("starting the sink thread")?;
    Ok(finished)
}

fn spawn_sweeper(pipeline: Arc<Pipeline>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first sweep after a period, not at once: the cache starts empty, and an
        // immediate sweep would race whatever is sessionized in the first moments.
        let period = Duration::from_secs(30);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tick.tick().await;
            let now = chrono::Utc::now().timestamp() as u32;
            let evicted = pipeline.sessions().sweep(now);
            pipeline
                .metrics()
                .open_sessions
                .set(pipeline.sessions().len() as i64);
            if evicted > 0 {
                tracing::debug!(
                    evicted,
                    open = pipeline.sessions().len(),
                    "swept idle sessions"
                );
            }
        }
    })
}
