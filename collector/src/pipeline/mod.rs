//! The ingest pipeline: one named step per job, as Plausible's `ingestion/event.ex`.
//! `Pipeline::process` turns a [`Hit`] (from a beacon, the Matomo API or an access-log
//! line) into the rows to write, or a typed [`DropReason`] that is counted and logged.
mod steps;
#[cfg(test)]
mod tests;

pub use steps::{parse_page_url, DropReason};

use crate::beacon::{Meta, Timing};
use crate::enrich::geo::GeoDb;
use crate::enrich::site_search::SiteSearch;
use crate::enrich::user_agent::UaParser;
use crate::enrich::utm::Utm;
use crate::metrics::Metrics;
use crate::queue::Record;
use crate::registry_cache::RegistryCache;
use crate::salt::{EphemeralSalts, SaltError, SaltStore};
use crate::session::{HitKind, SessionCache};
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use std::sync::Arc;

/// Where a hit came from (stored in `events.origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Beacon,
    Matomo,
    Import,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Beacon => "beacon",
            Origin::Matomo => "matomo",
            Origin::Import => "import",
        }
    }
}

/// One hit, whatever its source, before validation.
#[derive(Debug, Clone)]
pub struct Hit {
    pub site: String,
    pub name: String,
    pub url: String,
    pub referrer: Option<String>,
    pub title: Option<String>,
    pub screen_width: Option<u16>,
    pub engaged_ms: Option<u32>,
    pub timing: Timing,
    pub meta: Meta,
    pub props: Vec<(String, String)>,
    pub client_ip: IpAddr,
    pub user_agent: String,
    /// Wall clock for live traffic, the line's own time for imports.
    pub time: DateTime<Utc>,
    pub origin: Origin,
    /// What the tracking request says beside the page URL (Matomo's fields).
    pub fields: RequestFields,
}

/// Fields of a tracking request that are not in the page URL. Empty for beacons and
/// imported lines, whose URL says everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFields {
    /// Matomo's `_rcn` / `_rck`: campaign name and keyword, filling what the URL leaves blank.
    pub campaign: Utm,
    /// Matomo's `search`, `search_cat`, `search_count`: the hit is a site search.
    pub search: Option<SiteSearch>,
}

impl Hit {
    pub fn kind(&self) -> HitKind {
        match self.name.as_str() {
            "pageview" => HitKind::PageView,
            "engagement" => HitKind::Engagement,
            _ => HitKind::Custom,
        }
    }
}

/// Daily salts on disk for live traffic; per-run, per-day salts in memory for imports.
#[derive(Clone)]
pub enum SaltSource {
    Daily(Arc<SaltStore>),
    Ephemeral(Arc<EphemeralSalts>),
}

impl std::fmt::Debug for SaltSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SaltSource::Daily(_) => "SaltSource::Daily",
            SaltSource::Ephemeral(_) => "SaltSource::Ephemeral",
        })
    }
}

impl SaltSource {
    /// (today's key, yesterday's key if any) for the day of `time`.
    pub fn keys(&self, time: DateTime<Utc>) -> Result<([u8; 16], Option<[u8; 16]>), SaltError> {
        match self {
            SaltSource::Daily(store) => store.keys(time).map(|k| (k.today, k.yesterday)),
            SaltSource::Ephemeral(e) => Ok((
                e.key_for(time),
                Some(e.key_for(time - chrono::Duration::days(1))),
            )),
        }
    }
}

/// What a hit became.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub records: Vec<Record>,
    pub session_id: u64,
    pub hostname: String,
}

/// Everything the steps need, shared by the handlers (or owned by one import run).
#[derive(Debug)]
pub struct Pipeline {
    registry: RegistryCache,
    ua: UaParser,
    geo: GeoDb,
    salts: SaltSource,
    sessions: SessionCache,
    metrics: Arc<Metrics>,
    /// Key of the dossier-id hash of `dvc` events (`put_dvc`).
    dvc: crate::dvc::DvcKey,
}

/// What a [`Pipeline`] is made of.
#[derive(Debug)]
pub struct PipelineParts {
    pub registry: RegistryCache,
    pub geo: GeoDb,
    pub salts: SaltSource,
    /// `EMC_SESSION_TIMEOUT`, seconds.
    pub session_timeout: u32,
    pub metrics: Arc<Metrics>,
    pub dvc: crate::dvc::DvcKey,
}

impl Pipeline {
    pub fn new(parts: PipelineParts) -> Pipeline {
        Pipeline {
            registry: parts.registry,
            ua: UaParser::new(),
            geo: parts.geo,
            salts: parts.salts,
            sessions: SessionCache::new(parts.session_timeout),
            metrics: parts.metrics,
            dvc: parts.dvc,
        }
    }

    pub fn registry(&self) -> &RegistryCache {
        &self.registry
    }

    pub fn sessions(&self) -> &SessionCache {
        &self.sessions
    }

    pub fn ua(&self) -> &UaParser {
        &self.ua
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

impl Pipeline {
    /// Runs every step; no I/O but the salt store's once-a-day file write.
    pub fn process(&self, mut hit: Hit) -> Result<Accepted, DropReason> {
        self.put_dvc(&mut hit);
        let site = self.validate_site(&hit.site)?;
        let url = steps::parse_page_url(&hit.url)?;
        let hostname = steps::check_hostname(&site, &url)?;
        let search = steps::put_site_search(&mut hit, &url, &site)?;
        let ua = self.put_user_agent(&hit.user_agent)?;
        let geo = self.geo.lookup(hit.client_ip);
        let utm = crate::enrich::utm::utm_from_url(&url).or(&hit.fields.campaign);
        let referrer =
            crate::enrich::referrer::classify(hit.referrer.as_deref(), &utm, &site.domains);
        let now = hit.time.timestamp().clamp(0, i64::from(u32::MAX)) as u32;
        let visitor_id = self.put_visitor_id(&site.code, &hit, now)?;
        let ctx = steps::EventContext {
            hit: &hit,
            url: &url,
            hostname: &hostname,
            ua: &ua,
            geo: &geo,
            utm: &utm,
            referrer: &referrer,
            search: search.as_ref(),
            visitor_id,
        };
        let touch = self.register_session(&ctx, now);
        let session_id = touch.session_id();
        let mut records: Vec<Record> = touch
            .into_rows()
            .into_iter()
            .map(|r| Record::Session(Box::new(r)))
            .collect();
        records.push(Record::Event(Box::new(steps::event_row(&ctx, session_id))));
        Ok(Accepted {
            records,
            session_id,
            hostname,
        })
    }
}
