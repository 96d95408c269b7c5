//! `GET /healthz` (live) and `GET /readyz` (ready), read from [`crate::health::Health`]
//! without any I/O.
//!
//! - `/healthz`: `200` while the process answers: `{"status":"ok"}`, or
//!   `{"status":"degraded","problems":[…],"details":[…]}` naming each problem (ClickHouse
//!   unreachable — beacons are spooled —, schema not checked yet, spool full or not writable,
//!   shutting down), with the spool's backlog, the open sessions and the known sites.
//! - `/readyz`: `200 {"status":"ready"}`, or `503 {"status":"not_ready",…}` only when the
//!   collector cannot take beacons (spool full or not writable, shutting down). Load
//!   balancers probe this one: a ClickHouse outage does not take collectors out of rotation.
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let r = state.health.report();
    let body = serde_json::json!({
        "status": if r.problems.is_empty() { "ok" } else { "degraded" },
        "ready": r.ready(),
        "clickhouse": r.clickhouse,
        "schema_checked": r.schema_checked,
        "problems": r.problems,
        "details": r.details,
        "spool": {
            "bytes": r.spool_bytes,
            "segments": r.spool_segments,
            "pending_groups": r.pending_groups,
        },
        "open_sessions": state.ingest.pipeline().sessions().len(),
        "sites": state.ingest.pipeline().registry().len(),
    });
    (StatusCode::OK, Json(body))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let r = state.health.report();
    let ready = r.ready();
    let blocking: Vec<usize> = (0..r.problems.len())
        .filter(|&i| r.problems[i].blocks_ingest())
        .collect();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "problems": blocking.iter().map(|&i| r.problems[i]).collect::<Vec<_>>(),
        "details": blocking.iter().map(|&i| &r.details[i]).collect::<Vec<_>>(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
