//! The committer: one thread owns the active segment. It takes every record waiting (up to
//! `group_commit`), appends them with one write, `fdatasync`s once, publishes the new
//! committed position and then answers each pusher. There is no timer: while one sync runs,
//! the next group gathers, so the batch grows with the load and a lone beacon waits for one
//! sync only.
use super::{record, segment_path, sync_dir, Position, PushError, SpoolConfig, SpoolStatus};
use crate::metrics::Metrics;
use crate::queue::Record;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, watch};

struct Append {
    frame: Vec<u8>,
    reply: oneshot::Sender<Result<(), PushError>>,
}

/// What the committer is asked to do.
#[derive(Debug)]
enum Job {
    Append(Append),
    /// After a failed write: try to start a fresh segment, and clear the error if that works.
    Probe,
}

/// The handlers' side: cheap to clone. The committer stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct SpoolWriter {
    tx: mpsc::Sender<Job>,
    status: Arc<SpoolStatus>,
}

impl std::fmt::Debug for Append {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Append")
            .field("bytes", &self.frame.len())
            .finish()
    }
}

impl SpoolWriter {
    /// Returns once the group is on disk (`fdatasync`ed), or why it is not.
    pub async fn append(&self, id: u64, records: &[Record]) -> Result<(), PushError> {
        let frame = record::encode(id, records)
            .map_err(|e| PushError::Io(format!("encoding a group: {e}")))?;
        // No refusal here when full: the committer must see it, to seal the active segment
        // so that it can be freed once inserted.
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job::Append(Append { frame, reply }))
            .await
            .map_err(|_| PushError::Closed)?;
        answer.await.unwrap_or(Err(PushError::Closed))
    }

    /// Whether the spool can take a group, as the committer last saw it.
    pub fn status(&self) -> &Arc<SpoolStatus> {
        &self.status
    }

    /// Asks the committer to check, off the caller's thread, whether the disk is writable
    /// again after a failed write. Does nothing when no write failed, or when the committer
    /// is busy (it then learns the answer from the next commit).
    pub fn probe(&self) {
        if self.status.io_error().is_some() {
            let _ = self.tx.try_send(Job::Probe);
        }
    }
}

struct Committer {
    dir: PathBuf,
    seq: u64,
    file: File,
    len: u64,
    cfg: SpoolConfig,
    metrics: Arc<Metrics>,
    committed: watch::Sender<Position>,
    status: Arc<SpoolStatus>,
}

/// Creates segment `seq` and starts the committer thread on it.
pub(super) fn start(
    dir: &Path,
    seq: u64,
    cfg: SpoolConfig,
    metrics: Arc<Metrics>,
    status: Arc<SpoolStatus>,
    lock: File,
) -> io::Result<(SpoolWriter, watch::Receiver<Position>)> {
    let file = create_segment(dir, seq)?;
    metrics.spool_bytes.inc_by(record::HEADER_LEN as i64);
    metrics.spool_segments.inc();
    let (committed, committed_rx) = watch::channel(Position {
        seq,
        offset: record::HEADER_LEN,
    });
    let (tx, rx) = mpsc::channel(4096);
    let writer = SpoolWriter {
        tx,
        status: status.clone(),
    };
    let mut c = Committer {
        dir: dir.to_owned(),
        seq,
        file,
        len: record::HEADER_LEN,
        cfg,
        metrics,
        committed,
        status,
    };
    std::thread::Builder::new()
        .name("spool-committer".into())
        .spawn(move || {
            let _lock = lock;
            c.run(rx);
        })?;
    Ok((writer, committed_rx))
}

fn create_segment(dir: &Path, seq: u64) -> io::Result<File> {
    let path = segment_path(dir, seq);
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)?;
    let written = file
        .write_all(&record::segment_header())
        .and_then(|()| file.sync_all())
        .and_then(|()| sync_dir(dir));
    if let Err(e) = written {
        // Not left behind half made: the next attempt creates it again.
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(file)
}

impl Committer {
    fn run(&mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = Vec::new();
            let mut probe = false;
            let mut next = Some(first);
            while let Some(job) = next.take() {
                match job {
                    Job::Append(a) => batch.push(a),
                    Job::Probe => probe = true,
                }
                if batch.len() < self.cfg.group_commit.max(1) {
                    next = rx.try_recv().ok();
                }
            }
            if !batch.is_empty() {
                self.commit(batch);
            } else if probe && self.status.io_error().is_some() && self.roll().is_ok() {
                tracing::info!(segment = self.seq, "the spool is writable again");
                self.status.set_io_error(None);
            }
        }
        tracing::debug!("spool committer stopped");
    }

    fn commit(&mut self, batch: Vec<Append>) {
        let mut buf = Vec::new();
        let mut replies = Vec::with_capacity(batch.len());
        let mut full = false;
        let used = self.metrics.spool_bytes.get().max(0) as u64;
        for a in batch {
            if used + (buf.len() + a.frame.len()) as u64 > self.cfg.max_bytes {
                self.metrics.spool_full.inc();
                // Before the answer: whoever is refused sees the spool full, as /readyz does.
                self.status.set_full(true);
                let _ = a.reply.send(Err(PushError::Full {
                    max_bytes: self.cfg.max_bytes,
                }));
                full = true;
                continue;
            }
            buf.extend_from_slice(&a.frame);
            replies.push(a.reply);
        }
        if !buf.is_empty() {
            let started = Instant::now();
            match self
                .file
                .write_all(&buf)
                .and_then(|()| self.file.sync_data())
            {
                Ok(()) => {
                    self.metrics
                        .spool_commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                    self.metrics
                        .spool_commit_groups
                        .observe(replies.len() as f64);
                    self.len += buf.len() as u64;
                    self.metrics.spool_bytes.inc_by(buf.len() as i64);
                    self.metrics
                        .spool_pending_groups
                        .inc_by(replies.len() as i64);
                    self.committed.send_replace(Position {
                        seq: self.seq,
                        offset: self.len,
                    });
                    self.status.set_io_error(None);
                    for r in replies {
                        let _ = r.send(Ok(()));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, segment = self.seq, "spool write failed; the groups are refused");
                    let msg = e.to_string();
                    self.status.set_io_error(Some(msg.clone()));
                    for r in replies {
                        let _ = r.send(Err(PushError::Io(msg.clone())));
                    }
                    // Whatever part of the write landed is not committed: cut it, and go on in a
                    // fresh segment.
                    if let Err(e) = self
                        .file
                        .set_len(self.len)
                        .and_then(|()| self.file.sync_all())
                    {
                        tracing::error!(error = %e, segment = self.seq, "could not cut the failed write");
                    }
                    let _ = self.roll();
                    return;
                }
            }
        }
        if !full {
            self.status.set_full(false);
        }
        // A full spool seals a non-empty active segment, so that once the sink has inserted
        // it, it can be deleted and the space given back.
        if self.len >= self.cfg.segment_bytes || (full && self.len > record::HEADER_LEN) {
            let _ = self.roll();
        }
    }

    /// Seals the active segment and starts the next one.
    fn roll(&mut self) -> io::Result<()> {
        match create_segment(&self.dir, self.seq + 1) {
            Ok(file) => {
                self.seq += 1;
                self.file = file;
                self.len = record::HEADER_LEN;
                self.metrics.spool_bytes.inc_by(record::HEADER_LEN as i64);
                self.metrics.spool_segments.inc();
                self.committed.send_replace(Position {
                    seq: self.seq,
                    offset: self.len,
                });
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, segment = self.seq + 1, "could not start a new spool segment");
                Err(e)
            }
        }
    }
}
