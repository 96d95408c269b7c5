//! What one client may ask of the collector: a rate per client address on the beacon
//! endpoints, a deadline for receiving a request body, and the HTTP/1 head limits that
//! [`crate::server::serve`] applies (header read timeout, header size).
//!
//! - Rate: a keyed GCRA limiter (`governor`), keyed by the client address as
//!   [`crate::client_ip::TrustedProxies::client_ip`] computes it — IPv4 per address, IPv6 per
//!   /64 (one subscriber gets a whole /64, so a per-/128 key would limit nothing). Over the
//!   rate: `429 {"error":"rate limited"}`, counted as `emc_rejected_total{reason="rate_limited"}`
//!   and in the connection log's counts like every refusal (never in the spool). Keys whose state is back to
//!   "fresh" are dropped every [`SWEEP_EVERY`], so memory follows the clients of the last
//!   seconds, not every address ever seen.
//! - Body: the whole body must arrive within `EMC_READ_TIMEOUT_MS` of the request head; a client
//!   that trickles it gets `408 {"error":…}` (counted, logged, reason `timeout`) and hyper
//!   closes the connection, whose body was not read to its end.
use crate::client_ip::canonical;
use crate::ingest::{Endpoint, Rejection, RequestInfo};
use crate::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clap::Args;
use governor::{DefaultKeyedRateLimiter, Quota};
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// How often idle limiter keys are dropped.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// The flags of the limits (flattened into `ServeConfig`).
#[derive(Debug, Clone, Args)]
pub struct LimitsConfig {
    /// Requests per second one client address (IPv6: one /64) may send to /api/event,
    /// /tracking and /matomo.php; more get 429. 0 = no limit.
    #[arg(long, env = "EMC_RATE_LIMIT_PER_SEC", default_value_t = LimitsConfig::default().rate_limit_per_sec)]
    pub rate_limit_per_sec: u32,
    /// Requests a client may send at once before the rate applies.
    #[arg(long, env = "EMC_RATE_LIMIT_BURST", default_value_t = LimitsConfig::default().rate_limit_burst)]
    pub rate_limit_burst: u32,
    /// Longest wait for a request's head, and for its whole body: slower clients are cut
    /// (connection closed, or 408 once the head has arrived).
    #[arg(long, env = "EMC_READ_TIMEOUT_MS", default_value_t = LimitsConfig::default().read_timeout_ms)]
    pub read_timeout_ms: u64,
    /// Largest request head (request line and headers), bytes; larger is refused with 431.
    #[arg(long, env = "EMC_MAX_HEADER_BYTES", default_value_t = LimitsConfig::default().max_header_bytes)]
    pub max_header_bytes: usize,
}

impl Default for LimitsConfig {
    /// The flags' defaults (clap takes them from here).
    fn default() -> Self {
        LimitsConfig {
            rate_limit_per_sec: 100,
            rate_limit_burst: 200,
            read_timeout_ms: 10_000,
            max_header_bytes: 32 * 1024,
        }
    }
}

impl LimitsConfig {
    /// The defaults without a rate limit (tests that do not test the limit).
    pub fn no_rate_limit() -> Self {
        LimitsConfig {
            rate_limit_per_sec: 0,
            ..LimitsConfig::default()
        }
    }

    pub fn read_timeout(&self) -> Duration {
        Duration::from_millis(self.read_timeout_ms.max(1))
    }
}

/// The limits the routes apply, shared through `AppState`.
pub struct Limits {
    rate: Option<DefaultKeyedRateLimiter<IpAddr>>,
    pub read_timeout: Duration,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("rate_limited", &self.rate.is_some())
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

impl Limits {
    pub fn new(cfg: &LimitsConfig) -> Limits {
        let rate = NonZeroU32::new(cfg.rate_limit_per_sec).map(|per_sec| {
            let burst = NonZeroU32::new(cfg.rate_limit_burst)
                .unwrap_or(per_sec)
                .max(per_sec);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(per_sec).allow_burst(burst))
        });
        Limits {
            rate,
            read_timeout: cfg.read_timeout(),
        }
    }

    /// Whether `client` may send one more request now.
    pub fn allow(&self, client: IpAddr) -> bool {
        self.rate
            .as_ref()
            .is_none_or(|r| r.check_key(&key(client)).is_ok())
    }

    /// Client addresses the limiter remembers.
    pub fn tracked_clients(&self) -> usize {
        self.rate.as_ref().map_or(0, |r| r.len())
    }

    /// Forgets clients whose allowance is full again (they are indistinguishable from new ones).
    pub fn sweep(&self) {
        if let Some(r) = &self.rate {
            r.retain_recent();
            r.shrink_to_fit();
        }
    }
}

/// IPv4 as is; IPv6 cut to its /64.
fn key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

/// Sweeps the limiter every [`SWEEP_EVERY`].
pub fn spawn_sweeper(limits: Arc<Limits>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        loop {
            tick.tick().await;
            limits.sweep();
        }
    })
}

/// Middleware: `429` for a client over its rate, logged and counted as a rejection.
pub async fn rate_limit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let xff = crate::client_ip::forwarded_for(req.headers());
    if state
        .limits
        .allow(state.trusted.client_ip(peer.ip(), xff.as_deref()))
    {
        return next.run(req).await;
    }
    let endpoint = Endpoint::of_path(req.uri().path());
    let info = RequestInfo::new(&state.trusted, endpoint, peer, req.headers());
    state
        .ingest
        .refuse(&info, "", Rejection::RateLimited)
        .into_response()
}

/// Middleware: the request body must be complete within `read_timeout` of now.
pub async fn body_deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if http_body::Body::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    let timeout = state.limits.read_timeout;
    next.run(req.map(|body| Body::new(DeadlineBody::new(body, timeout))))
        .await
}

/// The error a body read fails with once its deadline has passed.
#[derive(Debug, thiserror::Error)]
#[error("not received within {0:?}")]
pub struct BodyTimeout(pub Duration);

/// Whether a body-read error is (caused by) a [`BodyTimeout`].
pub fn is_body_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| e.is::<BodyTimeout>())
}

/// A body that fails with [`BodyTimeout`] when it is still incomplete at its deadline
/// (one deadline for the whole body, not an idle timeout a trickle of bytes could reset).
/// The timer is armed only when the body is not already there: a beacon's body usually
/// arrives with its head, and then costs no timer at all (profiled under `make bench`).
pub struct DeadlineBody {
    inner: Body,
    deadline: tokio::time::Instant,
    sleep: Option<Pin<Box<Sleep>>>,
    timeout: Duration,
}

impl DeadlineBody {
    pub fn new(inner: Body, timeout: Duration) -> Self {
        DeadlineBody {
            inner,
            deadline: tokio::time::Instant::now() + timeout,
            sleep: None,
            timeout,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let deadline = this.deadline;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(Into::into))),
            Poll::Pending => match this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)))
                .as_mut()
                .poll(cx)
            {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimeout(this.timeout))))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn ipv6_clients_share_their_64() {
        let cases = [
            ("203.113.1.2", "203.113.1.2"),
            ("::ffff:203.113.1.2", "203.113.1.2"),
            ("2402:800:6315:1a2b:1:2:3:4", "2402:800:6315:1a2b::"),
            ("2402:800:6315:1a2b:ffff::1", "2402:800:6315:1a2b::"),
        ];
        for (ip, want) in cases {
            assert_eq!(key(ip.parse().unwrap()).to_string(), want, "{ip}");
        }
    }

    #[test]
    fn the_rate_is_per_client_and_off_at_zero() {
        let cfg = LimitsConfig {
            rate_limit_per_sec: 1,
            rate_limit_burst: 3,
            ..LimitsConfig::default()
        };
        let limits = Limits::new(&cfg);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            (0..5).filter(|_| limits.allow(a)).count(),
            3,
            "the burst, then nothing within the second"
        );
        assert!(limits.allow(b), "another client has its own allowance");
        assert_eq!(limits.tracked_clients(), 2);
        let off = Limits::new(&LimitsConfig::no_rate_limit());
        assert!((0..10_000).all(|_| off.allow(a)));
        assert_eq!(off.tracked_clients(), 0);
    }

    #[test]
    fn the_sweep_forgets_clients_whose_allowance_is_full_again() {
        let limits = Limits::new(&LimitsConfig {
            rate_limit_per_sec: 1000,
            rate_limit_burst: 1000,
            ..LimitsConfig::default()
        });
        for i in 0..10_000u32 {
            limits.allow(IpAddr::from(i.to_be_bytes()));
        }
        assert_eq!(limits.tracked_clients(), 10_000);
        std::thread::sleep(Duration::from_millis(50));
        limits.sweep();
        assert_eq!(
            limits.tracked_clients(),
            0,
            "memory follows recent clients only"
        );
    }

    /// One byte every 50 ms, forever.
    struct Trickle(Pin<Box<Sleep>>);

    impl http_body::Body for Trickle {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            std::task::ready!(self.0.as_mut().poll(cx));
            self.0
                .as_mut()
                .reset(tokio::time::Instant::now() + Duration::from_millis(50));
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
        }
    }

    #[tokio::test]
    async fn a_trickled_body_fails_at_its_deadline() {
        let trickle = Body::new(Trickle(Box::pin(tokio::time::sleep(Duration::ZERO))));
        let started = std::time::Instant::now();
        let err = DeadlineBody::new(trickle, Duration::from_millis(300))
            .collect()
            .await
            .unwrap_err();
        assert!(is_body_timeout(&*err), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        let quick = DeadlineBody::new(Body::from("abc"), Duration::from_millis(300))
            .collect()
            .await
            .unwrap();
        assert_eq!(quick.to_bytes(), "abc");
    }
}
