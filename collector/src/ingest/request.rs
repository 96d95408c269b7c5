//! What one request to a beacon endpoint was (for its connection-log row), and the HTTP-level
//! checks every beacon body goes through.
use super::refusals::Refusal;
use super::Rejection;
use crate::client_ip::{truncate, TrustedProxies};
use axum::body::Body;
use axum::http::{header, HeaderMap};
use chrono::{DateTime, Utc};
use emc_sql::rows::ConnectionLogRow;
use http_body_util::BodyExt;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

/// The beacon endpoints, as the connection log and `/metrics` name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /api/event`
    Event,
    /// `/tracking`, `/matomo.php`
    Tracking,
}

impl Endpoint {
    pub fn key(self) -> &'static str {
        match self {
            Endpoint::Event => "event",
            Endpoint::Tracking => "tracking",
        }
    }

    /// The endpoint a request path belongs to (for the middleware in front of both).
    pub fn of_path(path: &str) -> Endpoint {
        if path == "/api/event" {
            Endpoint::Event
        } else {
            Endpoint::Tracking
        }
    }
}

/// What one request was, for the connection log.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub endpoint: Endpoint,
    pub started: Instant,
    pub received: DateTime<Utc>,
    pub client_ip: IpAddr,
    pub user_agent: String,
    pub bytes: usize,
}

impl RequestInfo {
    pub fn new(
        trusted: &TrustedProxies,
        endpoint: Endpoint,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Self {
        let xff = crate::client_ip::forwarded_for(headers);
        RequestInfo {
            endpoint,
            started: Instant::now(),
            received: Utc::now(),
            client_ip: trusted.client_ip(peer.ip(), xff.as_deref()),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            bytes: 0,
        }
    }

    fn latency_us(&self) -> u32 {
        self.started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32
    }

    /// The connection-log row of an accepted request (spooled with its group).
    pub fn log_row(
        &self,
        site: &str,
        hostname: &str,
        status: u16,
        reason: &str,
    ) -> ConnectionLogRow {
        ConnectionLogRow {
            received_at: self.received.timestamp() as u32,
            received_ms: self.received.timestamp_subsec_millis().min(999) as u16,
            site: site.chars().take(64).collect(),
            endpoint: self.endpoint.key().to_owned(),
            status,
            reason: reason.to_owned(),
            hostname: hostname.to_owned(),
            client_net: truncate(self.client_ip),
            user_agent: self.user_agent.chars().take(512).collect(),
            bytes: self.bytes.min(u32::MAX as usize) as u32,
            latency_us: self.latency_us(),
            // Set to the group's id when it is queued.
            batch_id: 0,
            count: 1,
        }
    }

    /// The request as a refusal to count.
    pub fn refusal<'a>(
        &'a self,
        site: &'a str,
        hostname: &'a str,
        status: u16,
        reason: &'static str,
    ) -> Refusal<'a> {
        Refusal {
            received_at: self.received.timestamp().max(0) as u32,
            site,
            endpoint: self.endpoint.key(),
            status,
            reason,
            hostname,
            client_ip: self.client_ip,
            user_agent: &self.user_agent,
            bytes: self.bytes,
            latency_us: self.latency_us(),
        }
    }
}

pub(super) fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("text/plain")
    {
        return Ok(());
    }
    match essence.to_ascii_lowercase().as_str() {
        "" => Err(Rejection::ContentType(
            "content-type: send application/json or text/plain".into(),
        )),
        other => Err(Rejection::ContentType(format!(
            "content-type: {other} is not accepted; send application/json or text/plain"
        ))),
    }
}

/// Reads the body up to `limit` bytes; more is a 413, a body not complete by its deadline
/// (`limits::body_deadline`) a 408.
pub async fn read_limited(body: Body, limit: usize) -> Result<bytes::Bytes, Rejection> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Rejection::TooLarge(format!(
                "body: larger than {limit} bytes"
            )))
        }
        Err(e) if crate::limits::is_body_timeout(&*e) => {
            Err(Rejection::BodyTimeout(format!("body: {e}")))
        }
        Err(e) => Err(Rejection::Malformed(format!("body: {e}"))),
    }
}
