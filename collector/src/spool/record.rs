//! The on-disk format. A segment is a 16-byte header (`EMCSPOOL`, format version, zeros)
//! followed by records; a record is one request group:
//!
//! ```text
//! len: u32 LE | crc32(payload): u32 LE | payload = id: u64 LE ‖ postcard(Vec<Record>)
//! ```
//!
//! A record is valid only when all `8 + len` bytes are there and the checksum matches, so a
//! write torn by a crash or a flipped bit is detected and the segment is cut there.
use crate::queue::Record;
use std::io::{self, Read};

pub const MAGIC: &[u8; 8] = b"EMCSPOOL";
pub const VERSION: u32 = 1;
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

/// The whole record (frame and payload) of one group.
pub fn encode(id: u64, records: &[Record]) -> Result<Vec<u8>, postcard::Error> {
    let mut payload = id.to_le_bytes().to_vec();
    payload = postcard::to_extend(records, payload)?;
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|l| *l <= MAX_PAYLOAD)
        .ok_or(postcard::Error::SerializeBufferFull)?;
    let mut out = Vec::with_capacity(FRAME_LEN + payload.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
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

/// Reads one record from `r` (positioned at a record boundary).
pub fn read_next<R: Read>(r: &mut R) -> io::Result<Next> {
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
    match postcard::from_bytes::<Vec<Record>>(&payload[8..]) {
        Ok(records) => Ok(Next::Group {
            id,
            records,
            len: total,
        }),
        Err(_) => Ok(Next::Undecodable { len: total }),
    }
}

/// Checks a segment header; `Ok(false)` when the file is shorter than a header (a segment
/// created by a crashed process before its header reached the disk).
pub fn read_header<R: Read>(r: &mut R) -> io::Result<bool> {
    let mut h = [0u8; HEADER_LEN as usize];
    if read_full(r, &mut h)? < h.len() {
        return Ok(false);
    }
    if &h[..8] != MAGIC || u32::from_le_bytes(h[8..12].try_into().expect("4 bytes")) != VERSION {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an EMC spool segment of format version 1",
        ));
    }
    Ok(true)
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
