//! Batching and inserting: request groups are gathered into one batch, flushed to the three
//! tables together at `batch_rows` rows or when the oldest group is `flush_ms` old; only
//! when all three inserts are done is the batch acknowledged (the spool may then delete it).
//! Transient errors (network, timeouts, overload) are retried with exponential backoff and
//! jitter, for as long as it takes when the queue is the durable spool; data errors are
//! never retried: the rows go to a dead-letter file under `EMC_DATA_DIR/dead-letter` and
//! are counted.
//!
//! Inserts are idempotent per group: every row carries its group's `batch_id`. Before
//! inserting groups that may already be in a table — replayed from the spool after a
//! restart, or retried after an insert whose answer was lost — the sink asks ClickHouse
//! which of their ids the table holds (within the rows' time range, in chunks) and leaves
//! those rows out.
use crate::ingest::Refusals;
use crate::metrics::{Metrics, TableLabel};
use crate::queue::{Delivery, QueueReceiver, Record};
use crate::schema::SchemaReady;
use crate::spool::Position;
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use emc_sql::Db;
use rand::Rng;
use serde::Serialize;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub batch_rows: usize,
    pub flush_ms: u64,
    pub dead_letter_dir: PathBuf,
    /// The refused requests counted in memory (`serve`), drained into each batch's
    /// connection-log rows.
    pub refusals: Option<Arc<Refusals>>,
}

/// ClickHouse error codes that mean "this data will never insert": retrying cannot help.
const DATA_ERROR_CODES: &[u32] = &[6, 16, 26, 27, 33, 41, 53, 62, 69, 70, 72, 117, 130];

#[derive(Debug, PartialEq, Eq)]
pub enum ErrorClass {
    Transient,
    Data,
}

pub fn classify(err: &clickhouse::error::Error) -> ErrorClass {
    match err {
        clickhouse::error::Error::BadResponse(text) => match exception_code(text) {
            Some(code) if DATA_ERROR_CODES.contains(&code) => ErrorClass::Data,
            _ => ErrorClass::Transient,
        },
        _ => ErrorClass::Transient,
    }
}

/// `Code: 53, e.displayText() = …` → 53.
pub fn exception_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Longest pause between insert attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Ids per "which of these groups landed" query.
const LANDED_CHUNK: usize = 1000;

/// A row type and the table it goes to.
trait TableRow: clickhouse::RowOwned + clickhouse::RowWrite + Serialize + Send + Sync {
    const TABLE: &'static str;
    /// The partitioning time column, to narrow the "already landed" lookup.
    const TIME: &'static str;
    fn time(&self) -> u32;
}

impl TableRow for EventRow {
    const TABLE: &'static str = "events";
    const TIME: &'static str = "timestamp";
    fn time(&self) -> u32 {
        self.timestamp
    }
}

impl TableRow for SessionRow {
    const TABLE: &'static str = "sessions";
    const TIME: &'static str = "start";
    fn time(&self) -> u32 {
        self.start
    }
}

impl TableRow for ConnectionLogRow {
    const TABLE: &'static str = "connection_log";
    const TIME: &'static str = "received_at";
    fn time(&self) -> u32 {
        self.received_at
    }
}

/// Why the "already landed" check gave no answer.
enum Landed {
    /// A replica is down with a part no live replica has fetched (`emc_sql::replicas`).
    Unfetched(String),
    Failed(clickhouse::error::Error),
}

/// A row with the group it belongs to.
struct Tagged<T> {
    id: u64,
    replay: bool,
    row: T,
}

/// The groups gathered since the last flush, split by table.
#[derive(Default)]
struct Pending {
    events: Vec<Tagged<EventRow>>,
    sessions: Vec<Tagged<SessionRow>>,
    connections: Vec<Tagged<ConnectionLogRow>>,
    groups: u64,
    end: Option<Position>,
    since: Option<Instant>,
}

impl Pending {
    fn push(&mut self, d: Delivery) {
        self.since.get_or_insert_with(Instant::now);
        self.groups += 1;
        self.end = d.end.or(self.end);
        let (id, replay) = (d.id, d.replay);
        for record in d.records {
            match record {
                Record::Event(r) => self.events.push(Tagged {
                    id,
                    replay,
                    row: *r,
                }),
                Record::Session(r) => self.sessions.push(Tagged {
                    id,
                    replay,
                    row: *r,
                }),
                Record::Connection(r) => self.connections.push(Tagged {
                    id,
                    replay,
                    row: *r,
                }),
            }
        }
    }

    /// Counted refusals, as rows of their own group (not spooled: nothing to acknowledge).
    fn push_refusals(&mut self, rows: Vec<ConnectionLogRow>) {
        if rows.is_empty() {
            return;
        }
        self.since.get_or_insert_with(Instant::now);
        let id = rand::rng().random::<u64>().max(1);
        self.connections.extend(rows.into_iter().map(|mut row| {
            row.batch_id = id;
            Tagged {
                id,
                replay: false,
                row,
            }
        }));
    }

    fn rows(&self) -> usize {
        self.events.len() + self.sessions.len() + self.connections.len()
    }

    fn due(&self, cfg: &SinkConfig) -> bool {
        self.rows() >= cfg.batch_rows.max(1)
            || self
                .since
                .is_some_and(|s| s.elapsed() >= Duration::from_millis(cfg.flush_ms))
    }
}

struct Sink {
    db: Db,
    cfg: SinkConfig,
    metrics: Arc<Metrics>,
    /// The queue is the spool: a batch not inserted stays on disk, so never give up on it.
    durable: bool,
    /// Nothing is inserted before the migrations have succeeded (`schema.rs`).
    schema: SchemaReady,
}

/// True once the collector is stopping (or whoever could stop it is gone).
fn stopping(stop: &tokio::sync::watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

impl Sink {
    /// Inserts a batch into all three tables; acknowledges it when all are done. False when
    /// it gave up (only while stopping, with the batch kept in the spool).
    async fn flush(
        &self,
        batch: Pending,
        rx: &mut QueueReceiver,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> bool {
        if batch.rows() == 0 {
            return true;
        }
        if !self.schema.is_ready() && !self.wait_for_schema(stop).await {
            return false;
        }
        let done = self.insert_table(batch.events, stop).await
            && self.insert_table(batch.sessions, stop).await
            && self.insert_table(batch.connections, stop).await;
        if done {
            rx.ack(batch.end, batch.groups);
        }
        done
    }

    /// Holds the batch until the schema is ready; false when stopping first (with the spool,
    /// the batch stays on disk for the next start).
    async fn wait_for_schema(&self, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
        tracing::info!("inserts held until the schema is checked");
        let mut schema = self.schema.clone();
        loop {
            if stopping(stop) {
                tracing::warn!(
                    "stopping before the schema was checked; the batch stays in the spool"
                );
                return false;
            }
            tokio::select! {
                ready = schema.wait() => return ready,
                _ = stop.changed() => {}
            }
        }
    }

    async fn insert_table<T: TableRow>(
        &self,
        mut rows: Vec<Tagged<T>>,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> bool {
        let table = T::TABLE;
        let label = TableLabel { table };
        let mut check: Vec<u64> = unique(rows.iter().filter(|r| r.replay).map(|r| r.id));
        let mut delay = Duration::from_millis(100);
        // Whether `rows` were sent before, exactly as they are now (only a check that
        // answered changes them, and an attempt follows it at once).
        let mut attempted = false;
        for attempt in 1u32.. {
            if rows.is_empty() {
                return true;
            }
            let result = match self.drop_landed(&mut rows, &check).await {
                Ok(()) => {
                    check.clear();
                    if rows.is_empty() {
                        return true;
                    }
                    attempted = true;
                    self.insert_once(&rows).await
                }
                // A replica is down with a part nobody fetched: the last attempt may be in
                // it. Sent again unchanged, its blocks are the same, and the replicated
                // tables drop a block they already hold (insert deduplication), so it cannot
                // count twice. Groups replayed from the spool and never checked wait instead.
                Err(Landed::Unfetched(why)) if attempted => {
                    tracing::warn!(table, why, "resending the last attempt unchanged");
                    self.insert_once(&rows).await
                }
                Err(Landed::Unfetched(why)) => Err(clickhouse::error::Error::Custom(why)),
                Err(Landed::Failed(e)) => Err(e),
            };
            match result {
                Ok(elapsed) => {
                    self.metrics.clickhouse_up.set(1);
                    self.metrics
                        .insert_seconds
                        .get_or_create(&label)
                        .observe(elapsed.as_secs_f64());
                    self.metrics
                        .batch_rows
                        .get_or_create(&label)
                        .observe(rows.len() as f64);
                    self.metrics
                        .rows_inserted
                        .get_or_create(&label)
                        .inc_by(rows.len() as u64);
                    tracing::debug!(
                        table,
                        rows = rows.len(),
                        elapsed_ms = elapsed.as_millis() as u64,
                        "flushed batch"
                    );
                    return true;
                }
                Err(e) if classify(&e) == ErrorClass::Data => {
                    tracing::error!(table, rows = rows.len(), error = %e, "ClickHouse refused the batch as bad data");
                    self.dead_letter(table, &rows);
                    return true;
                }
                Err(e) if stopping(stop) && (self.durable || attempt >= 5) => {
                    if self.durable {
                        tracing::warn!(table, rows = rows.len(), error = %e, "stopping with ClickHouse unreachable; the batch stays in the spool");
                        return false;
                    }
                    tracing::error!(table, rows = rows.len(), error = %e, "giving up at shutdown; batch kept as dead letter");
                    self.dead_letter(table, &rows);
                    return true;
                }
                Err(e) => {
                    self.metrics.clickhouse_up.set(0);
                    self.metrics.insert_retries.get_or_create(&label).inc();
                    // The insert may have landed and only its answer been lost: check first.
                    check = unique(rows.iter().map(|r| r.id));
                    let jitter = rand::rng().random_range(0..=delay.as_millis() as u64 / 2);
                    tracing::warn!(table, attempt, error = %e, retry_in_ms = delay.as_millis() as u64, "insert failed; retrying");
                    pause(delay + Duration::from_millis(jitter), stop).await;
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
            }
        }
        unreachable!("the retry loop only returns")
    }

    /// Removes the rows of the groups among `ids` that the table already holds.
    async fn drop_landed<T: TableRow>(
        &self,
        rows: &mut Vec<Tagged<T>>,
        ids: &[u64],
    ) -> Result<(), Landed> {
        if ids.is_empty() {
            return Ok(());
        }
        let (lo, hi) = rows.iter().fold((u32::MAX, 0), |(lo, hi), r| {
            (lo.min(r.row.time()), hi.max(r.row.time()))
        });
        // A group is one hit: its rows share a visitor, so on a cluster they are on one shard
        // and land together. Every replica is asked: one may not have fetched its twin's part.
        let from = self.db.every_replica(T::TABLE).await.map_err(|e| match e {
            emc_sql::SqlError::PartsUnfetched(why) => Landed::Unfetched(why),
            other => Landed::Failed(clickhouse::error::Error::Custom(other.to_string())),
        })?;
        let sql = format!(
            "SELECT DISTINCT batch_id FROM {from} WHERE {time} >= toDateTime(?) AND {time} <= toDateTime(?) AND has(?, batch_id)",
            time = T::TIME
        );
        let mut landed = HashSet::new();
        for chunk in ids.chunks(LANDED_CHUNK) {
            let found: Vec<u64> = self
                .db
                .client()
                .query(&sql)
                .bind(lo)
                .bind(hi)
                .bind(chunk)
                .fetch_all()
                .await
                .map_err(Landed::Failed)?;
            landed.extend(found);
        }
        if !landed.is_empty() {
            let before = rows.len();
            rows.retain(|r| !landed.contains(&r.id));
            let label = TableLabel { table: T::TABLE };
            self.metrics
                .replay_skipped
                .get_or_create(&label)
                .inc_by(landed.len() as u64);
            tracing::info!(
                table = T::TABLE,
                groups = landed.len(),
                rows = before - rows.len(),
                "groups already in ClickHouse skipped"
            );
        }
        Ok(())
    }

    async fn insert_once<T: TableRow>(
        &self,
        rows: &[Tagged<T>],
    ) -> Result<Duration, clickhouse::error::Error> {
        let started = Instant::now();
        let mut insert = self.db.client().insert::<T>(T::TABLE).await?;
        for r in rows {
            insert.write(&r.row).await?;
        }
        insert.end().await?;
        Ok(started.elapsed())
    }

    fn dead_letter<T: Serialize>(&self, table: &'static str, rows: &[Tagged<T>]) {
        self.metrics
            .dead_letter_rows
            .get_or_create(&TableLabel { table })
            .inc_by(rows.len() as u64);
        let dir = &self.cfg.dead_letter_dir;
        let path = dir.join(format!(
            "{table}-{}-{}.jsonl",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
            rand::rng().random::<u32>()
        ));
        let mut text = String::new();
        for r in rows {
            if let Ok(line) = serde_json::to_string(&r.row) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
            tracing::error!(path = %path.display(), error = %e, "could not write the dead-letter file");
        }
    }
}

fn unique(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Sleeps `d`, or less when a stop is requested meanwhile.
async fn pause(d: Duration, stop: &mut tokio::sync::watch::Receiver<bool>) {
    if stopping(stop) {
        tokio::time::sleep(d.min(Duration::from_millis(200))).await;
        return;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.changed() => {}
    }
}

/// Drains `rx` into ClickHouse until every sender is gone or `stop` turns true; then it
/// closes the queue, drains what was already queued, flushes everything and returns. With
/// the spool, a batch that cannot be inserted while stopping stays on disk for the next start.
pub async fn run(
    db: Db,
    rx: QueueReceiver,
    cfg: SinkConfig,
    metrics: Arc<Metrics>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    run_gated(db, rx, cfg, metrics, stop, SchemaReady::ready()).await;
}

/// [`run`], inserting nothing before `schema` is ready.
pub async fn run_gated(
    db: Db,
    mut rx: QueueReceiver,
    cfg: SinkConfig,
    metrics: Arc<Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    schema: SchemaReady,
) {
    let sink = Sink {
        db,
        cfg,
        metrics,
        durable: rx.is_durable(),
        schema,
    };
    let mut batch = Pending::default();
    let mut tick = tokio::time::interval(Duration::from_millis((sink.cfg.flush_ms / 4).max(10)));
    let mut closing = false;
    loop {
        let ended = tokio::select! {
            group = rx.recv() => match group {
                Some(group) => {
                    batch.push(group);
                    false
                }
                None => true,
            },
            _ = tick.tick() => {
                if let Some(r) = &sink.cfg.refusals {
                    batch.push_refusals(r.drain());
                }
                false
            }
            _ = stop.changed(), if !closing => {
                if stopping(&stop) {
                    closing = true;
                    rx.close();
                }
                false
            }
        };
        if ended {
            break;
        }
        if batch.due(&sink.cfg)
            && !sink
                .flush(std::mem::take(&mut batch), &mut rx, &mut stop)
                .await
        {
            tracing::info!("sink stopped; the rest stays in the spool");
            return;
        }
    }
    if let Some(r) = &sink.cfg.refusals {
        batch.push_refusals(r.drain());
    }
    if !sink.flush(batch, &mut rx, &mut stop).await {
        tracing::info!("sink stopped; the rest stays in the spool");
        return;
    }
    tracing::info!("sink drained");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_and_classified() {
        let data =
            "Code: 53, e.displayText() = DB::Exception: Type mismatch, e.what() = DB::Exception";
        let busy = "Code: 252, e.displayText() = DB::Exception: Too many parts";
        assert_eq!(exception_code(data), Some(53));
        assert_eq!(
            classify(&clickhouse::error::Error::BadResponse(data.into())),
            ErrorClass::Data
        );
        assert_eq!(
            classify(&clickhouse::error::Error::BadResponse(busy.into())),
            ErrorClass::Transient
        );
        assert_eq!(
            classify(&clickhouse::error::Error::TimedOut),
            ErrorClass::Transient
        );
        assert_eq!(exception_code("no code here"), None);
    }
}
