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
use super::event::{finish, ingest, read_limited, RequestInfo};
use super::ApiError;
use crate::matomo::{self, Answer, Context, Params};
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
) -> Response {
    let mut info = RequestInfo::new(&state, "tracking", peer, &headers);
    let query = query.unwrap_or_default();
    info.bytes = query.len();
    if query.len() > state.max_body_bytes {
        let e = ApiError::new(
            413,
            "too_large",
            format!("query: larger than {} bytes", state.max_body_bytes),
        );
        return finish(&state, &info, "", "", Err(e)).await;
    }
    track_one(&state, &info, &Params::parse(&query)).await
}

pub async fn post_tracking(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    let mut info = RequestInfo::new(&state, "tracking", peer, &headers);
    let bytes = match read_limited(body, MAX_BULK_BYTES.max(state.max_body_bytes)).await {
        Ok(b) => b,
        Err(e) => return finish(&state, &info, "", "", Err(e)).await,
    };
    info.bytes = bytes.len();
    if matomo::is_bulk(&bytes) {
        return track_bulk(&state, &info, &bytes).await;
    }
    if bytes.len() > state.max_body_bytes {
        let e = ApiError::new(
            413,
            "too_large",
            format!("body: larger than {} bytes", state.max_body_bytes),
        );
        return finish(&state, &info, "", "", Err(e)).await;
    }
    let Ok(form) = std::str::from_utf8(&bytes) else {
        return finish(
            &state,
            &info,
            "",
            "",
            Err(ApiError::new(
                400,
                "malformed",
                "body: not UTF-8 form parameters",
            )),
        )
        .await;
    };
    let mut params = Params::parse(query.as_deref().unwrap_or_default());
    params.extend(form);
    track_one(&state, &info, &params).await
}

/// One request: decode, pipeline, Matomo's answer.
async fn track_one(state: &AppState, info: &RequestInfo, params: &Params) -> Response {
    match ingest_params(state, info, params, false).await {
        Ok(()) => success(Answer::of(params)),
        Err(res) => res,
    }
}

/// Ok when the pipeline accepted the hit (or dropped it as a bot, silently), else the error
/// answer, already logged and counted.
async fn ingest_params(
    state: &AppState,
    info: &RequestInfo,
    params: &Params,
    trusted: bool,
) -> Result<(), Response> {
    let ctx = Context {
        client_ip: info.client_ip,
        user_agent: info.user_agent.clone(),
        received: info.received,
        trusted,
    };
    let site = params.get("idsite").unwrap_or_default();
    let hit = match matomo::decode(params, &ctx) {
        Ok(h) => h,
        Err(e) => {
            return Err(finish(
                state,
                info,
                site,
                "",
                Err(ApiError::new(400, "malformed", e.to_string())),
            )
            .await)
        }
    };
    let res = ingest(state, info, hit).await;
    if res.status() == StatusCode::ACCEPTED {
        Ok(())
    } else {
        Err(res)
    }
}

async fn track_bulk(state: &AppState, info: &RequestInfo, body: &[u8]) -> Response {
    let bulk = match matomo::parse_bulk(body) {
        Ok(b) => b,
        Err(e) => {
            return finish(
                state,
                info,
                "",
                "",
                Err(ApiError::new(400, "malformed", e.to_string())),
            )
            .await
        }
    };
    let trusted = match (&state.matomo_token, &bulk.token_auth) {
        (Some(want), Some(got)) => matomo::same_secret(want, got),
        _ => false,
    };
    let mut tracked = 0u32;
    let mut invalid = Vec::new();
    for (i, query) in bulk.requests.iter().enumerate() {
        let one = RequestInfo {
            started: Instant::now(),
            user_agent: info.user_agent.clone(),
            bytes: query.len(),
            ..*info
        };
        match ingest_params(state, &one, &Params::parse(query), trusted).await {
            Ok(()) => tracked += 1,
            // A full spool or a stopping collector refuses the rest of the bulk too.
            Err(res)
                if res.status().is_server_error()
                    || res.status() == StatusCode::TOO_MANY_REQUESTS =>
            {
                return res
            }
            Err(_) => invalid.push(i),
        }
    }
    let answer = serde_json::json!({ "status": "success", "tracked": tracked, "invalid": invalid.len(), "invalid_indices": invalid });
    (StatusCode::OK, Json(answer)).into_response()
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
