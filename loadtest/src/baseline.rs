//! `emc-loadtest baseline-server`: the bare HTTP beacon path on this machine. The same server
//! as the collector (its accept loop and HTTP/1 settings, `emc_collector::server::serve`,
//! with the default head limits), the same JSON decoding (the collector's own decoder), and
//! nothing else: no validation against the registry, no enrichment, no sessions, no
//! storage. Its throughput is the ceiling the collector is measured against.
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

/// `POST /api/event` (202 when the beacon decodes, 400 when not), `GET|POST /tracking` and
/// `/matomo.php` (204 when `idsite` is present), `GET /healthz`.
pub fn router() -> Router {
    Router::new()
        .route("/api/event", post(event))
        .route("/tracking", get(matomo).post(matomo_post))
        .route("/matomo.php", get(matomo).post(matomo_post))
        .route("/healthz", get(|| async { "ok" }))
}

async fn event(body: Bytes) -> StatusCode {
    match emc_collector::beacon::decode(&body) {
        Ok(_) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

fn matomo_status(query: &[u8]) -> StatusCode {
    if form_urlencoded::parse(query).any(|(k, v)| k == "idsite" && !v.is_empty()) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::BAD_REQUEST
    }
}

async fn matomo(uri: axum::http::Uri) -> StatusCode {
    matomo_status(uri.query().unwrap_or_default().as_bytes())
}

async fn matomo_post(uri: axum::http::Uri, body: Bytes) -> StatusCode {
    let q = uri.query().unwrap_or_default();
    if q.is_empty() {
        matomo_status(&body)
    } else {
        matomo_status(q.as_bytes())
    }
}

/// Serves until the process is stopped, on the collector's own server loop: the same hyper
/// connection settings (head read timeout and size), `TCP_NODELAY`, one task per connection.
pub async fn serve(addr: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("binding {addr}: {e}"))?;
    eprintln!(
        "baseline-server listening on http://{}",
        listener.local_addr()?
    );
    let limits = emc_collector::limits::LimitsConfig::default();
    emc_collector::server::serve(listener, router(), &limits, std::future::pending()).await;
    Ok(())
}
