//! The seam between accepting a beacon and inserting it. `push` takes what one request
//! produced (a group, kept together), gives it a random 64-bit id that every row of the
//! group carries as `batch_id`, and returns once the group is safe:
//!
//! - `serve` uses the durable spool ([`crate::spool`]): `push` returns after the group is
//!   `fdatasync`ed, so the `202` that follows survives `kill -9` and a ClickHouse outage;
//! - the importer and `loadtest seed` use a bounded in-memory queue ([`Queue::new`]): they
//!   are batch jobs that can simply be re-run, and must not share the server's spool.
use crate::metrics::Metrics;
use crate::spool::{self, Position, PushError, SpoolConfig, SpoolReader, SpoolWriter};
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    Event(Box<EventRow>),
    Session(Box<SessionRow>),
    Connection(Box<ConnectionLogRow>),
}

/// One group as the sink receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: u64,
    pub records: Vec<Record>,
    /// It may already be in ClickHouse (written before a restart): check before inserting.
    pub replay: bool,
    /// Where it ends in the spool (none for the in-memory queue).
    pub end: Option<Position>,
}

#[derive(Debug, Clone)]
enum Tx {
    Memory(mpsc::Sender<(u64, Vec<Record>)>),
    Spool(SpoolWriter),
}

#[derive(Debug, Clone)]
pub struct Queue {
    tx: Tx,
    metrics: Arc<Metrics>,
}

#[derive(Debug)]
enum Rx {
    Memory(mpsc::Receiver<(u64, Vec<Record>)>),
    Spool(SpoolReader),
}

#[derive(Debug)]
pub struct QueueReceiver {
    rx: Rx,
    metrics: Arc<Metrics>,
}

impl Queue {
    /// An in-memory queue holding up to `capacity` request groups; a full queue makes
    /// `push` wait (back-pressure on the producers) rather than drop anything.
    pub fn new(capacity: usize, metrics: Arc<Metrics>) -> (Queue, QueueReceiver) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Queue {
                tx: Tx::Memory(tx),
                metrics: metrics.clone(),
            },
            QueueReceiver {
                rx: Rx::Memory(rx),
                metrics,
            },
        )
    }

    /// The durable spool in `dir` (see [`crate::spool`]); what it still holds is replayed.
    pub fn spool(
        dir: &Path,
        cfg: SpoolConfig,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<(Queue, QueueReceiver, spool::Recovery)> {
        let (writer, reader, recovery) = spool::open(dir, cfg, metrics.clone())?;
        let queue = Queue {
            tx: Tx::Spool(writer),
            metrics: metrics.clone(),
        };
        Ok((
            queue,
            QueueReceiver {
                rx: Rx::Spool(reader),
                metrics,
            },
            recovery,
        ))
    }

    /// What the spool knows about its room and its disk (none for the in-memory queue).
    pub fn spool_status(&self) -> Option<Arc<spool::SpoolStatus>> {
        match &self.tx {
            Tx::Spool(w) => Some(w.status().clone()),
            Tx::Memory(_) => None,
        }
    }

    /// Has an unwritable spool check its disk again (see [`SpoolWriter::probe`]).
    pub fn probe_spool(&self) {
        if let Tx::Spool(w) = &self.tx {
            w.probe();
        }
    }

    pub async fn push(&self, mut group: Vec<Record>) -> Result<(), PushError> {
        if group.is_empty() {
            return Ok(());
        }
        let id = rand::rng().random::<u64>().max(1);
        match &self.tx {
            Tx::Spool(w) => {
                stamp(&mut group, id);
                w.append(id, &group).await
            }
            Tx::Memory(tx) => {
                self.metrics.queue_depth.inc();
                tx.send((id, group)).await.map_err(|_| {
                    self.metrics.queue_depth.dec();
                    PushError::Closed
                })
            }
        }
    }
}

/// Every row of a group carries the group's id.
pub fn stamp(group: &mut [Record], id: u64) {
    for r in group {
        match r {
            Record::Event(e) => e.batch_id = id,
            Record::Session(s) => s.batch_id = id,
            Record::Connection(c) => c.batch_id = id,
        }
    }
}

impl QueueReceiver {
    /// Refuses further groups; what is already queued (or committed) is still received.
    pub fn close(&mut self) {
        match &mut self.rx {
            Rx::Memory(rx) => rx.close(),
            Rx::Spool(r) => r.close(),
        }
    }

    /// True when received groups stay safe on disk until acknowledged.
    pub fn is_durable(&self) -> bool {
        matches!(self.rx, Rx::Spool(_))
    }

    pub async fn recv(&mut self) -> Option<Delivery> {
        match &mut self.rx {
            Rx::Memory(rx) => {
                let (id, mut records) = rx.recv().await?;
                self.metrics.queue_depth.dec();
                stamp(&mut records, id);
                Some(Delivery {
                    id,
                    records,
                    replay: false,
                    end: None,
                })
            }
            Rx::Spool(r) => {
                let s = r.next().await?;
                Some(Delivery {
                    id: s.id,
                    records: s.records,
                    replay: s.replay,
                    end: Some(s.end),
                })
            }
        }
    }

    /// ClickHouse holds every group received before `end` (`groups` of them since the last
    /// acknowledgement); the spool may free their space.
    pub fn ack(&mut self, end: Option<Position>, groups: u64) {
        if let (Rx::Spool(r), Some(end)) = (&mut self.rx, end) {
            r.ack(end, groups);
        }
    }
}
