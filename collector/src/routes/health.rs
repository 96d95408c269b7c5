//! `GET /healthz`: `200 {"status":"ok"}` when ClickHouse answers and the spool is writable
//! with room left; else `503 {"status":"degraded","problems":[…]}` naming each problem.
//! While ClickHouse is away beacons are still accepted (`202`) into the spool; the backlog
//! is shown here and in `/metrics` (`emc_spool_*`). A collector started while ClickHouse was
//! unreachable stays degraded until its migrations have run (`schema.rs`).
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let clickhouse = emc_sql::server::ping(&state.clickhouse_url).await;
    let spool_dir = state.data_dir.join("spool");
    let writable = std::fs::write(spool_dir.join(".healthz"), b"ok").is_ok();
    let m = &state.metrics;
    let spool_bytes = m.spool_bytes.get().max(0) as u64;
    let pending = m.spool_pending_groups.get().max(0);
    let full = spool_bytes >= state.spool_max_bytes - state.spool_max_bytes / 64;
    let mut problems = Vec::new();
    if !state.schema.is_ready() {
        problems.push(crate::schema::NOT_CHECKED.to_owned());
    }
    if !clickhouse {
        problems.push(format!(
            "clickhouse unreachable at {}; beacons are spooled ({pending} groups waiting)",
            state.clickhouse_url
        ));
    }
    if !writable {
        problems.push(format!(
            "spool directory {} not writable",
            spool_dir.display()
        ));
    }
    if full {
        problems.push(format!(
            "spool full ({spool_bytes} of {} bytes): beacons are answered 429",
            state.spool_max_bytes
        ));
    }
    let ok = problems.is_empty();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "degraded" },
        "clickhouse": clickhouse,
        "schema_checked": state.schema.is_ready(),
        "data_dir_writable": writable,
        "problems": problems,
        "spool": {
            "bytes": spool_bytes,
            "max_bytes": state.spool_max_bytes,
            "segments": m.spool_segments.get(),
            "pending_groups": pending,
        },
        "open_sessions": state.pipeline.sessions.len(),
        "sites": state.pipeline.registry.len(),
    });
    (status, Json(body))
}
