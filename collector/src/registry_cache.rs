//! The collector's copy of the site registry, re-read in the background so a site added
//! with `emc-dashboard site add` is accepted within seconds, without a restart.
use emc_sql::{registry, Db};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// What the collector needs of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteEntry {
    pub code: String,
    pub domains: Vec<String>,
}

impl SiteEntry {
    /// The page's host must be one of the site's domains, or its `www.` form.
    pub fn owns_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        let bare = host.strip_prefix("www.").unwrap_or(host);
        self.domains.iter().any(|d| d.eq_ignore_ascii_case(host) || d.eq_ignore_ascii_case(bare))
    }
}

/// Sites by code: one immutable map, swapped whole on every refresh.
type SiteMap = Arc<HashMap<String, Arc<SiteEntry>>>;

#[derive(Debug, Clone, Default)]
pub struct RegistryCache {
    sites: Arc<RwLock<SiteMap>>,
}

impl RegistryCache {
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

    pub fn replace(&self, entries: impl IntoIterator<Item = SiteEntry>) {
        let map: HashMap<_, _> = entries.into_iter().map(|e| (e.code.clone(), Arc::new(e))).collect();
        if let Ok(mut g) = self.sites.write() {
            *g = Arc::new(map);
        }
    }

    /// Reads the registry once.
    pub async fn refresh(&self, db: &Db) -> Result<usize, emc_sql::SqlError> {
        let sites = registry::list_sites(db).await?;
        let n = sites.len();
        self.replace(sites.into_iter().map(|s| SiteEntry { code: s.code, domains: s.domains }));
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
        let site = SiteEntry { code: "1".into(), domains: vec!["hanoi.gov.vn".into()] };
        for (host, ok) in [("hanoi.gov.vn", true), ("www.hanoi.gov.vn", true), ("HANOI.gov.vn", true),
            ("sotttt.hanoi.gov.vn", false), ("evilhanoi.gov.vn", false), ("hanoi.gov.vn.evil.com", false)] {
            assert_eq!(site.owns_host(host), ok, "{host}");
        }
    }
}
