//! The on-disk format. A segment is a 16-byte header (`EMCSPOOL`, format version, zeros)
//! followed by records; a record is one request group:
//!
//! ```text
//! len: u32 LE | crc32(payload): u32 LE | payload = id: u64 LE ‖ postcard(Vec<record>)
//! ```
//!
//! A record is valid only when all `8 + len` bytes are there and the checksum matches, so a
//! write torn by a crash or a flipped bit is detected and the segment is cut there.
//!
//! **Versions.** postcard is not self-describing: the bytes mean something only with the exact
//! layout that wrote them. So the version in each segment's header names the layout, and every
//! layout a release wrote stays readable:
//!
//! | version | layout | written by |
//! |---|---|---|
//! | 1 | [`super::v1`] (frozen copies of the first release's rows) | the first release |
//! | 2 | [`super::v2`] (connection rows carry `count`) | the second release |
//! | 3 | the current `Record` (event rows carry the site-search columns) | this release |
//!
//! Golden segments of every version are committed (`collector/testdata/spool/`) and replayed by
//! the tests, and a test fails when the current layout no longer encodes its golden records to
//! the same bytes: a change of the row types is a new version (freeze the old layout as
//! `vN.rs`, add it here). A segment of a version this binary does not know — written by a newer
//! collector — is refused with an error naming it and left on disk, never skipped.
use crate::queue::Record;
use std::io::{self, Read};

pub const MAGIC: &[u8; 8] = b"EMCSPOOL";
/// The version this binary writes. 3: `EventRow` gained the site-search columns
/// (`search_keyword`, `search_category`, `search_count`).
pub const VERSION: u32 = 3;
/// The oldest version this binary reads.
pub const OLDEST: u32 = 1;
pub const HEADER_LEN: u64 = 16;
pub const FRAME_LEN: usize = 8;
/// Larger than any group the handlers produce (a Matomo bulk request pushes one group per
/// hit); a larger length can only be garbage, and is not allocated.
pub const MAX_PAYLOAD: u32 = 16 * 1024 * 1024;

pub fn segment_header() -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h
}

/// The whole record (frame and payload) of one group, encoded in place: the payload is
/// written after room left for the frame, which is filled in last (one buffer, no copy).
pub fn encode(id: u64, records: &[Record]) -> Result<Vec<u8>, postcard::Error> {
    // Most groups fit (an event, two session rows, a connection row): no regrowth.
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(&[0u8; FRAME_LEN]);
    out.extend_from_slice(&id.to_le_bytes());
    let mut out = postcard::to_extend(records, out)?;
    let payload = &out[FRAME_LEN..];
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|l| *l <= MAX_PAYLOAD)
        .ok_or(postcard::Error::SerializeBufferFull)?;
    let crc = crc32fast::hash(payload);
    out[..4].copy_from_slice(&len.to_le_bytes());
    out[4..FRAME_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// What the next bytes of a segment hold.
#[derive(Debug, PartialEq)]
pub enum Next {
    Group {
        id: u64,
        records: Vec<Record>,
        len: u64,
    },
    /// The segment ends exactly here.
    End,
    /// The segment ends inside a record (a write cut short by a crash).
    Torn,
    /// A record whose length or checksum is wrong: nothing after it can be trusted.
    Corrupt(&'static str),
    /// Checksum right, content unreadable (a format bug, not a disk fault): skipped.
    Undecodable { len: u64 },
}

impl Next {
    /// The reason a segment is cut here, for the log and `emc_spool_cut_total`.
    pub fn cut_reason(&self) -> Option<&'static str> {
        match self {
            Next::Torn => Some("torn"),
            Next::Corrupt(why) => Some(why),
            _ => None,
        }
    }
}

/// Reads one record from `r` (positioned at a record boundary of a segment of `version`).
pub fn read_next<R: Read>(r: &mut R, version: u32) -> io::Result<Next> {
    let mut frame = [0u8; FRAME_LEN];
    match read_full(r, &mut frame)? {
        0 => return Ok(Next::End),
        n if n < FRAME_LEN => return Ok(Next::Torn),
        _ => {}
    }
    let len = u32::from_le_bytes(frame[..4].try_into().expect("4 bytes"));
    let crc = u32::from_le_bytes(frame[4..].try_into().expect("4 bytes"));
    if !(8..=MAX_PAYLOAD).contains(&len) {
        return Ok(Next::Corrupt("length"));
    }
    let mut payload = vec![0u8; len as usize];
    if read_full(r, &mut payload)? < payload.len() {
        return Ok(Next::Torn);
    }
    if crc32fast::hash(&payload) != crc {
        return Ok(Next::Corrupt("checksum"));
    }
    let total = FRAME_LEN as u64 + u64::from(len);
    let id = u64::from_le_bytes(payload[..8].try_into().expect("8 bytes"));
    match decode(version, &payload[8..]) {
        Ok(records) => Ok(Next::Group {
            id,
            records,
            len: total,
        }),
        Err(_) => Ok(Next::Undecodable { len: total }),
    }
}

/// A group's records in the layout of `version`.
fn decode(version: u32, bytes: &[u8]) -> Result<Vec<Record>, postcard::Error> {
    match version {
        1 => postcard::from_bytes::<Vec<super::v1::RecordV1>>(bytes)
            .map(|v| v.into_iter().map(Record::from).collect()),
        2 => postcard::from_bytes::<Vec<super::v2::RecordV2>>(bytes)
            .map(|v| v.into_iter().map(Record::from).collect()),
        _ => postcard::from_bytes::<Vec<Record>>(bytes),
    }
}

/// Checks a segment header and returns its format version; `Ok(None)` when the file is
/// shorter than a header (a segment created by a crashed process before its header reached
/// the disk). A version this binary cannot read is an error that names it.
pub fn read_header<R: Read>(r: &mut R) -> io::Result<Option<u32>> {
    let mut h = [0u8; HEADER_LEN as usize];
    if read_full(r, &mut h)? < h.len() {
        return Ok(None);
    }
    if &h[..8] != MAGIC {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an EMC spool segment (no EMCSPOOL header)",
        ));
    }
    let version = u32::from_le_bytes(h[8..12].try_into().expect("4 bytes"));
    if !(OLDEST..=VERSION).contains(&version) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "spool format version {version}, which this collector cannot read (it reads {OLDEST} to {VERSION}): the segment was written by another release and is left on disk untouched; start the release that wrote it until the spool is drained, or move the segment out of the spool folder"
            ),
        ));
    }
    Ok(Some(version))
}

/// Like `read_exact`, but returns how much it read when the input ends first.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
