//! `POST /api/event`: the request's outcome from [`crate::ingest`], as HTTP.
use crate::ingest::{Endpoint, Rejection, RequestInfo};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use std::net::SocketAddr;

pub async fn post_event(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, Rejection> {
    let info = RequestInfo::new(&state.trusted, Endpoint::Event, peer, &headers);
    state
        .ingest
        .beacon(info, &headers, body, state.max_body_bytes)
        .await
        .map(|_| StatusCode::ACCEPTED)
}
