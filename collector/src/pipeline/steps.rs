//! The named steps of the pipeline, each with one job.
use super::{Hit, Pipeline};
use crate::enrich::geo::GeoInfo;
use crate::enrich::referrer::ReferrerInfo;
use crate::enrich::site_search::{self, SiteSearch};
use crate::enrich::user_agent::{BotKind, UaInfo, UaVerdict};
use crate::enrich::utm::Utm;
use crate::registry_cache::SiteEntry;
use crate::salt::visitor_id;
use crate::session::Touch;
use emc_sql::rows::{EventRow, SessionRow};
use std::sync::Arc;
use url::Url;

pub const MAX_URL: usize = 4096;
pub const MAX_PATH: usize = 1024;
pub const MAX_TITLE: usize = 512;
pub const MAX_REFERRER: usize = 1024;

/// Why a hit was not stored. Each maps to a status, and a reason that is counted in
/// `/metrics` and written to the connection log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropReason {
    #[error("{field}: {message}")]
    Malformed { field: String, message: String },
    #[error("site: unknown site {0:?}")]
    UnknownSite(String),
    #[error("url: host {host:?} is not among the domains of site {site}")]
    HostnameMismatch { host: String, site: String },
    #[error("bot ({})", .0.as_str())]
    Bot(BotKind),
    #[error("internal: {0}")]
    Internal(String),
}

impl DropReason {
    pub fn status(&self) -> u16 {
        match self {
            DropReason::Malformed { .. } => 400,
            DropReason::UnknownSite(_) => 404,
            DropReason::HostnameMismatch { .. } => 403,
            DropReason::Bot(_) => 202,
            DropReason::Internal(_) => 500,
        }
    }

    /// The short reason of metrics and the connection log.
    pub fn reason(&self) -> &'static str {
        match self {
            DropReason::Malformed { .. } => "malformed",
            DropReason::UnknownSite(_) => "unknown_site",
            DropReason::HostnameMismatch { .. } => "hostname_mismatch",
            DropReason::Bot(BotKind::Crawler) => "bot:crawler",
            DropReason::Bot(BotKind::Headless) => "bot:headless",
            DropReason::Bot(BotKind::Tool) => "bot:tool",
            DropReason::Bot(BotKind::Empty) => "bot:empty_ua",
            DropReason::Internal(_) => "internal",
        }
    }

    pub fn malformed(field: &str, message: impl Into<String>) -> Self {
        DropReason::Malformed {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything one event row is built from.
pub struct EventContext<'a> {
    pub hit: &'a Hit,
    pub url: &'a Url,
    pub hostname: &'a str,
    pub ua: &'a UaInfo,
    pub geo: &'a GeoInfo,
    pub utm: &'a Utm,
    pub referrer: &'a ReferrerInfo,
    pub search: Option<&'a SiteSearch>,
    pub visitor_id: u64,
}

pub fn parse_page_url(raw: &str) -> Result<Url, DropReason> {
    if raw.len() > MAX_URL {
        return Err(DropReason::malformed(
            "url",
            format!("longer than {MAX_URL} bytes"),
        ));
    }
    let url = Url::parse(raw).map_err(|e| DropReason::malformed("url", e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(DropReason::malformed("url", "must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(DropReason::malformed("url", "has no host"));
    }
    Ok(url)
}

pub fn check_hostname(site: &SiteEntry, url: &Url) -> Result<String, DropReason> {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if site.owns_host(&host) {
        Ok(host)
    } else {
        Err(DropReason::HostnameMismatch {
            host,
            site: site.code.clone(),
        })
    }
}

/// `put_site_search`: Matomo's search fields, a `site_search` event, or a page view whose URL
/// carries one of the site's search parameters make the hit a site search (renamed
/// `site_search`: not a page view); the keyword, category and count are returned for its row.
pub fn put_site_search(
    hit: &mut Hit,
    url: &Url,
    site: &SiteEntry,
) -> Result<Option<SiteSearch>, DropReason> {
    let found = match hit.fields.search.take() {
        Some(s) => Some(s),
        None if hit.name == site_search::EVENT => {
            let (search, rest) = site_search::from_props(std::mem::take(&mut hit.props))
                .map_err(|message| DropReason::malformed("props.name", message))?;
            hit.props = rest;
            Some(search)
        }
        None if hit.name == "pageview" => site_search::from_url(url, &site.search_params),
        None => None,
    };
    if found.is_some() {
        site_search::EVENT.clone_into(&mut hit.name);
    }
    Ok(found)
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

impl Pipeline {
    pub(super) fn validate_site(&self, code: &str) -> Result<Arc<SiteEntry>, DropReason> {
        self.registry
            .get(code)
            .ok_or_else(|| DropReason::UnknownSite(code.to_owned()))
    }

    /// Hashes dossier ids and drops applicants' names and ID numbers (crate::dvc), first,
    /// so nothing later can store or log them.
    pub(super) fn put_dvc(&self, hit: &mut Hit) {
        hit.props = crate::dvc::sanitize(&self.dvc, &hit.name, std::mem::take(&mut hit.props));
    }

    pub(super) fn put_user_agent(&self, ua: &str) -> Result<Arc<UaInfo>, DropReason> {
        match self.ua.parse(ua) {
            UaVerdict::Human(info) => Ok(info),
            UaVerdict::Bot(kind) => Err(DropReason::Bot(kind)),
        }
    }

    /// Today's id, unless the visitor has a session still open under yesterday's salt
    /// (a visit across midnight UTC stays one visit).
    pub(super) fn put_visitor_id(
        &self,
        site: &str,
        hit: &Hit,
        now: u32,
    ) -> Result<u64, DropReason> {
        let (today, yesterday) = self
            .salts
            .keys(hit.time)
            .map_err(|e| DropReason::Internal(e.to_string()))?;
        let id = visitor_id(&today, site, hit.client_ip, &hit.user_agent);
        if let Some(y) = yesterday.filter(|_| !self.sessions.is_open(id, now)) {
            let old = visitor_id(&y, site, hit.client_ip, &hit.user_agent);
            if self.sessions.is_open(old, now) {
                return Ok(old);
            }
        }
        Ok(id)
    }

    pub(super) fn register_session(&self, ctx: &EventContext<'_>, now: u32) -> Touch {
        let path = cut(ctx.url.path(), MAX_PATH);
        self.sessions
            .touch(ctx.visitor_id, ctx.hit.kind(), now, &path, || {
                session_row(ctx)
            })
    }
}

/// The fixed attributes of a new session (times and counters are set by the transition).
fn session_row(ctx: &EventContext<'_>) -> SessionRow {
    SessionRow {
        site: ctx.hit.site.clone(),
        session_id: rand::random::<u64>().max(1),
        sign: 1,
        visitor_id: ctx.visitor_id,
        hostname: ctx.hostname.to_owned(),
        referrer: ctx.referrer.referrer.clone(),
        referrer_source: ctx.referrer.source.clone(),
        source: ctx.referrer.class.as_str().to_owned(),
        utm_source: ctx.utm.source.clone(),
        utm_medium: ctx.utm.medium.clone(),
        utm_campaign: ctx.utm.campaign.clone(),
        utm_content: ctx.utm.content.clone(),
        utm_term: ctx.utm.term.clone(),
        country_code: ctx.geo.country_code.clone(),
        region: ctx.geo.region.clone(),
        city: ctx.geo.city.clone(),
        browser: ctx.ua.browser.clone(),
        os: ctx.ua.os.clone(),
        device: ctx.ua.device.clone(),
        screen_width: ctx.hit.screen_width.unwrap_or(0),
        ..SessionRow::default()
    }
}

pub fn event_row(ctx: &EventContext<'_>, session_id: u64) -> EventRow {
    let hit = ctx.hit;
    let (keys, values) = hit.props.iter().cloned().unzip();
    EventRow {
        site: hit.site.clone(),
        timestamp: hit.time.timestamp().clamp(0, i64::from(u32::MAX)) as u32,
        timestamp_ms: hit.time.timestamp_subsec_millis().min(999) as u16,
        // Random v4 from the thread-local generator: no getrandom syscall per event.
        event_id: uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        batch_id: 0,
        name: hit.name.clone(),
        origin: hit.origin.as_str().to_owned(),
        visitor_id: ctx.visitor_id,
        session_id,
        hostname: ctx.hostname.to_owned(),
        pathname: cut(ctx.url.path(), MAX_PATH),
        is_https: u8::from(ctx.url.scheme() == "https"),
        title: cut(hit.title.as_deref().unwrap_or_default(), MAX_TITLE),
        referrer: cut(&ctx.referrer.referrer, MAX_REFERRER),
        referrer_source: ctx.referrer.source.clone(),
        source: ctx.referrer.class.as_str().to_owned(),
        utm_source: ctx.utm.source.clone(),
        utm_medium: ctx.utm.medium.clone(),
        utm_campaign: ctx.utm.campaign.clone(),
        utm_content: ctx.utm.content.clone(),
        utm_term: ctx.utm.term.clone(),
        country_code: ctx.geo.country_code.clone(),
        region: ctx.geo.region.clone(),
        city: ctx.geo.city.clone(),
        browser: ctx.ua.browser.clone(),
        browser_version: ctx.ua.browser_version.clone(),
        os: ctx.ua.os.clone(),
        os_version: ctx.ua.os_version.clone(),
        device: ctx.ua.device.clone(),
        screen_width: hit.screen_width.unwrap_or(0),
        engaged_ms: hit.engaged_ms.unwrap_or(0),
        ttfb: hit.timing.ttfb.unwrap_or(0),
        fcp: hit.timing.fcp.unwrap_or(0),
        lcp: hit.timing.lcp.unwrap_or(0),
        load: hit.timing.load.unwrap_or(0),
        response: hit.timing.response.unwrap_or(0),
        emc_label: u8::from(hit.meta.emc_label.unwrap_or(false)),
        dc_elements: hit.meta.dc.clone(),
        props_keys: keys,
        props_values: values,
        search_keyword: ctx.search.map(|s| s.keyword.clone()).unwrap_or_default(),
        search_category: ctx.search.map(|s| s.category.clone()).unwrap_or_default(),
        search_count: ctx.search.and_then(|s| s.count),
    }
}
