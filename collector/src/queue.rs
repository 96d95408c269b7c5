//! The seam between accepting a beacon and inserting it: a bounded in-memory queue of
//! request groups that the sink drains. A durable spool will replace it here, behind the
//! same `push` (the group is what one request produced, kept together).
use crate::metrics::Metrics;
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Event(Box<EventRow>),
    Session(Box<SessionRow>),
    Connection(Box<ConnectionLogRow>),
}

#[derive(Debug, thiserror::Error)]
#[error("the sink has stopped; the collector is shutting down")]
pub struct QueueClosed;

#[derive(Debug, Clone)]
pub struct Queue {
    tx: mpsc::Sender<Vec<Record>>,
    metrics: Arc<Metrics>,
}

#[derive(Debug)]
pub struct QueueReceiver {
    rx: mpsc::Receiver<Vec<Record>>,
    metrics: Arc<Metrics>,
}

impl Queue {
    /// A queue holding up to `capacity` request groups; a full queue makes `push` wait
    /// (back-pressure on the handlers) rather than drop anything.
    pub fn new(capacity: usize, metrics: Arc<Metrics>) -> (Queue, QueueReceiver) {
        let (tx, rx) = mpsc::channel(capacity);
        (Queue { tx, metrics: metrics.clone() }, QueueReceiver { rx, metrics })
    }

    pub async fn push(&self, group: Vec<Record>) -> Result<(), QueueClosed> {
        if group.is_empty() {
            return Ok(());
        }
        self.metrics.queue_depth.inc();
        self.tx.send(group).await.map_err(|_| {
            self.metrics.queue_depth.dec();
            QueueClosed
        })
    }
}

impl QueueReceiver {
    /// Refuses further pushes; groups already queued are still received.
    pub fn close(&mut self) {
        self.rx.close();
    }

    pub async fn recv(&mut self) -> Option<Vec<Record>> {
        let g = self.rx.recv().await;
        if g.is_some() {
            self.metrics.queue_depth.dec();
        }
        g
    }
}
