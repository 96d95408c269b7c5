//! The collector's copy of the site registry, re-read in the background so a site added
//! with `emc-dashboard site add` is accepted within seconds, without a restart.
//!
//! Each refresh that changed something is saved to a snapshot on disk
//! (`EMC_DATA_DIR/registry.json`, written to a temp file, synced, then renamed over the old
//! one), so a collector restarted while ClickHouse is unreachable can start from it and keep
//! accepting beacons into the spool.
use emc_sql::{registry, Db};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The snapshot's file name under `EMC_DATA_DIR`.
pub const SNAPSHOT_FILE: &str = "registry.json";

/// What the collector needs of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteEntry {
    pub code: String,
    pub domains: Vec<String>,
    /// The site's own site-search parameters; empty: Matomo's defaults.
    #[serde(default)]
    pub search_params: Vec<String>,
}

impl SiteEntry {
    /// The page's host must be one of the site's domains, or its `www.` form.
    pub fn owns_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        let bare = host.strip_prefix("www.").unwrap_or(host);
        self.domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(host) || d.eq_ignore_ascii_case(bare))
    }
}

/// Sites by code: one immutable map, swapped whole on every refresh.
type SiteMap = Arc<HashMap<String, Arc<SiteEntry>>>;

#[derive(Debug, Clone, Default)]
pub struct RegistryCache {
    sites: Arc<RwLock<SiteMap>>,
    /// Where refreshes are saved; none: not saved (tests, the importer).
    snapshot: Option<Arc<Path>>,
    /// The map in memory is what the snapshot holds.
    saved: Arc<AtomicBool>,
}

/// Why the snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("no registry snapshot at {0}")]
    Missing(PathBuf),
    #[error("reading the registry snapshot {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the registry snapshot {path} is corrupt ({source}); it is rewritten by the next successful read of the registry from ClickHouse")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("writing the registry snapshot {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The snapshot file: the sites, sorted by code.
#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    /// Unix seconds when it was written (for the operator).
    saved_at: i64,
    sites: Vec<SiteEntry>,
}

/// Reads a snapshot written by [`write_snapshot`].
pub fn read_snapshot(path: &Path) -> Result<Vec<SiteEntry>, SnapshotError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SnapshotError::Missing(path.to_owned()))
        }
        Err(source) => {
            return Err(SnapshotError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let snap: Snapshot =
        serde_json::from_slice(&text).map_err(|source| SnapshotError::Corrupt {
            path: path.to_owned(),
            source,
        })?;
    Ok(snap.sites)
}

/// Writes `sites` to `path` atomically: a temp file next to it, synced, renamed over `path`,
/// then the folder synced. A crash at any point leaves the old snapshot or the new one whole.
pub fn write_snapshot(path: &Path, sites: &[SiteEntry]) -> Result<(), SnapshotError> {
    let err = |source| SnapshotError::Write {
        path: path.to_owned(),
        source,
    };
    let mut sites = sites.to_vec();
    sites.sort_by(|a, b| a.code.cmp(&b.code));
    let text = serde_json::to_vec_pretty(&Snapshot {
        saved_at: chrono::Utc::now().timestamp(),
        sites,
    })
    .map_err(|e| err(std::io::Error::other(e)))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut file = std::fs::File::create(&tmp).map_err(err)?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(err)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(err)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::spool::sync_dir(dir).map_err(err)?;
    }
    Ok(())
}

impl RegistryCache {
    /// A cache that saves every refresh that changed something to `path`.
    pub fn with_snapshot(path: PathBuf) -> Self {
        RegistryCache {
            snapshot: Some(Arc::from(path)),
            ..RegistryCache::default()
        }
    }

    pub fn snapshot_path(&self) -> Option<&Path> {
        self.snapshot.as_deref()
    }

    /// Fills the cache from the snapshot; the number of sites.
    pub fn load_snapshot(&self) -> Result<usize, SnapshotError> {
        let Some(path) = self.snapshot.as_deref() else {
            return Err(SnapshotError::Missing(PathBuf::new()));
        };
        let sites = read_snapshot(path)?;
        let n = sites.len();
        self.replace(sites);
        self.saved.store(true, Ordering::SeqCst);
        Ok(n)
    }

    pub fn from_entries(entries: impl IntoIterator<Item = SiteEntry>) -> Self {
        let cache = RegistryCache::default();
        cache.replace(entries);
        cache
    }

    pub fn get(&self, code: &str) -> Option<Arc<SiteEntry>> {
        let map = self.sites.read().map(|g| Arc::clone(&g)).ok()?;
        map.get(code).cloned()
    }

    pub fn len(&self) -> usize {
        self.sites.read().map(|g| g.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Swaps the map; true when it differs from the one it replaced.
    pub fn replace(&self, entries: impl IntoIterator<Item = SiteEntry>) -> bool {
        let map: HashMap<_, _> = entries
            .into_iter()
            .map(|e| (e.code.clone(), Arc::new(e)))
            .collect();
        let Ok(mut g) = self.sites.write() else {
            return false;
        };
        let changed = **g != map;
        *g = Arc::new(map);
        changed
    }

    /// Reads the registry once from ClickHouse; saves the snapshot when something changed
    /// (or nothing was saved yet). A snapshot that cannot be written is logged, not an error:
    /// the registry in memory is good.
    pub async fn refresh(&self, db: &Db) -> Result<usize, emc_sql::SqlError> {
        let sites = registry::list_sites(db).await?;
        let entries: Vec<SiteEntry> = sites
            .into_iter()
            .map(|s| SiteEntry {
                code: s.code,
                domains: s.domains,
                search_params: s.search_params,
            })
            .collect();
        let n = entries.len();
        if self.replace(entries.clone()) {
            self.saved.store(false, Ordering::SeqCst);
        }
        if let Some(path) = self
            .snapshot
            .clone()
            .filter(|_| !self.saved.load(Ordering::SeqCst))
        {
            let written =
                tokio::task::spawn_blocking(move || write_snapshot(&path, &entries)).await;
            match written {
                Ok(Ok(())) => {
                    self.saved.store(true, Ordering::SeqCst);
                    tracing::debug!(sites = n, "registry snapshot saved");
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "registry snapshot not saved; retried at the next refresh")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "registry snapshot not saved; retried at the next refresh")
                }
            }
        }
        Ok(n)
    }

    /// Re-reads the registry every `every` until the task is dropped; errors are logged.
    pub fn spawn_refresher(&self, db: Db, every: Duration) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = cache.refresh(&db).await {
                    tracing::warn!(error = %e, "registry refresh failed; keeping the previous copy");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_domains_exactly_or_with_www() {
        let site = SiteEntry {
            code: "1".into(),
            domains: vec!["hanoi.gov.vn".into()],
            search_params: vec![],
        };
        for (host, ok) in [
            ("hanoi.gov.vn", true),
            ("www.hanoi.gov.vn", true),
            ("HANOI.gov.vn", true),
            ("sotttt.hanoi.gov.vn", false),
            ("evilhanoi.gov.vn", false),
            ("hanoi.gov.vn.evil.com", false),
        ] {
            assert_eq!(site.owns_host(host), ok, "{host}");
        }
    }

    fn sites(codes: &[&str]) -> Vec<SiteEntry> {
        codes
            .iter()
            .map(|c| SiteEntry {
                code: (*c).into(),
                domains: vec![format!("s{c}.gov.vn"), format!("www.s{c}.gov.vn")],
                search_params: vec![],
            })
            .collect()
    }

    #[test]
    fn snapshot_round_trips_into_a_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SNAPSHOT_FILE);
        write_snapshot(&path, &sites(&["227", "10000", "31"])).unwrap();
        let cache = RegistryCache::with_snapshot(path.clone());
        assert_eq!(cache.load_snapshot().unwrap(), 3);
        assert_eq!(cache.get("227").as_deref(), Some(&sites(&["227"])[0]));
        assert!(cache.get("31").unwrap().owns_host("www.s31.gov.vn"));
        assert!(cache.get("999").is_none());
        let mut back = read_snapshot(&path).unwrap();
        back.sort_by(|a, b| a.code.cmp(&b.code));
        let mut want = sites(&["227", "10000", "31"]);
        want.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(back, want);
        // An empty registry is a snapshot too.
        write_snapshot(&path, &[]).unwrap();
        assert_eq!(read_snapshot(&path).unwrap(), vec![]);
    }

    #[test]
    fn snapshot_write_is_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SNAPSHOT_FILE);
        write_snapshot(&path, &sites(&["1"])).unwrap();
        // A write that fails midway (here: its temp file cannot be created) leaves the old
        // snapshot whole, never a half-written one.
        let tmp = dir.path().join(format!("{SNAPSHOT_FILE}.tmp"));
        std::fs::create_dir(&tmp).unwrap();
        assert!(matches!(
            write_snapshot(&path, &sites(&["1", "2"])),
            Err(SnapshotError::Write { .. })
        ));
        assert_eq!(read_snapshot(&path).unwrap(), sites(&["1"]));
        // A temp file left by a crash is overwritten by the next write, which replaces the
        // snapshot whole and leaves no temp file behind.
        std::fs::remove_dir(&tmp).unwrap();
        std::fs::write(&tmp, b"{\"saved_at\":0,\"si").unwrap();
        write_snapshot(&path, &sites(&["1", "2"])).unwrap();
        assert_eq!(read_snapshot(&path).unwrap(), sites(&["1", "2"]));
        assert!(!tmp.exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(SNAPSHOT_FILE)]);
    }

    #[test]
    fn a_corrupt_or_missing_snapshot_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SNAPSHOT_FILE);
        let cache = RegistryCache::with_snapshot(path.clone());
        let missing = cache.load_snapshot().unwrap_err();
        assert!(matches!(missing, SnapshotError::Missing(_)), "{missing}");
        assert!(
            missing.to_string().contains(&path.display().to_string()),
            "{missing}"
        );
        for text in [
            "{\"saved_at\":1,\"sites\":[{\"code\":\"227\",\"dom",
            "",
            "[]",
            "{\"saved_at\":1,\"sites\":[{\"code\":227}]}",
        ] {
            std::fs::write(&path, text).unwrap();
            let e = cache.load_snapshot().unwrap_err();
            assert!(matches!(e, SnapshotError::Corrupt { .. }), "{text:?}: {e}");
            let msg = e.to_string();
            assert!(
                msg.contains(&path.display().to_string()) && msg.contains("corrupt"),
                "{msg}"
            );
        }
        assert!(cache.is_empty(), "a bad snapshot loads nothing");
    }

    #[test]
    fn replace_tells_whether_the_registry_changed() {
        let cache = RegistryCache::default();
        assert!(!cache.replace(vec![]), "empty to empty");
        assert!(cache.replace(sites(&["1"])));
        assert!(!cache.replace(sites(&["1"])));
        let mut moved = sites(&["1"]);
        moved[0].domains.push("new.gov.vn".into());
        assert!(cache.replace(moved));
    }
}
