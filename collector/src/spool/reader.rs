//! The sink's side: reads groups in order, tailing the active segment up to the committed
//! position, and frees segments once ClickHouse has acknowledged all they hold.
use super::{list_segments, record, segment_path, Position, SpoolStatus};
use crate::metrics::{Metrics, ReasonLabel};
use crate::queue::Record;
use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

const CHECKPOINT: &str = "acked";

/// One group read from the spool.
#[derive(Debug, Clone, PartialEq)]
pub struct Spooled {
    pub id: u64,
    pub records: Vec<Record>,
    /// Written before this process opened the spool: it may already be in ClickHouse.
    pub replay: bool,
    /// Where the next record starts: acknowledging this position acknowledges this group.
    pub end: Position,
}

#[derive(Debug)]
pub struct SpoolReader {
    dir: PathBuf,
    committed: watch::Receiver<Position>,
    pos: Position,
    /// The open segment and its format version.
    file: Option<(BufReader<File>, u32)>,
    acked: Position,
    /// Segments up to this one were written before the spool was opened.
    replay_until: u64,
    closed: bool,
    metrics: Arc<Metrics>,
    status: Arc<SpoolStatus>,
}

/// The last acknowledged position, as the sink left it (no fsync: a stale or missing
/// checkpoint only means more replay, which is idempotent).
pub(super) fn read_checkpoint(dir: &Path) -> Position {
    let text = std::fs::read_to_string(dir.join(CHECKPOINT)).unwrap_or_default();
    let mut parts = text.split_whitespace().map(str::parse::<u64>);
    match (parts.next(), parts.next()) {
        (Some(Ok(seq)), Some(Ok(offset))) => Position { seq, offset },
        _ => Position::default(),
    }
}

impl SpoolReader {
    pub(super) fn new(
        dir: &Path,
        committed: watch::Receiver<Position>,
        acked: Position,
        replay_until: u64,
        metrics: Arc<Metrics>,
        status: Arc<SpoolStatus>,
    ) -> Self {
        let first = list_segments(dir)
            .ok()
            .and_then(|s| s.first().copied())
            .unwrap_or(committed.borrow().seq);
        let pos = if acked.seq >= first && acked.offset >= record::HEADER_LEN {
            acked
        } else {
            Position {
                seq: first,
                offset: record::HEADER_LEN,
            }
        };
        SpoolReader {
            dir: dir.to_owned(),
            committed,
            pos,
            file: None,
            acked: pos,
            replay_until,
            closed: false,
            metrics,
            status,
        }
    }

    /// After `close`, `next` returns what is already committed, then `None`.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// The next group, waiting for one to be committed.
    pub async fn next(&mut self) -> Option<Spooled> {
        loop {
            let committed = *self.committed.borrow_and_update();
            if self.pos.seq < committed.seq || self.pos.offset < committed.offset {
                match self.read_one(self.pos.seq < committed.seq) {
                    Ok(Some(group)) => return Some(group),
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, segment = self.pos.seq, "reading the spool; retrying");
                        self.file = None;
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        continue;
                    }
                }
            }
            if self.closed || self.committed.changed().await.is_err() {
                // Nothing more will be committed (closed, or the committer stopped).
                let committed = *self.committed.borrow();
                if self.pos.seq < committed.seq || self.pos.offset < committed.offset {
                    self.closed = true;
                    continue;
                }
                return None;
            }
        }
    }

    /// One record at `pos`; `None` when the segment was finished (moved to the next).
    fn read_one(&mut self, sealed: bool) -> io::Result<Option<Spooled>> {
        let (file, version) = match self.file.as_mut() {
            Some((f, v)) => (f, *v),
            None => match File::open(segment_path(&self.dir, self.pos.seq)) {
                Ok(f) => {
                    let mut f = BufReader::with_capacity(256 * 1024, f);
                    // Checked when the spool was opened, or written by this process.
                    let version = record::read_header(&mut f)?.ok_or_else(|| {
                        io::Error::new(io::ErrorKind::UnexpectedEof, "segment header missing")
                    })?;
                    f.seek(SeekFrom::Start(self.pos.offset))?;
                    let (f, v) = self.file.insert((f, version));
                    (f, *v)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound && sealed => {
                    self.advance();
                    return Ok(None);
                }
                Err(e) => return Err(e),
            },
        };
        let next = record::read_next(file, version)?;
        match next {
            record::Next::Group { id, records, len } => {
                self.pos.offset += len;
                Ok(Some(Spooled {
                    id,
                    records,
                    replay: self.pos.seq <= self.replay_until,
                    end: self.pos,
                }))
            }
            record::Next::Undecodable { len } => {
                tracing::error!(
                    segment = self.pos.seq,
                    offset = self.pos.offset,
                    "undecodable spool record skipped"
                );
                self.metrics
                    .spool_cut
                    .get_or_create(&ReasonLabel {
                        reason: "undecodable",
                    })
                    .inc();
                self.pos.offset += len;
                Ok(None)
            }
            record::Next::End if sealed => {
                self.advance();
                Ok(None)
            }
            other if sealed => {
                let reason = other.cut_reason().unwrap_or("corrupt");
                tracing::warn!(
                    segment = self.pos.seq,
                    offset = self.pos.offset,
                    reason,
                    "sealed spool segment cut short; going on with the next"
                );
                self.metrics
                    .spool_cut
                    .get_or_create(&ReasonLabel { reason })
                    .inc();
                self.advance();
                Ok(None)
            }
            other => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("committed record unreadable: {other:?}"),
            )),
        }
    }

    /// Moves to the next segment, and frees the finished one if it is all acknowledged.
    fn advance(&mut self) {
        let after = list_segments(&self.dir)
            .ok()
            .and_then(|s| s.into_iter().find(|&n| n > self.pos.seq));
        let finished = self.pos;
        self.pos = Position {
            seq: after.unwrap_or(self.pos.seq + 1),
            offset: record::HEADER_LEN,
        };
        self.file = None;
        if self.acked >= finished {
            self.acked = self.pos;
            self.collect();
        }
    }

    /// ClickHouse holds every group before `pos` (and `groups` of them since the last ack):
    /// records the checkpoint and deletes the segments wholly behind it.
    pub fn ack(&mut self, pos: Position, groups: u64) {
        self.metrics.spool_pending_groups.dec_by(groups as i64);
        let mut acked = pos.max(self.acked);
        // The very end of a sealed segment: all of it is in ClickHouse.
        let sealed = acked.seq < self.committed.borrow().seq;
        if sealed
            && std::fs::metadata(segment_path(&self.dir, acked.seq))
                .is_ok_and(|m| m.len() <= acked.offset)
        {
            acked = Position {
                seq: acked.seq + 1,
                offset: record::HEADER_LEN,
            };
        }
        self.acked = acked;
        let tmp = self.dir.join(format!("{CHECKPOINT}.tmp"));
        let text = format!("{} {}\n", self.acked.seq, self.acked.offset);
        if let Err(e) = std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, self.dir.join(CHECKPOINT)))
        {
            tracing::warn!(error = %e, "could not write the spool checkpoint (a restart replays more)");
        }
        self.collect();
    }

    fn collect(&mut self) {
        let Ok(segments) = list_segments(&self.dir) else {
            return;
        };
        for seq in segments.into_iter().take_while(|&s| s < self.acked.seq) {
            let path = segment_path(&self.dir, seq);
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    self.metrics.spool_bytes.dec_by(len as i64);
                    // Room again: the committer will take the next group it is given.
                    self.status.set_full(false);
                    self.metrics.spool_segments.dec();
                    tracing::debug!(
                        segment = seq,
                        bytes = len,
                        "spool segment inserted and deleted"
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, segment = seq, "could not delete a spool segment")
                }
            }
        }
    }
}
