//! The HTTP/1 server of `serve` (and of the tests that need a real socket): hyper with the
//! head limits of [`LimitsConfig`], one task per connection, graceful shutdown.
//!
//! `axum::serve` exposes no header limits, so the accept loop is ours: a client that does
//! not finish its request head within `EMC_READ_TIMEOUT_MS` is disconnected, a head larger
//! than `EMC_MAX_HEADER_BYTES` is answered 431 (hyper), and the body deadline is the
//! router's (`limits::body_deadline`).
use crate::limits::LimitsConfig;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::Service;

/// How long open connections may take to finish their requests after shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The HTTP/1 connection settings of the collector.
pub fn http1_builder(limits: &LimitsConfig) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout())
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(8192) + 8192)
        .keep_alive(true);
    http
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open connections
/// finish (up to [`SHUTDOWN_GRACE`]). Handlers see the peer as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &LimitsConfig,
    shutdown: impl Future<Output = ()>,
) {
    let http = http1_builder(limits);
    let mut make = router.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // EMFILE and friends: wait for connections to close rather than spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(service) = make.call(peer).await;
        let conn = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = SHUTDOWN_GRACE.as_secs(),
            "connections still open after the grace period"
        );
    }
}
