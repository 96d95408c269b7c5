//! Format version 2 (the second release's): events and sessions as version 1 laid them out,
//! connection rows with their `count`. Kept so that segments it spooled still replay after
//! `EventRow` gained the site-search columns. Frozen: never edit these types; a new layout is a
//! new version with its own module.
use super::v1::{EventV1, SessionV1};
use crate::queue::Record;
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub enum RecordV2 {
    Event(Box<EventV1>),
    Session(Box<SessionV1>),
    Connection(Box<ConnectionV2>),
}

#[derive(Debug, Deserialize)]
pub struct ConnectionV2 {
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
    count: u32,
}

impl From<RecordV2> for Record {
    fn from(r: RecordV2) -> Record {
        match r {
            RecordV2::Event(e) => Record::Event(Box::new(EventRow::from(*e))),
            RecordV2::Session(s) => Record::Session(Box::new(SessionRow::from(*s))),
            RecordV2::Connection(c) => Record::Connection(Box::new(ConnectionLogRow::from(*c))),
        }
    }
}

impl From<ConnectionV2> for ConnectionLogRow {
    fn from(c: ConnectionV2) -> ConnectionLogRow {
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
            count: c.count,
        }
    }
}
