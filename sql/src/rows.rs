//! Row types written by the collector, one per table. Field names are column names;
//! `DateTime` columns are Unix seconds (`u32`), sub-second parts a separate `*_ms` column.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One accepted hit: a page view, an engagement ping or a custom event.
#[derive(Debug, Clone, Default, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct EventRow {
    pub site: String,
    pub timestamp: u32,
    pub timestamp_ms: u16,
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    pub batch_id: u64,
    pub name: String,
    /// `beacon`, `matomo` or `import`.
    pub origin: String,
    pub visitor_id: u64,
    /// 0 when the hit belongs to no session (an engagement ping after the session ended).
    pub session_id: u64,
    pub hostname: String,
    pub pathname: String,
    pub is_https: u8,
    pub title: String,
    pub referrer: String,
    pub referrer_source: String,
    pub source: String,
    pub utm_source: String,
    pub utm_medium: String,
    pub utm_campaign: String,
    pub utm_content: String,
    pub utm_term: String,
    pub country_code: String,
    pub region: String,
    pub city: String,
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub os_version: String,
    pub device: String,
    pub screen_width: u16,
    pub engaged_ms: u32,
    pub ttfb: u32,
    pub fcp: u32,
    pub lcp: u32,
    pub load: u32,
    pub response: u32,
    pub emc_label: u8,
    pub dc_elements: Vec<String>,
    pub props_keys: Vec<String>,
    pub props_values: Vec<String>,
    /// Site search (`name = 'site_search'`): the keyword, its category, and the number of
    /// results the site reported (`None`: not reported). Empty on other hits.
    pub search_keyword: String,
    pub search_category: String,
    pub search_count: Option<u32>,
}

/// One state of a session; written as a `-1`/`+1` pair on every change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, clickhouse::Row, Serialize, Deserialize)]
pub struct SessionRow {
    pub site: String,
    pub session_id: u64,
    pub sign: i8,
    pub visitor_id: u64,
    pub start: u32,
    pub timestamp: u32,
    pub hostname: String,
    pub entry_page: String,
    pub exit_page: String,
    pub pageviews: u32,
    pub events: u32,
    pub duration: u32,
    pub is_bounce: u8,
    pub referrer: String,
    pub referrer_source: String,
    pub source: String,
    pub utm_source: String,
    pub utm_medium: String,
    pub utm_campaign: String,
    pub utm_content: String,
    pub utm_term: String,
    pub country_code: String,
    pub region: String,
    pub city: String,
    pub browser: String,
    pub os: String,
    pub device: String,
    pub screen_width: u16,
    /// The spooled request group this row came from (idempotent replays look it up).
    pub batch_id: u64,
}

/// One request to the collector, accepted or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct ConnectionLogRow {
    pub received_at: u32,
    pub received_ms: u16,
    pub site: String,
    pub endpoint: String,
    pub status: u16,
    /// `ok` or the rejection / drop reason (`unknown_site`, `hostname_mismatch`, `bot:crawler`…).
    pub reason: String,
    pub hostname: String,
    /// The client address truncated to its network (IPv4 /24, IPv6 /48), never the address.
    pub client_net: String,
    pub user_agent: String,
    pub bytes: u32,
    pub latency_us: u32,
    /// The spooled request group this row came from (idempotent replays look it up).
    pub batch_id: u64,
    /// How many requests the row stands for: 1 for an accepted request; refusals are counted
    /// per minute, site, endpoint, status, reason, network and hostname. Readers `sum(count)`.
    pub count: u32,
}
