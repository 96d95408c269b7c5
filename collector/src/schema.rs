//! Opening ClickHouse for `serve`, and the "schema ready" gate of the sink.
//!
//! An external ClickHouse (`EMC_CLICKHOUSE_URL`) that does not answer at start does not stop
//! the collector: it opens a handle without migrating, accepts beacons into the spool,
//! `/healthz` says it is degraded and why, and the migrations are retried in the background
//! with backoff. The sink inserts nothing before they have succeeded: on a fresh server
//! without the tables (or with an older schema) rows would fail as bad data and end up in
//! dead-letter files. The managed server (no `EMC_CLICKHOUSE_URL`) is started by the
//! collector itself, so a failure there is real and still stops it.
use crate::config::CommonConfig;
use emc_sql::{Db, DbTarget, MigrateOptions};
use rand::Rng;
use std::time::Duration;
use tokio::sync::watch;

/// The `/healthz` problem while the migrations have not succeeded yet.
pub const NOT_CHECKED: &str =
    "ClickHouse unreachable at start; schema not checked yet: migrations are retried in the background and beacons are spooled";

/// Longest pause between migration attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// True once the migrations are known to be applied.
#[derive(Debug, Clone)]
pub struct SchemaReady(watch::Receiver<bool>);

impl SchemaReady {
    /// Already applied (the collector migrated before starting; the importer; tests).
    pub fn ready() -> SchemaReady {
        SchemaReady(watch::channel(true).1)
    }

    pub fn is_ready(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until ready; false if whoever would make it ready is gone first.
    pub async fn wait(&mut self) -> bool {
        self.0.wait_for(|ready| *ready).await.is_ok()
    }
}

/// The handle of `serve`, the gate, and the background migrations when they are pending.
pub struct Opened {
    pub db: Db,
    pub schema: SchemaReady,
    pub migrator: Option<tokio::task::JoinHandle<()>>,
}

/// Connects and migrates as [`crate::app::open_db`] does; with an external server that does
/// not answer, returns an unmigrated handle whose schema is not ready and keeps migrating in
/// the background until it is.
pub async fn open_for_serve(common: &CommonConfig) -> anyhow::Result<Opened> {
    let target = DbTarget::from_config(common.clickhouse_url.as_deref(), &common.data_dir);
    let DbTarget::External { url } = target else {
        let db = crate::app::open_db(common).await?;
        return Ok(Opened {
            db,
            schema: SchemaReady::ready(),
            migrator: None,
        });
    };
    // A bad database name is a configuration error, not an outage.
    emc_sql::db::quote_ident(&common.clickhouse_db)?;
    let failure = if emc_sql::server::ping(&url).await {
        match crate::app::open_db(common).await {
            Ok(db) => {
                return Ok(Opened {
                    db,
                    schema: SchemaReady::ready(),
                    migrator: None,
                })
            }
            // It answered a moment ago: a refused migration is real, not an outage.
            Err(e) if emc_sql::server::ping(&url).await => return Err(e),
            Err(e) => format!("{e:#}"),
        }
    } else {
        "/ping does not answer".to_owned()
    };
    tracing::warn!(url, error = failure, "ClickHouse unreachable at start: accepting into the spool; migrations retried in the background");
    let db = Db::from_url(&url, &common.clickhouse_db)
        .with_topology(crate::app::migrate_options(common).topology);
    let (ready, schema) = watch::channel(false);
    let migrator = tokio::spawn(migrate_until_done(
        db.clone(),
        crate::app::migrate_options(common),
        ready,
    ));
    Ok(Opened {
        db,
        schema: SchemaReady(schema),
        migrator: Some(migrator),
    })
}

/// Creates the database and applies the migrations, with exponential backoff and jitter,
/// until that succeeds; then opens the gate.
async fn migrate_until_done(db: Db, opts: MigrateOptions, ready: watch::Sender<bool>) {
    let mut delay = Duration::from_millis(500);
    for attempt in 1u32.. {
        let result = match db.ensure_database().await {
            Ok(()) => db.migrate(&opts).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(report) => {
                tracing::info!(attempt, applied = ?report.applied, "ClickHouse answers and the schema is up to date: inserts resume");
                ready.send_replace(true);
                return;
            }
            Err(e) => {
                let jitter = rand::rng().random_range(0..=delay.as_millis() as u64 / 2);
                tracing::warn!(attempt, error = %e, retry_in_ms = delay.as_millis() as u64, "migrations not applied yet; retrying");
                tokio::time::sleep(delay + Duration::from_millis(jitter)).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}
