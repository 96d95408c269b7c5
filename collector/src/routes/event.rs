//! `POST /api/event`: accept → decode → pipeline → queue, and one connection-log row per request.
use super::ApiError;
use crate::beacon::{self, Beacon};
use crate::client_ip::truncate;
use crate::metrics::{EndpointLabel, ReasonLabel};
use crate::pipeline::{DropReason, Hit, Origin};
use crate::queue::Record;
use crate::spool::PushError;
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use emc_sql::rows::ConnectionLogRow;
use http_body_util::BodyExt;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

/// What one request was, for the connection log.
pub struct RequestInfo {
    pub endpoint: &'static str,
    pub started: Instant,
    pub received: chrono::DateTime<Utc>,
    pub client_ip: IpAddr,
    pub user_agent: String,
    pub bytes: usize,
}

impl RequestInfo {
    pub fn new(
        state: &AppState,
        endpoint: &'static str,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Self {
        let xff = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        RequestInfo {
            endpoint,
            started: Instant::now(),
            received: Utc::now(),
            client_ip: state.trusted.client_ip(peer.ip(), xff),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            bytes: 0,
        }
    }

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
            endpoint: self.endpoint.to_owned(),
            status,
            reason: reason.to_owned(),
            hostname: hostname.to_owned(),
            client_net: truncate(self.client_ip),
            user_agent: self.user_agent.chars().take(512).collect(),
            bytes: self.bytes.min(u32::MAX as usize) as u32,
            latency_us: self.started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32,
            // Set to the group's id when it is queued.
            batch_id: 0,
        }
    }
}

pub async fn post_event(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut info = RequestInfo::new(&state, "event", peer, &headers);
    if let Err(e) = check_content_type(&headers) {
        return finish(&state, &info, "", "", Err(e)).await;
    }
    let bytes = match read_limited(body, state.max_body_bytes).await {
        Ok(b) => b,
        Err(e) => return finish(&state, &info, "", "", Err(e)).await,
    };
    info.bytes = bytes.len();
    let beacon = match beacon::decode(&bytes) {
        Ok(b) => b,
        Err(e) => {
            return finish(
                &state,
                &info,
                "",
                "",
                Err(ApiError::new(400, "malformed", e.to_string())),
            )
            .await
        }
    };
    let hit = hit_from_beacon(beacon, &info, Origin::Beacon);
    ingest(&state, &info, hit).await
}

/// Runs a hit through the pipeline and answers as the contract says.
pub async fn ingest(state: &AppState, info: &RequestInfo, hit: Hit) -> Response {
    let site = hit.site.clone();
    match state.pipeline.process(hit) {
        Ok(accepted) => {
            let mut records = accepted.records;
            let log = info.log_row(&site, &accepted.hostname, 202, "ok");
            records.push(Record::Connection(Box::new(log)));
            if let Err(e) = state.queue.push(records).await {
                return refused(state, e);
            }
            state
                .metrics
                .accepted
                .get_or_create(&EndpointLabel {
                    endpoint: info.endpoint,
                })
                .inc();
            StatusCode::ACCEPTED.into_response()
        }
        Err(DropReason::Bot(kind)) => {
            state
                .metrics
                .bots_dropped
                .get_or_create(&ReasonLabel {
                    reason: kind.as_str(),
                })
                .inc();
            let reason = DropReason::Bot(kind).reason();
            let _ = state
                .queue
                .push(vec![Record::Connection(Box::new(
                    info.log_row(&site, "", 202, reason),
                ))])
                .await;
            StatusCode::ACCEPTED.into_response()
        }
        Err(e) => {
            if let DropReason::Internal(detail) = &e {
                tracing::error!(detail, "pipeline failure");
            }
            finish(
                state,
                info,
                &site,
                "",
                Err(ApiError::new(e.status(), e.reason(), e.to_string())),
            )
            .await
        }
    }
}

/// The answer when the spool did not take a group: `429` when it is full (ClickHouse is
/// behind; the client may retry), `503` when stopping or the disk fails. Not spooled, so no
/// connection-log row: counted in `emc_rejected_total` (and `emc_spool_full_total`).
fn refused(state: &AppState, e: PushError) -> Response {
    let err = match &e {
        PushError::Full { .. } => ApiError::new(429, "spool_full", format!("spool full: {e}")),
        PushError::Closed => ApiError::new(503, "shutting_down", "the collector is shutting down"),
        PushError::Io(detail) => {
            tracing::error!(detail, "spool write failed");
            ApiError::new(503, "spool_unwritable", "the spool could not be written")
        }
    };
    state.metrics.reject(err.reason);
    let mut res = err.into_response();
    if matches!(e, PushError::Full { .. }) {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    res
}

/// Logs and counts a rejected request, then answers it.
pub async fn finish(
    state: &AppState,
    info: &RequestInfo,
    site: &str,
    host: &str,
    result: Result<(), ApiError>,
) -> Response {
    match result {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => {
            state.metrics.reject(e.reason);
            let row = info.log_row(site, host, e.status.as_u16(), e.reason);
            let _ = state
                .queue
                .push(vec![Record::Connection(Box::new(row))])
                .await;
            e.into_response()
        }
    }
}

pub fn hit_from_beacon(b: Beacon, info: &RequestInfo, origin: Origin) -> Hit {
    Hit {
        site: b.site.into_string(),
        name: b.name,
        url: b.url,
        referrer: b.referrer,
        title: b.title,
        screen_width: b.screen_width,
        engaged_ms: b.engaged_ms,
        timing: b.timing,
        meta: b.meta,
        props: b
            .props
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.into_text().chars().take(beacon::MAX_PROP_VALUE).collect(),
                )
            })
            .collect(),
        client_ip: info.client_ip,
        user_agent: info.user_agent.clone(),
        time: info.received,
        origin,
        fields: Default::default(),
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" | "text/plain" => Ok(()),
        "" => Err(ApiError::new(
            415,
            "content_type",
            "content-type: send application/json or text/plain",
        )),
        other => Err(ApiError::new(
            415,
            "content_type",
            format!("content-type: {other} is not accepted; send application/json or text/plain"),
        )),
    }
}

/// Reads the body up to `limit` bytes; more is a 413, a body not complete by its deadline
/// (`limits::body_deadline`) a 408.
pub async fn read_limited(body: Body, limit: usize) -> Result<bytes::Bytes, ApiError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::new(
                413,
                "too_large",
                format!("body: larger than {limit} bytes"),
            ))
        }
        Err(e) if crate::limits::is_body_timeout(&*e) => {
            Err(ApiError::new(408, "timeout", format!("body: {e}")))
        }
        Err(e) => Err(ApiError::new(400, "malformed", format!("body: {e}"))),
    }
}
