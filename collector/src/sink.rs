//! Batching and inserting: one batch per table, flushed at `batch_rows` rows or when its
//! oldest row is `flush_ms` old. Transient errors (network, timeouts, overload) are retried
//! with exponential backoff and jitter; data errors are never retried: the batch goes to a
//! dead-letter file under `EMC_DATA_DIR/dead-letter` and is counted.
use crate::metrics::{Metrics, TableLabel};
use crate::queue::{QueueReceiver, Record};
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use emc_sql::Db;
use rand::Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub batch_rows: usize,
    pub flush_ms: u64,
    pub dead_letter_dir: PathBuf,
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
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

struct Batch<T> {
    table: &'static str,
    rows: Vec<T>,
    since: Option<Instant>,
}

impl<T: clickhouse::RowOwned + clickhouse::RowWrite + Serialize> Batch<T> {
    fn new(table: &'static str) -> Self {
        Batch { table, rows: Vec::new(), since: None }
    }

    fn push(&mut self, row: T) {
        self.since.get_or_insert_with(Instant::now);
        self.rows.push(row);
    }

    fn due(&self, cfg: &SinkConfig) -> bool {
        self.rows.len() >= cfg.batch_rows
            || self.since.is_some_and(|s| s.elapsed() >= Duration::from_millis(cfg.flush_ms))
    }

    async fn flush(&mut self, sink: &Sink, shutting_down: bool) {
        if self.rows.is_empty() {
            return;
        }
        let rows = std::mem::take(&mut self.rows);
        self.since = None;
        sink.insert_with_retry(self.table, &rows, shutting_down).await;
    }
}

struct Sink {
    db: Db,
    cfg: SinkConfig,
    metrics: Arc<Metrics>,
}

impl Sink {
    async fn insert_once<T>(&self, table: &str, rows: &[T]) -> Result<(), clickhouse::error::Error>
    where
        T: clickhouse::RowOwned + clickhouse::RowWrite + Serialize,
    {
        let mut insert = self.db.client().insert::<T>(table).await?;
        for row in rows {
            insert.write(row).await?;
        }
        insert.end().await
    }

    async fn insert_with_retry<T>(&self, table: &'static str, rows: &[T], shutting_down: bool)
    where
        T: clickhouse::RowOwned + clickhouse::RowWrite + Serialize,
    {
        let label = TableLabel { table };
        let mut delay = Duration::from_millis(100);
        for attempt in 1u32.. {
            let started = Instant::now();
            match self.insert_once(table, rows).await {
                Ok(()) => {
                    let secs = started.elapsed().as_secs_f64();
                    self.metrics.insert_seconds.get_or_create(&label).observe(secs);
                    self.metrics.batch_rows.get_or_create(&label).observe(rows.len() as f64);
                    self.metrics.rows_inserted.get_or_create(&label).inc_by(rows.len() as u64);
                    tracing::debug!(table, rows = rows.len(), elapsed_ms = started.elapsed().as_millis() as u64, "flushed batch");
                    return;
                }
                Err(e) if classify(&e) == ErrorClass::Data => {
                    tracing::error!(table, rows = rows.len(), error = %e, "ClickHouse refused the batch as bad data");
                    self.dead_letter(table, rows);
                    return;
                }
                Err(e) if shutting_down && attempt >= 5 => {
                    tracing::error!(table, rows = rows.len(), error = %e, "giving up at shutdown; batch kept as dead letter");
                    self.dead_letter(table, rows);
                    return;
                }
                Err(e) => {
                    self.metrics.insert_retries.get_or_create(&label).inc();
                    let jitter = rand::rng().random_range(0..=delay.as_millis() as u64 / 2);
                    tracing::warn!(table, attempt, error = %e, retry_in_ms = delay.as_millis() as u64, "insert failed; retrying");
                    tokio::time::sleep(delay + Duration::from_millis(jitter)).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    fn dead_letter<T: Serialize>(&self, table: &'static str, rows: &[T]) {
        self.metrics.dead_letter_rows.get_or_create(&TableLabel { table }).inc_by(rows.len() as u64);
        let dir = &self.cfg.dead_letter_dir;
        let path = dir.join(format!("{table}-{}-{}.jsonl", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"), rand::rng().random::<u32>()));
        let mut text = String::new();
        for r in rows {
            if let Ok(line) = serde_json::to_string(r) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, text)) {
            tracing::error!(path = %path.display(), error = %e, "could not write the dead-letter file");
        }
    }
}

/// Drains `rx` into ClickHouse until every sender is gone or `stop` turns true; then it
/// closes the queue, drains what was already queued, flushes everything and returns.
pub async fn run(db: Db, mut rx: QueueReceiver, cfg: SinkConfig, metrics: Arc<Metrics>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let sink = Sink { db, cfg, metrics };
    let mut events: Batch<EventRow> = Batch::new("events");
    let mut sessions: Batch<SessionRow> = Batch::new("sessions");
    let mut connections: Batch<ConnectionLogRow> = Batch::new("connection_log");
    let mut tick = tokio::time::interval(Duration::from_millis((sink.cfg.flush_ms / 4).max(10)));
    loop {
        let closed = tokio::select! {
            group = rx.recv() => match group {
                Some(group) => {
                    for record in group {
                        match record {
                            Record::Event(r) => events.push(*r),
                            Record::Session(r) => sessions.push(*r),
                            Record::Connection(r) => connections.push(*r),
                        }
                    }
                    false
                }
                None => true,
            },
            _ = tick.tick() => false,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    rx.close();
                }
                false
            }
        };
        if closed {
            break;
        }
        if events.due(&sink.cfg) {
            stamp_batch(&mut events.rows);
            events.flush(&sink, false).await;
        }
        if sessions.due(&sink.cfg) {
            sessions.flush(&sink, false).await;
        }
        if connections.due(&sink.cfg) {
            connections.flush(&sink, false).await;
        }
    }
    stamp_batch(&mut events.rows);
    events.flush(&sink, true).await;
    sessions.flush(&sink, true).await;
    connections.flush(&sink, true).await;
    tracing::info!("sink drained");
}

/// Every event row of a batch carries the batch's id (idempotent replays look it up).
fn stamp_batch(rows: &mut [EventRow]) {
    let id: u64 = rand::rng().random();
    for r in rows {
        r.batch_id = id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_and_classified() {
        let data = "Code: 53, e.displayText() = DB::Exception: Type mismatch, e.what() = DB::Exception";
        let busy = "Code: 252, e.displayText() = DB::Exception: Too many parts";
        assert_eq!(exception_code(data), Some(53));
        assert_eq!(classify(&clickhouse::error::Error::BadResponse(data.into())), ErrorClass::Data);
        assert_eq!(classify(&clickhouse::error::Error::BadResponse(busy.into())), ErrorClass::Transient);
        assert_eq!(classify(&clickhouse::error::Error::TimedOut), ErrorClass::Transient);
        assert_eq!(exception_code("no code here"), None);
    }
}
