//! Open visits across a graceful restart: saved at shutdown to `EMC_DATA_DIR/sessions.json`
//! (each visit as its current session row, the last `+1` state written), loaded at the next
//! start — only those still within the timeout — and the file deleted once loaded, so a later
//! crash can never bring back a state that has moved on since. A visit that continues after the
//! restart therefore writes its `-1`/`+1` pair against the row ClickHouse already holds, and a
//! rolling `systemctl restart` splits no visit.
//!
//! `kill -9` (or a power cut) saves nothing: the visits open at that moment end there, and a
//! visitor who goes on starts a new visit (as with the first release). JSON, so that a session
//! row's new column does not make an old file unreadable; a file that cannot be read is
//! logged, set aside as `sessions.json.bad` and the collector starts with no open visit.
use super::SessionCache;
use emc_sql::rows::SessionRow;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const FILE: &str = "sessions.json";

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    /// Unix seconds of the save.
    saved_at: u32,
    sessions: Vec<SessionRow>,
}

impl SessionCache {
    /// Every open visit as its current row (`sign` 1).
    pub fn snapshot(&self) -> Vec<SessionRow> {
        self.map
            .iter()
            .map(|e| self.row(*e.key(), e.value()))
            .collect()
    }

    /// Opens the visits of `rows` that are still open at `now`; returns how many.
    pub fn restore(&self, rows: Vec<SessionRow>, now: u32) -> usize {
        let mut n = 0;
        for mut row in rows {
            if now.saturating_sub(row.timestamp) > self.timeout_secs || row.timestamp < row.start {
                continue;
            }
            let visitor = row.visitor_id;
            let (start, last) = (row.start, row.timestamp);
            let (pageviews, events) = (row.pageviews, row.events.max(1));
            let exit = std::mem::take(&mut row.exit_page);
            let entry = std::mem::take(&mut row.entry_page);
            row.batch_id = 0;
            let mut visit = self.open_visit(row, &entry, start, super::HitKind::Custom);
            visit.last = last;
            visit.pageviews = pageviews;
            visit.events = events;
            if exit != entry {
                let id = self.path(&exit);
                self.paths.release(visit.exit);
                visit.exit = id;
            }
            if let Some(old) = self.map.insert(visitor, visit) {
                self.release(&old);
            }
            n += 1;
        }
        n
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Writes the open visits (temp file, `fsync`, rename); returns how many.
pub fn save(cache: &SessionCache, data_dir: &Path, now: u32) -> io::Result<usize> {
    let saved = Saved {
        saved_at: now,
        sessions: cache.snapshot(),
    };
    let n = saved.sessions.len();
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    serde_json::to_writer(&mut f, &saved)?;
    f.flush()?;
    f.sync_all()?;
    std::fs::rename(&tmp, path(data_dir))?;
    std::fs::File::open(data_dir)?.sync_all()?;
    Ok(n)
}

/// Loads the visits saved by the last graceful stop, if any, and deletes the file; returns
/// (visits opened, visits saved).
pub fn load(cache: &SessionCache, data_dir: &Path, now: u32) -> io::Result<(usize, usize)> {
    let file = path(data_dir);
    let text = match std::fs::read(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    let saved: Saved = match serde_json::from_slice(&text) {
        Ok(s) => s,
        Err(e) => {
            let bad = data_dir.join(format!("{FILE}.bad"));
            std::fs::rename(&file, &bad)?;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e} (set aside as {})", file.display(), bad.display()),
            ));
        }
    };
    let total = saved.sessions.len();
    let opened = cache.restore(saved.sessions, now);
    std::fs::remove_file(&file)?;
    std::fs::File::open(data_dir)?.sync_all()?;
    Ok((opened, total))
}

#[cfg(test)]
mod tests {
    use super::super::{HitKind, SessionCache, Touch};
    use emc_sql::rows::SessionRow;

    fn fresh(id: u64) -> impl FnOnce() -> SessionRow {
        move || SessionRow {
            site: "227".into(),
            session_id: id,
            hostname: "portal.gov.vn".into(),
            browser: "Chrome".into(),
            screen_width: 1280,
            ..SessionRow::default()
        }
    }

    #[test]
    fn a_restored_visit_goes_on_exactly_as_if_never_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let before = SessionCache::new(1800);
        let kept = SessionCache::new(1800);
        // Visitor 1: two page views; visitor 2: one, long ago (past the timeout by the load).
        for cache in [&before, &kept] {
            cache.touch(1, HitKind::PageView, 1000, "/a", fresh(11));
            cache.touch(1, HitKind::PageView, 1100, "/b", fresh(12));
            cache.touch(2, HitKind::PageView, 100, "/x", fresh(21));
        }
        assert_eq!(super::save(&before, dir.path(), 1200).unwrap(), 2);
        let after = SessionCache::new(1800);
        assert_eq!(super::load(&after, dir.path(), 1950).unwrap(), (1, 2));
        assert!(!dir.path().join(super::FILE).exists(), "loaded once only");
        assert!(after.is_open(1, 1950) && !after.is_open(2, 1950));
        // The next hit gives the same rows, `-1` included, as in the cache never stopped.
        let next = after.touch(1, HitKind::PageView, 2000, "/c", fresh(99));
        let same = kept.touch(1, HitKind::PageView, 2000, "/c", fresh(99));
        assert_eq!(next, same);
        let Touch::Extended { old, new } = next else {
            panic!("{next:?}")
        };
        assert_eq!(
            (old.session_id, old.pageviews, old.exit_page.as_str()),
            (11, 2, "/b")
        );
        assert_eq!((new.pageviews, new.duration, new.is_bounce), (3, 1000, 0));
        after.sweep(2000);
        kept.sweep(2000);
        assert_eq!(after.interned(), kept.interned());
    }

    #[test]
    fn no_file_is_no_visit_and_a_bad_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SessionCache::new(1800);
        assert_eq!(super::load(&cache, dir.path(), 0).unwrap(), (0, 0));
        std::fs::write(dir.path().join(super::FILE), b"{not json").unwrap();
        let err = super::load(&cache, dir.path(), 0).unwrap_err();
        assert!(err.to_string().contains("sessions.json"), "{err}");
        assert!(dir.path().join("sessions.json.bad").exists());
        assert!(cache.is_empty());
    }
}
