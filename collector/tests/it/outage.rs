//! A ClickHouse of the test's own, stopped and started again under an in-process collector:
//! liveness stays up through the outage, readiness falls only when the spool cannot take a
//! beacon, and comes back by itself once ClickHouse has drained the backlog.
use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use emc_collector::config::ServeConfig;
use emc_collector::limits::LimitsConfig;
use emc_collector::spool::SpoolConfig;
use emc_collector::App;
use emc_sql::server::{LocalServer, Ports, ServerSpec, DEFAULT_BINARY};
use emc_sql::{Db, MigrateOptions};
use http_body_util::BodyExt;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// A ClickHouse of this test alone, so it can be stopped.
pub struct OwnClickhouse {
    server: Option<LocalServer>,
    spec: ServerSpec,
    _dir: tempfile::TempDir,
}

impl OwnClickhouse {
    pub async fn start() -> OwnClickhouse {
        let dir = tempfile::tempdir().unwrap();
        let spec = ServerSpec {
            dir: dir.path().join("clickhouse"),
            ports: Ports::free().unwrap(),
            binary: DEFAULT_BINARY.into(),
            die_with_parent: true,
        };
        let server = LocalServer::start(spec.clone())
            .await
            .expect("ClickHouse starts");
        OwnClickhouse {
            server: Some(server),
            spec,
            _dir: dir,
        }
    }

    pub async fn db(&self) -> Db {
        let url = format!("http://127.0.0.1:{}", self.spec.ports.http);
        let db = Db::from_url(&url, "emc");
        db.ensure_database().await.unwrap();
        db.migrate(&MigrateOptions::default()).await.unwrap();
        db
    }

    pub fn stop(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.stop();
        }
    }

    pub async fn restart(&mut self) {
        self.server = Some(
            LocalServer::start(self.spec.clone())
                .await
                .expect("ClickHouse restarts on its data"),
        );
    }
}

/// A collector on `db` with the given spool budget, and its router.
pub async fn collector(db: &Db, spool: SpoolConfig) -> (App, Router, tempfile::TempDir) {
    register_portal(db).await;
    let data_dir = tempfile::tempdir().unwrap();
    let serve = ServeConfig {
        addr: "127.0.0.1:0".into(),
        trusted_proxies: vec!["127.0.0.1".into()],
        registry_refresh_secs: 1,
        max_body_bytes: 16 * 1024,
        matomo_token: None,
        salt_dir: None,
        limits: LimitsConfig::no_rate_limit(),
    };
    let app = App::start_with_spool(&common(db, data_dir.path()), &serve, &spool, db.clone())
        .await
        .unwrap();
    let router = emc_collector::router(app.state.clone()).layer(
        axum::extract::connect_info::MockConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))),
    );
    (app, router, data_dir)
}

pub async fn get(r: &Router, path: &str) -> (StatusCode, serde_json::Value) {
    let res = r
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// Polls `path` until `done` holds for its answer (deadline: 30 s).
pub async fn wait_for(
    r: &Router,
    path: &str,
    what: &str,
    done: impl Fn(StatusCode, &serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = get(r, path).await;
        if done(status, &body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{what}: {status} {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn beacon(n: u32) -> String {
    format!(r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn/r/{n}"}}"#)
}

fn has(body: &serde_json::Value, problem: &str) -> bool {
    body["problems"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p == problem))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_falls_only_when_the_spool_cannot_take_a_beacon() {
    let mut ch = OwnClickhouse::start().await;
    let db = ch.db().await;
    let spool = SpoolConfig {
        max_bytes: 64 * 1024,
        segment_bytes: 16 * 1024,
        group_commit: 64,
    };
    let (app, r, _dir) = collector(&db, spool).await;
    wait_for(&r, "/healthz", "healthy at start", |s, b| {
        s == StatusCode::OK && b["status"] == "ok"
    })
    .await;
    let (status, body) = get(&r, "/readyz").await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &"ready".into()));

    ch.stop();
    let body = wait_for(&r, "/healthz", "the outage shows", |s, b| {
        s == StatusCode::OK && has(b, "clickhouse_unreachable")
    })
    .await;
    assert_eq!(body["status"], "degraded", "{body}");
    let (status, body) = get(&r, "/readyz").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "ClickHouse away is not a reason to drain: {body}"
    );

    // Beacons go to the spool until it is full; then 429, and only then not ready.
    let mut accepted = 0u32;
    let mut n = 0u32;
    let refused = loop {
        let (status, text) = post_event(&r, beacon(n), "text/plain", CHROME, "14.160.12.7").await;
        n += 1;
        match status {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => break text,
            other => panic!("beacon {n}: {other} {text}"),
        }
        assert!(n < 10_000, "the spool never filled");
    };
    assert!(refused.contains("spool full"), "{refused}");
    assert!(
        accepted > 10,
        "{accepted} accepted before the spool was full"
    );
    let (status, body) = get(&r, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["problems"],
        serde_json::json!(["spool_full"]),
        "{body}"
    );
    let (status, body) = get(&r, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "alive though full: {body}");
    assert!(
        has(&body, "spool_full") && has(&body, "clickhouse_unreachable"),
        "{body}"
    );

    // ClickHouse back: the backlog drains, room returns, ready again without any traffic.
    ch.restart().await;
    wait_for(&r, "/readyz", "ready again", |s, _| s == StatusCode::OK).await;
    wait_for(&r, "/healthz", "healthy again", |_, b| b["status"] == "ok").await;
    let db = app.db.clone();
    app.shutdown().await;
    let landed = count(&db, "SELECT count() FROM events WHERE site = '227'").await;
    assert_eq!(
        landed,
        u64::from(accepted),
        "every 202 landed, nothing else"
    );
}

/// One refused request of each kind, by index.
fn refused(i: u64) -> Request<Body> {
    let (ct, body) = match i % 4 {
        0 => ("application/json", "{not json".to_owned()),
        1 => (
            "application/json",
            r#"{"site":"404404","name":"pageview","url":"https://portal.gov.vn/"}"#.to_owned(),
        ),
        2 => (
            "text/plain",
            r#"{"site":"227","name":"pageview","url":"https://evil.example/x"}"#.to_owned(),
        ),
        _ => ("application/xml", "<x/>".to_owned()),
    };
    Request::post("/api/event")
        .header("content-type", ct)
        .header("user-agent", CHROME)
        .header(
            "x-forwarded-for",
            format!("198.51.{}.{}", (i / 256) % 4, i % 256),
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_refusals_during_an_outage_costs_no_spool_and_is_counted() {
    const FLOOD: u64 = 200_000;
    const TASKS: u64 = 4;
    const VALID: u32 = 20;
    let mut ch = OwnClickhouse::start().await;
    let db = ch.db().await;
    let (app, r, _dir) = collector(&db, SpoolConfig::default()).await;
    ch.stop();
    wait_for(&r, "/healthz", "the outage shows", |_, b| {
        has(b, "clickhouse_unreachable")
    })
    .await;
    let metrics = app.state.metrics.clone();
    let spool_before = metrics.spool_bytes.get();
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let r = r.clone();
            tokio::spawn(async move {
                let mut statuses = [0u64; 4];
                for i in (t..FLOOD).step_by(TASKS as usize) {
                    let res = r.clone().oneshot(refused(i)).await.unwrap();
                    let want = [400, 404, 403, 415][(i % 4) as usize];
                    assert_eq!(res.status().as_u16(), want, "request {i}");
                    statuses[(i % 4) as usize] += 1;
                }
                statuses
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let flood_secs = started.elapsed().as_secs_f64();
    assert_eq!(
        metrics.spool_bytes.get(),
        spool_before,
        "refusals wrote nothing to the spool"
    );
    assert!(app.state.ingest.refusals().pending() <= FLOOD);
    // Valid beacons are still taken, into the spool.
    for n in 0..VALID {
        let (status, text) = post_event(&r, beacon(n), "text/plain", CHROME, "14.160.12.7").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    }
    let per_beacon = (metrics.spool_bytes.get() - spool_before) / i64::from(VALID);
    assert!(per_beacon < 4096, "{per_beacon} spool bytes per beacon");

    // ClickHouse back: the counts land, the refused hostname with them.
    ch.restart().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let logged = db
            .client()
            .query("SELECT toUInt64(sum(count)) FROM connection_log WHERE status >= 400")
            .fetch_one::<u64>()
            .await
            .unwrap_or(0);
        if logged == FLOOD {
            break;
        }
        assert!(logged < FLOOD, "{logged} refusals counted of {FLOOD}");
        assert!(
            Instant::now() < deadline,
            "{logged} of {FLOOD} refusals landed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = app.db.clone();
    app.shutdown().await;
    let by_status: Vec<(u16, String, String, u64)> = db
        .client()
        .query("SELECT status, reason, hostname, toUInt64(sum(count)) FROM connection_log WHERE status >= 400 GROUP BY status, reason, hostname ORDER BY status")
        .fetch_all()
        .await
        .unwrap();
    let q = FLOOD / 4;
    assert_eq!(
        by_status,
        vec![
            (400, "malformed".into(), "".into(), q),
            (403, "hostname_mismatch".into(), "evil.example".into(), q),
            (404, "unknown_site".into(), "".into(), q),
            (415, "content_type".into(), "".into(), q),
        ]
    );
    let rows = count(
        &db,
        "SELECT count() FROM connection_log WHERE status >= 400",
    )
    .await;
    assert!(
        rows <= 4 * 4 * 4 * 10,
        "{rows} rows for {FLOOD} refusals: one per minute, network, reason and drain"
    );
    let accepted = count(&db, "SELECT count() FROM events WHERE site = '227'").await;
    assert_eq!(accepted, u64::from(VALID));
    eprintln!("{FLOOD} refusals in {flood_secs:.1} s");
}
