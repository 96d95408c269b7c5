//! Hostile input on every public endpoint: each request gets its contract status (a JSON
//! error for a 4xx), nothing panics, and the collector still answers afterwards. Then the
//! per-client rate limit, and slow or oversized clients over a real socket.
use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use emc_collector::limits::LimitsConfig;
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

const PAGE: &str = "https://portal.gov.vn/tin-tuc";
const Q: &str = "idsite=227&rec=1&url=https%3A%2F%2Fportal.gov.vn%2Ftin-tuc";

fn event(body: impl Into<Body>) -> Request<Body> {
    event_as(body, "application/json")
}

fn event_as(body: impl Into<Body>, content_type: &str) -> Request<Body> {
    Request::post("/api/event")
        .header("content-type", content_type)
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "14.160.12.107")
        .body(body.into())
        .unwrap()
}

/// A beacon with `extra` spliced in after the required fields.
fn beacon(url: &str, extra: &str) -> String {
    let url = serde_json::to_string(url).unwrap();
    format!(r#"{{"site":"227","name":"pageview","url":{url}{extra}}}"#)
}

fn tracking(query: &str) -> Request<Body> {
    Request::get(format!("/tracking?{query}"))
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "14.160.12.107")
        .body(Body::empty())
        .unwrap()
}

fn tracking_post(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post("/matomo.php")
        .header("content-type", content_type)
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "14.160.12.107")
        .body(body.into())
        .unwrap()
}

async fn send(r: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = r.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn bulk(n: usize, query: &str) -> String {
    let one = serde_json::to_string(&format!("?{query}")).unwrap();
    format!(r#"{{"requests":[{}]}}"#, vec![one; n].join(","))
}

/// (what, request, expected status, text the JSON error must contain)
fn cases() -> Vec<(&'static str, Request<Body>, StatusCode, &'static str)> {
    use StatusCode as S;
    let mut invalid_utf8 = beacon(PAGE, r#","title":"T"#).into_bytes();
    invalid_utf8.extend_from_slice(b"\xff\xfe\"}");
    let deep_props = beacon(PAGE, &format!(r#","props":{{"a":{}}}"#, "[".repeat(10_000)));
    let long_path = format!("https://portal.gov.vn/{}", "a".repeat(100_000));
    let mid_path = format!("https://portal.gov.vn/{}", "a".repeat(5_000));
    let many_props = (0..31)
        .map(|i| format!(r#""k{i}":"v""#))
        .collect::<Vec<_>>()
        .join(",");
    vec![
        // POST /api/event
        (
            "event: invalid UTF-8",
            event(invalid_utf8),
            S::BAD_REQUEST,
            "title",
        ),
        (
            "event: 10k-deep array",
            event("[".repeat(10_000)),
            S::BAD_REQUEST,
            "recursion",
        ),
        (
            "event: 10k-deep props",
            event(deep_props),
            S::BAD_REQUEST,
            "props",
        ),
        (
            "event: 1 MB JSON",
            event(beacon(
                PAGE,
                &format!(r#","title":"{}""#, "x".repeat(1 << 20)),
            )),
            S::PAYLOAD_TOO_LARGE,
            "body",
        ),
        (
            "event: screen_width 1e400",
            event(beacon(PAGE, r#","screen_width":1e400"#)),
            S::BAD_REQUEST,
            "screen_width",
        ),
        (
            "event: screen_width 2^64",
            event(beacon(PAGE, r#","screen_width":18446744073709551616"#)),
            S::BAD_REQUEST,
            "screen_width",
        ),
        (
            "event: screen_width 70000",
            event(beacon(PAGE, r#","screen_width":70000"#)),
            S::BAD_REQUEST,
            "screen_width",
        ),
        (
            "event: lcp -1",
            event(beacon(PAGE, r#","timing":{"lcp":-1}"#)),
            S::BAD_REQUEST,
            "timing.lcp",
        ),
        (
            "event: site 1e400",
            event(r#"{"site":1e400,"name":"pageview","url":"https://portal.gov.vn/"}"#),
            S::BAD_REQUEST,
            "site",
        ),
        (
            "event: 100 KB URL",
            event(beacon(&long_path, "")),
            S::PAYLOAD_TOO_LARGE,
            "body",
        ),
        (
            "event: 5 KB URL",
            event(beacon(&mid_path, "")),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "event: URL without a host",
            event(beacon("https://", "")),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "event: relative URL",
            event(beacon("/tin-tuc", "")),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "event: javascript: URL",
            event(beacon("javascript:alert(document.cookie)", "")),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "event: file: URL",
            event(beacon("file:///etc/passwd", "")),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "event: unknown fields ignored",
            event(beacon(
                PAGE,
                r#","zzz":{"deep":[1,[2,{"x":null}]]},"__proto__":{"admin":true}"#,
            )),
            S::ACCEPTED,
            "",
        ),
        (
            "event: 31 props",
            event(beacon(PAGE, &format!(r#","props":{{{many_props}}}"#))),
            S::BAD_REQUEST,
            "props",
        ),
        (
            "event: duplicate field",
            event(
                r#"{"site":"227","site":"228","name":"pageview","url":"https://portal.gov.vn/"}"#,
            ),
            S::BAD_REQUEST,
            "site",
        ),
        (
            "event: lone surrogate",
            event(beacon(PAGE, r#","title":"\ud800""#)),
            S::BAD_REQUEST,
            "title",
        ),
        (
            "event: control character in name",
            event(r#"{"site":"227","name":"page\u0000view","url":"https://portal.gov.vn/"}"#),
            S::BAD_REQUEST,
            "name",
        ),
        ("event: JSON null", event("null"), S::BAD_REQUEST, "body"),
        ("event: empty body", event(""), S::BAD_REQUEST, "body"),
        (
            "event: trailing garbage",
            event(format!("{} x", beacon(PAGE, ""))),
            S::BAD_REQUEST,
            "trailing",
        ),
        (
            "event: form content type",
            event_as(beacon(PAGE, ""), "multipart/form-data; boundary=x"),
            S::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
        ),
        // GET /tracking
        (
            "tracking: res=99999999x1",
            tracking(&format!("{Q}&res=99999999x1")),
            S::BAD_REQUEST,
            "res",
        ),
        (
            "tracking: pf_net=-1",
            tracking(&format!("{Q}&pf_net=-1")),
            S::BAD_REQUEST,
            "pf_net",
        ),
        (
            "tracking: pf_srv 2^64",
            tracking(&format!("{Q}&pf_srv=18446744073709551616")),
            S::BAD_REQUEST,
            "pf_srv",
        ),
        (
            "tracking: e_v=1e400",
            tracking(&format!("{Q}&e_c=a&e_a=b&e_v=1e400")),
            S::BAD_REQUEST,
            "e_v",
        ),
        (
            "tracking: idsite empty",
            tracking("idsite=&rec=1&url=https%3A%2F%2Fportal.gov.vn%2F"),
            S::BAD_REQUEST,
            "idsite",
        ),
        (
            "tracking: idsite 65 chars",
            tracking(&Q.replace("227", &"9".repeat(65))),
            S::BAD_REQUEST,
            "idsite",
        ),
        (
            "tracking: rec=2",
            tracking(&Q.replace("rec=1", "rec=2")),
            S::BAD_REQUEST,
            "rec",
        ),
        (
            "tracking: pv_id with symbols",
            tracking(&format!("{Q}&pv_id=%3Cscript%3E")),
            S::BAD_REQUEST,
            "pv_id",
        ),
        (
            "tracking: URL without a host",
            tracking("idsite=227&rec=1&url=https%3A%2F%2F"),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "tracking: javascript: URL",
            tracking("idsite=227&rec=1&url=javascript%3Aalert(1)"),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "tracking: percent-encoded invalid UTF-8",
            tracking("idsite=227&rec=1&url=%FF%FE"),
            S::BAD_REQUEST,
            "url",
        ),
        (
            "tracking: 10k-deep cvar",
            tracking(&format!("{Q}&cvar={}", "[".repeat(10_000))),
            S::BAD_REQUEST,
            "cvar",
        ),
        // The `http` crate refuses URIs over 64 KiB, and the server refuses heads over
        // EMC_MAX_HEADER_BYTES (431, see the socket test); a handler still caps the query.
        (
            "tracking: 60 KB URL",
            tracking(&format!("{Q}%2F{}", "a".repeat(60_000))),
            S::PAYLOAD_TOO_LARGE,
            "query",
        ),
        (
            "tracking: cdt without the token is ignored",
            tracking(&format!("{Q}&cdt=1e400&send_image=0")),
            S::NO_CONTENT,
            "",
        ),
        (
            "tracking: unknown parameters ignored",
            tracking(&format!("{Q}&zzz=1&_id=x&plugin[]=y&send_image=0")),
            S::NO_CONTENT,
            "",
        ),
        // POST /matomo.php: form and bulk bodies
        (
            "tracking: form body not UTF-8",
            tracking_post(
                "application/x-www-form-urlencoded",
                &b"idsite=227&rec=1&url=\xff"[..],
            ),
            S::BAD_REQUEST,
            "UTF-8",
        ),
        (
            "tracking: bulk of 10k requests",
            tracking_post("application/json", bulk(10_000, Q)),
            S::BAD_REQUEST,
            "requests",
        ),
        (
            "tracking: bulk over 1 MiB",
            tracking_post(
                "application/json",
                bulk(900, &format!("{Q}&action_name={}", "x".repeat(1200))),
            ),
            S::PAYLOAD_TOO_LARGE,
            "body",
        ),
        (
            "tracking: bulk 10k-deep",
            tracking_post(
                "application/json",
                format!(r#"{{"requests":{}"#, "[".repeat(10_000)),
            ),
            S::BAD_REQUEST,
            "requests",
        ),
        (
            "tracking: bulk of numbers",
            tracking_post("application/json", r#"{"requests":[1e400]}"#),
            S::BAD_REQUEST,
            "requests",
        ),
        (
            "tracking: bulk not UTF-8",
            tracking_post("application/json", &b"{\"requests\":[\"\xff\"]}"[..]),
            S::BAD_REQUEST,
            "requests",
        ),
    ]
}

#[tokio::test]
async fn every_hostile_request_gets_its_status_and_the_collector_survives() {
    let h = Harness::start("hostile_table").await;
    let r = h.router();
    let mut failures = Vec::new();
    for (what, req, want, needle) in cases() {
        let (got, text) = send(&r, req).await;
        if got != want {
            failures.push(format!("{what}: got {got}, want {want}: {text:.200}"));
            continue;
        }
        if got.is_client_error() {
            let json: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("{what}: a JSON error body, got {text:.200}"));
            let msg = json["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: an error field in {text:.200}"));
            if !msg.contains(needle) {
                failures.push(format!("{what}: error {msg:.200} should name {needle:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // A valid bulk with every request broken is answered, each counted invalid.
    let (got, text) = send(
        &r,
        tracking_post(
            "application/json",
            bulk(1000, "idsite=227&rec=1&url=javascript%3Ax"),
        ),
    )
    .await;
    assert_eq!(got, StatusCode::OK, "{text:.200}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (answer["tracked"].as_u64(), answer["invalid"].as_u64()),
        (Some(0), Some(1000))
    );
    let (got, _) = send(&r, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(got, StatusCode::OK, "the collector still answers");
    let (got, _) = send(&r, event(beacon(PAGE, ""))).await;
    assert_eq!(got, StatusCode::ACCEPTED, "and still accepts beacons");
    h.finish().await;
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_logged_and_counted() {
    let limits = LimitsConfig {
        rate_limit_per_sec: 1,
        rate_limit_burst: 5,
        ..LimitsConfig::default()
    };
    let h = Harness::start_with("hostile_rate_limit", limits).await;
    let r = h.router();
    let ok = beacon(PAGE, "");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses
            .push(post_event(&r, ok.clone(), "application/json", CHROME, "14.160.12.107").await);
    }
    let accepted = statuses
        .iter()
        .filter(|(s, _)| *s == StatusCode::ACCEPTED)
        .count();
    let limited: Vec<_> = statuses
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(
        (5..=6).contains(&accepted),
        "the burst passes: {statuses:?}"
    );
    assert_eq!(accepted + limited.len(), 8, "{statuses:?}");
    assert_eq!(limited[0].1, r#"{"error":"rate limited"}"#);
    // The Matomo endpoint shares the client's allowance; the limit is per forwarded address.
    let res = r.clone().oneshot(tracking(Q)).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "1");
    let (other, _) = post_event(&r, ok.clone(), "application/json", CHROME, "14.160.12.108").await;
    assert_eq!(other, StatusCode::ACCEPTED, "another client is not limited");
    let (health, _) = send(&r, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(health, StatusCode::OK, "health checks are not rate limited");
    let n = limited.len() as u64 + 1;
    let metrics = h.app.state.metrics.encode();
    assert!(
        metrics.contains(&format!(
            r#"emc_rejected_total{{reason="rate_limited"}} {n}"#
        )),
        "{metrics}"
    );
    assert_eq!(h.app.state.limits.tracked_clients(), 2);
    let db = h.finish().await;
    let logged = count(&db, "SELECT sum(count) FROM connection_log WHERE status = 429 AND reason = 'rate_limited' AND client_net = '14.160.12.0/24'").await;
    assert_eq!(logged, n, "each 429 is in the connection log");
}

/// A collector behind a real socket with the server settings of `main`.
struct Served {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn serve(h: &Harness, limits: LimitsConfig) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let router = emc_collector::router(h.app.state.clone());
    let task = tokio::spawn(async move {
        emc_collector::server::serve(listener, router, &limits, async {
            let _ = stopped.await;
        })
        .await;
    });
    Served { addr, stop, task }
}

/// Writes `head`, then `trickle` one byte every 100 ms; returns what the server answered
/// (empty when it closed the connection without an answer) and when the connection ended.
async fn trickle(
    addr: std::net::SocketAddr,
    head: String,
    trickle: &'static [u8],
) -> (String, Duration) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let started = Instant::now();
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        for b in trickle {
            tokio::time::sleep(Duration::from_millis(100)).await;
            wr.write_all(std::slice::from_ref(b)).await?;
        }
        Ok::<_, std::io::Error>(wr)
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut answer)).await;
    let elapsed = started.elapsed();
    assert!(
        read.is_ok(),
        "the server must cut a slow client; got {:?} so far",
        String::from_utf8_lossy(&answer)
    );
    writer.abort();
    (String::from_utf8_lossy(&answer).into_owned(), elapsed)
}

#[tokio::test]
async fn slow_and_oversized_clients_are_cut_over_a_real_socket() {
    let limits = LimitsConfig {
        read_timeout_ms: 700,
        max_header_bytes: 16 * 1024,
        ..LimitsConfig::no_rate_limit()
    };
    let h = Harness::start_with("hostile_socket", limits.clone()).await;
    let s = serve(&h, limits).await;
    let bound = Duration::from_millis(700 + 1500);

    // Connected, silent: closed at the header read timeout (idle connections do not pile up).
    let (answer, took) = trickle(s.addr, String::new(), b"").await;
    assert!(
        took < bound && answer.is_empty(),
        "idle connection cut after {took:?}, answer {answer:?}"
    );

    // Headers trickled: the connection is closed at the header read timeout.
    let (answer, took) = trickle(
        s.addr,
        "POST /api/event HTTP/1.1\r\nHost: c\r\n".into(),
        &[b'X'; 60],
    )
    .await;
    assert!(
        took < bound,
        "head trickle cut after {took:?}, answer {answer:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );

    // Body trickled: 408 with a JSON error at the body deadline.
    let head = "POST /api/event HTTP/1.1\r\nHost: c\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".to_owned();
    let (answer, took) = trickle(s.addr, head, &[b' '; 60]).await;
    assert!(
        took < bound,
        "body trickle cut after {took:?}, answer {answer:?}"
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        answer.contains(r#"{"error":"body: not received within"#),
        "{answer:?}"
    );

    // A head over EMC_MAX_HEADER_BYTES, and a 100 KB URL: 431 before any handler runs.
    let big_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: c\r\nX-Junk: {}\r\n\r\n",
        "j".repeat(20_000)
    );
    let (answer, _) = trickle(s.addr, big_header, b"").await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.100}");
    let long_url = format!(
        "GET /tracking?{Q}%2F{} HTTP/1.1\r\nHost: c\r\n\r\n",
        "a".repeat(100_000)
    );
    let (answer, _) = trickle(s.addr, long_url, b"").await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.100}");

    // Still serving.
    let (answer, _) = trickle(
        s.addr,
        "GET /healthz HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n".into(),
        b"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.200}");
    let metrics = h.app.state.metrics.encode();
    assert!(
        metrics.contains(r#"emc_rejected_total{reason="timeout"} 1"#),
        "{metrics}"
    );

    let _ = s.stop.send(());
    tokio::time::timeout(Duration::from_secs(15), s.task)
        .await
        .expect("the server stops")
        .unwrap();
    h.finish().await;
}
