//! The durable spool between accepting a beacon and inserting it (DESIGN.md step 5).
//!
//! - Handlers encode their request group into a checksummed record ([`record`]) and hand it
//!   to one committer thread ([`writer`]), which appends everything pending, `fdatasync`s
//!   once (group commit: up to `group_commit` records per sync, no added delay; records
//!   that arrive during a sync ride the next one) and only then acks, so the `202` follows
//!   the data to disk.
//! - The sink reads the segment files in order ([`reader`]), tailing the active one up to
//!   the committed offset: live traffic and replay after a restart take the same path, and
//!   memory stays bounded however long ClickHouse is away.
//! - A segment is deleted once every record in it was acknowledged by ClickHouse.
//! - On open, every segment is checked: a torn or corrupt tail is cut at the last valid
//!   record, counted (`emc_spool_cut_total`) and logged. Whatever is left is replayed, and
//!   the sink first asks ClickHouse which groups already landed (rows carry `batch_id`).
//! - `max_bytes` bounds the disk: past it a push fails with [`PushError::Full`] (a `429`).
pub mod reader;
pub mod record;
pub mod status;
pub mod v1;
pub mod v2;
pub mod writer;

use crate::metrics::{Metrics, ReasonLabel};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use reader::{SpoolReader, Spooled};
pub use status::SpoolStatus;
pub use writer::SpoolWriter;

/// Spool settings (`EMC_SPOOL_*`).
#[derive(Debug, Clone)]
pub struct SpoolConfig {
    pub max_bytes: u64,
    pub segment_bytes: u64,
    /// Most records appended per `fdatasync`.
    pub group_commit: usize,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            max_bytes: 1 << 30,
            segment_bytes: 16 << 20,
            group_commit: 512,
        }
    }
}

/// Why a group was not spooled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PushError {
    #[error("the sink has stopped; the collector is shutting down")]
    Closed,
    #[error("the spool is full ({max_bytes} bytes): ClickHouse is behind; retry later")]
    Full { max_bytes: u64 },
    #[error("writing the spool: {0}")]
    Io(String),
}

/// A place in the spool: segment number, byte offset in it. Everything before the
/// committed position is on disk; everything before the acknowledged one is in ClickHouse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub seq: u64,
    pub offset: u64,
}

pub(crate) fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.seg"))
}

/// Segment numbers present in `dir`, ascending.
pub(crate) fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out: Vec<u64> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".seg")?.parse().ok())
        .collect();
    out.sort_unstable();
    Ok(out)
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// What recovery found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recovery {
    /// Groups in the spool (not yet acknowledged), to replay.
    pub groups: u64,
    pub bytes: u64,
    pub segments: u64,
    /// Records or tails cut, and the bytes dropped with them.
    pub cuts: u64,
    pub cut_bytes: u64,
}

/// Opens (creating it if needed) the spool in `dir`: takes its lock, checks and repairs
/// every segment, starts the committer thread. The reader begins at the oldest record not
/// known to be acknowledged; everything it reads from before this open is marked `replay`.
pub fn open(
    dir: &Path,
    cfg: SpoolConfig,
    metrics: Arc<Metrics>,
) -> io::Result<(SpoolWriter, SpoolReader, Recovery)> {
    std::fs::create_dir_all(dir)?;
    let lock = std::fs::File::create(dir.join("LOCK"))?;
    lock.try_lock().map_err(|_| {
        io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{} is in use by another collector", dir.display()),
        )
    })?;
    let acked = reader::read_checkpoint(dir);
    let mut rec = Recovery::default();
    let segments = list_segments(dir)?;
    for &seq in &segments {
        repair(dir, seq, acked, &metrics, &mut rec)?;
    }
    sync_dir(dir)?;
    let last = list_segments(dir)?.last().copied().unwrap_or(0);
    metrics.spool_bytes.set(rec.bytes as i64);
    metrics.spool_segments.set(rec.segments as i64);
    metrics.spool_pending_groups.set(rec.groups as i64);
    if rec.groups > 0 || rec.cuts > 0 {
        tracing::info!(
            groups = rec.groups,
            bytes = rec.bytes,
            segments = rec.segments,
            cuts = rec.cuts,
            "spool holds groups to replay"
        );
    }
    // Numbers only grow, also past a checkpoint whose segments are all deleted.
    let status = Arc::new(SpoolStatus::default());
    let (writer, committed) = writer::start(
        dir,
        last.max(acked.seq) + 1,
        cfg,
        metrics.clone(),
        status.clone(),
        lock,
    )?;
    let reader = SpoolReader::new(dir, committed, acked, last, metrics, status);
    Ok((writer, reader, rec))
}

/// Checks one segment; cuts it at its first invalid record. Counts its bytes and its groups
/// past the acknowledged position.
fn repair(
    dir: &Path,
    seq: u64,
    acked: Position,
    metrics: &Metrics,
    rec: &mut Recovery,
) -> io::Result<()> {
    let path = segment_path(dir, seq);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)?;
    let size = file.metadata()?.len();
    let mut r = BufReader::new(&file);
    let version = match record::read_header(&mut r) {
        Ok(Some(v)) => v,
        Ok(None) => {
            tracing::warn!(segment = %path.display(), bytes = size, "spool segment without a complete header removed");
            drop(r);
            std::fs::remove_file(&path)?;
            return Ok(());
        }
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("spool segment {}: {e}", path.display()),
            ))
        }
    };
    let mut offset = record::HEADER_LEN;
    loop {
        let next = record::read_next(&mut r, version)?;
        match next {
            record::Next::Group { len, .. } | record::Next::Undecodable { len } => {
                if matches!(next, record::Next::Undecodable { .. }) {
                    tracing::error!(segment = %path.display(), offset, "spool record with a valid checksum could not be decoded; skipped");
                    metrics
                        .spool_cut
                        .get_or_create(&ReasonLabel {
                            reason: "undecodable",
                        })
                        .inc();
                } else if (Position { seq, offset }) >= acked {
                    rec.groups += 1;
                }
                offset += len;
            }
            record::Next::End => break,
            cut => {
                let reason = cut.cut_reason().unwrap_or("corrupt");
                let dropped = size - offset;
                tracing::warn!(segment = %path.display(), offset, dropped_bytes = dropped, reason, "spool segment cut at its last valid record");
                metrics
                    .spool_cut
                    .get_or_create(&ReasonLabel { reason })
                    .inc();
                metrics.spool_cut_bytes.inc_by(dropped);
                rec.cuts += 1;
                rec.cut_bytes += dropped;
                file.set_len(offset)?;
                file.sync_all()?;
                break;
            }
        }
    }
    rec.bytes += offset;
    rec.segments += 1;
    Ok(())
}

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod tests;
