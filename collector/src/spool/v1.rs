//! Format version 1 (the first release's): the rows exactly as that binary laid them out, kept
//! so that segments it spooled still replay after the row types gained columns. Frozen: never
//! edit these types; a new layout is a new version with its own module.
use crate::queue::Record;
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub enum RecordV1 {
    Event(Box<EventV1>),
    Session(Box<SessionV1>),
    Connection(Box<ConnectionV1>),
}

#[derive(Debug, Deserialize)]
pub struct EventV1 {
    site: String,
    timestamp: u32,
    timestamp_ms: u16,
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    batch_id: u64,
    name: String,
    origin: String,
    visitor_id: u64,
    session_id: u64,
    hostname: String,
    pathname: String,
    is_https: u8,
    title: String,
    referrer: String,
    referrer_source: String,
    source: String,
    utm_source: String,
    utm_medium: String,
    utm_campaign: String,
    utm_content: String,
    utm_term: String,
    country_code: String,
    region: String,
    city: String,
    browser: String,
    browser_version: String,
    os: String,
    os_version: String,
    device: String,
    screen_width: u16,
    engaged_ms: u32,
    ttfb: u32,
    fcp: u32,
    lcp: u32,
    load: u32,
    response: u32,
    emc_label: u8,
    dc_elements: Vec<String>,
    props_keys: Vec<String>,
    props_values: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SessionV1 {
    site: String,
    session_id: u64,
    sign: i8,
    visitor_id: u64,
    start: u32,
    timestamp: u32,
    hostname: String,
    entry_page: String,
    exit_page: String,
    pageviews: u32,
    events: u32,
    duration: u32,
    is_bounce: u8,
    referrer: String,
    referrer_source: String,
    source: String,
    utm_source: String,
    utm_medium: String,
    utm_campaign: String,
    utm_content: String,
    utm_term: String,
    country_code: String,
    region: String,
    city: String,
    browser: String,
    os: String,
    device: String,
    screen_width: u16,
    batch_id: u64,
}

#[derive(Debug, Deserialize)]
pub struct ConnectionV1 {
    received_at: u32,
    received_ms: u16,
    site: String,
    endpoint: String,
    status: u16,
    reason: String,
    hostname: String,
    client_net: String,
    user_agent: String,
    bytes: u32,
    latency_us: u32,
    batch_id: u64,
}

impl From<RecordV1> for Record {
    fn from(r: RecordV1) -> Record {
        match r {
            RecordV1::Event(e) => Record::Event(Box::new(EventRow::from(*e))),
            RecordV1::Session(s) => Record::Session(Box::new(SessionRow::from(*s))),
            RecordV1::Connection(c) => Record::Connection(Box::new(ConnectionLogRow::from(*c))),
        }
    }
}

impl From<EventV1> for EventRow {
    fn from(e: EventV1) -> EventRow {
        EventRow {
            site: e.site,
            timestamp: e.timestamp,
            timestamp_ms: e.timestamp_ms,
            event_id: e.event_id,
            batch_id: e.batch_id,
            name: e.name,
            origin: e.origin,
            visitor_id: e.visitor_id,
            session_id: e.session_id,
            hostname: e.hostname,
            pathname: e.pathname,
            is_https: e.is_https,
            title: e.title,
            referrer: e.referrer,
            referrer_source: e.referrer_source,
            source: e.source,
            utm_source: e.utm_source,
            utm_medium: e.utm_medium,
            utm_campaign: e.utm_campaign,
            utm_content: e.utm_content,
            utm_term: e.utm_term,
            country_code: e.country_code,
            region: e.region,
            city: e.city,
            browser: e.browser,
            browser_version: e.browser_version,
            os: e.os,
            os_version: e.os_version,
            device: e.device,
            screen_width: e.screen_width,
            engaged_ms: e.engaged_ms,
            ttfb: e.ttfb,
            fcp: e.fcp,
            lcp: e.lcp,
            load: e.load,
            response: e.response,
            emc_label: e.emc_label,
            dc_elements: e.dc_elements,
            props_keys: e.props_keys,
            props_values: e.props_values,
            // Site search came with version 3.
            search_keyword: String::new(),
            search_category: String::new(),
            search_count: None,
        }
    }
}

impl From<SessionV1> for SessionRow {
    fn from(s: SessionV1) -> SessionRow {
        SessionRow {
            site: s.site,
            session_id: s.session_id,
            sign: s.sign,
            visitor_id: s.visitor_id,
            start: s.start,
            timestamp: s.timestamp,
            hostname: s.hostname,
            entry_page: s.entry_page,
            exit_page: s.exit_page,
            pageviews: s.pageviews,
            events: s.events,
            duration: s.duration,
            is_bounce: s.is_bounce,
            referrer: s.referrer,
            referrer_source: s.referrer_source,
            source: s.source,
            utm_source: s.utm_source,
            utm_medium: s.utm_medium,
            utm_campaign: s.utm_campaign,
            utm_content: s.utm_content,
            utm_term: s.utm_term,
            country_code: s.country_code,
            region: s.region,
            city: s.city,
            browser: s.browser,
            os: s.os,
            device: s.device,
            screen_width: s.screen_width,
            batch_id: s.batch_id,
        }
    }
}

impl From<ConnectionV1> for ConnectionLogRow {
    fn from(c: ConnectionV1) -> ConnectionLogRow {
        ConnectionLogRow {
            received_at: c.received_at,
            received_ms: c.received_ms,
            site: c.site,
            endpoint: c.endpoint,
            status: c.status,
            reason: c.reason,
            hostname: c.hostname,
            client_net: c.client_net,
            user_agent: c.user_agent,
            bytes: c.bytes,
            latency_us: c.latency_us,
            batch_id: c.batch_id,
            // Version 1 wrote one row per request.
            count: 1,
        }
    }
}
