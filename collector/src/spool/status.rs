//! What the spool knows about its own ability to take a group, for `/readyz` and `/healthz`:
//! kept up to date by the committer and the reader as they work, read without any I/O.
//!
//! - **Full** has one definition: the committer refused the last group it was given for lack
//!   of room under `max_bytes`, and no space has been freed since (a commit that fits, or the
//!   reader deleting an inserted segment, clears it).
//! - **Unwritable**: the last write or `fdatasync` failed (the error is kept). It is cleared by
//!   the next commit that succeeds, or by a probe ([`super::SpoolWriter::probe`]) that manages
//!   to start a fresh segment — so a collector taken out of rotation can come back by itself.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct SpoolStatus {
    full: AtomicBool,
    io_error: Mutex<Option<String>>,
}

impl SpoolStatus {
    /// True when the last group was refused for lack of room and nothing was freed since.
    pub fn is_full(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// The error of the last failed write, while no write has succeeded since.
    pub fn io_error(&self) -> Option<String> {
        self.io_error.lock().map(|e| e.clone()).unwrap_or(None)
    }

    pub(super) fn set_full(&self, full: bool) {
        self.full.store(full, Ordering::Relaxed);
    }

    pub(super) fn set_io_error(&self, error: Option<String>) {
        if let Ok(mut e) = self.io_error.lock() {
            *e = error;
        }
    }
}
