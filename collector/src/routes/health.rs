//! `GET /healthz`: 200 when ClickHouse answers and the data folder is writable.
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let clickhouse = emc_sql::server::ping(&state.clickhouse_url).await;
    let probe = state.data_dir.join(".healthz");
    let writable = std::fs::write(&probe, b"ok").is_ok();
    let ok = clickhouse && writable;
    let mut problems = Vec::new();
    if !clickhouse {
        problems.push("clickhouse unreachable");
    }
    if !writable {
        problems.push("data directory not writable");
    }
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "degraded" },
        "clickhouse": clickhouse,
        "data_dir_writable": writable,
        "problems": problems,
        "open_sessions": state.pipeline.sessions.len(),
        "sites": state.pipeline.registry.len(),
    });
    (status, Json(body))
}
