//! `GET|POST /tracking` and `/matomo.php`: the Matomo tracking HTTP API (crate::matomo has
//! the parameter mapping) on the same pipeline and statuses as `/api/event`.
//!
//! - `GET ?idsite=…&rec=1&url=…` and `POST` with form parameters in the body (merged with
//!   the query string; the body wins): `204` when `send_image=0`, else `200` with a 1×1 GIF
//!   (Matomo's default). Errors as `/api/event`: `400` naming the parameter, `403`, `404`,
//!   `413` (a body, or a GET query, over `EMC_MAX_BODY_BYTES`), each with `{"error":"…"}`.
//! - `POST {"requests":["?idsite=…",…],"token_auth":"…"}` (bulk, up to 1000 requests, 1 MiB):
//!   each request goes through the pipeline on its own and gets its own connection-log row;
//!   the answer is Matomo's `200 {"status":"success","tracked":N,"invalid":M,
//!   "invalid_indices":[…]}`. A body that is not a bulk body is a `400` naming `requests`.
//!   `cdt` is honoured only here, and only when `token_auth` equals `EMC_MATOMO_TOKEN`.
use crate::ingest::{read_limited, Accepted, Endpoint, Rejection, RequestInfo};
use crate::matomo::{self, Answer, Params};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::net::SocketAddr;
use std::time::Instant;

/// Largest bulk body.
pub const MAX_BULK_BYTES: usize = 1024 * 1024;

/// The 1×1 transparent GIF Matomo answers with.
pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

pub async fn get_tracking(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Rejection> {
    let mut info = RequestInfo::new(&state.trusted, Endpoint::Tracking, peer, &headers);
    let query = query.unwrap_or_default();
    info.bytes = query.len();
    if query.len() > state.max_body_bytes {
        let r = Rejection::TooLarge(format!("query: larger than {} bytes", state.max_body_bytes));
        return Err(state.ingest.refuse(&info, "", r));
    }
    track_one(&state, &info, &Params::parse(&query)).await
}

pub async fn post_tracking(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Response, Rejection> {
    let mut info = RequestInfo::new(&state.trusted, Endpoint::Tracking, peer, &headers);
    let refuse = |info: &RequestInfo, r| state.ingest.refuse(info, "", r);
    let bytes = read_limited(body, MAX_BULK_BYTES.max(state.max_body_bytes))
        .await
        .map_err(|r| refuse(&info, r))?;
    info.bytes = bytes.len();
    if matomo::is_bulk(&bytes) {
        return track_bulk(&state, &info, &bytes).await;
    }
    if bytes.len() > state.max_body_bytes {
        let r = Rejection::TooLarge(format!("body: larger than {} bytes", state.max_body_bytes));
        return Err(refuse(&info, r));
    }
    let Ok(form) = std::str::from_utf8(&bytes) else {
        let r = Rejection::Malformed("body: not UTF-8 form parameters".into());
        return Err(refuse(&info, r));
    };
    let mut params = Params::parse(query.as_deref().unwrap_or_default());
    params.extend(form);
    track_one(&state, &info, &params).await
}

/// One request: decode, pipeline, Matomo's answer.
async fn track_one(
    state: &AppState,
    info: &RequestInfo,
    params: &Params,
) -> Result<Response, Rejection> {
    let _: Accepted = state.ingest.matomo(info, params, false).await?;
    Ok(success(Answer::of(params)))
}

async fn track_bulk(
    state: &AppState,
    info: &RequestInfo,
    body: &[u8],
) -> Result<Response, Rejection> {
    let bulk = matomo::parse_bulk(body).map_err(|e| {
        state
            .ingest
            .refuse(info, "", Rejection::Malformed(e.to_string()))
    })?;
    let trusted = match (&state.matomo_token, &bulk.token_auth) {
        (Some(want), Some(got)) => matomo::same_secret(want, got),
        _ => false,
    };
    let mut tracked = 0u32;
    let mut invalid = Vec::new();
    for (i, query) in bulk.requests.iter().enumerate() {
        let one = RequestInfo {
            started: Instant::now(),
            bytes: query.len(),
            ..info.clone()
        };
        match state
            .ingest
            .matomo(&one, &Params::parse(query), trusted)
            .await
        {
            Ok(_) => tracked += 1,
            // A full spool or a stopping collector refuses the rest of the bulk too.
            Err(r) if r.is_collector_side() => return Err(r),
            Err(_) => invalid.push(i),
        }
    }
    let answer = serde_json::json!({ "status": "success", "tracked": tracked, "invalid": invalid.len(), "invalid_indices": invalid });
    Ok((StatusCode::OK, Json(answer)).into_response())
}

fn success(answer: Answer) -> Response {
    match answer {
        Answer::NoContent => StatusCode::NO_CONTENT.into_response(),
        Answer::Gif => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "image/gif"),
                (header::CACHE_CONTROL, "private, no-cache, no-store"),
            ],
            GIF,
        )
            .into_response(),
    }
}
