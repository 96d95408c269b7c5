//! Faults: nothing acknowledged with `202` is lost or counted twice when ClickHouse stops
//! and comes back, when the collector is killed with SIGKILL and restarted on its data
//! folder, or both at once, or when the collector starts while ClickHouse is down. Each test runs its own ClickHouse (so it can stop it) and the
//! real collector binary, while a client sends beacons with a unique path each.
use emc_e2e::{bin, free_port};
use emc_sql::server::{LocalServer, Ports, ServerSpec, DEFAULT_BINARY};
use emc_sql::{Db, MigrateOptions};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
/// At most this many beacons; the client stops earlier once the faults are over.
const BEACONS: u64 = 20_000;
const WORKERS: u64 = 4;

/// A ClickHouse of this test alone.
struct Clickhouse {
    server: Option<LocalServer>,
    spec: ServerSpec,
}

impl Clickhouse {
    async fn start(dir: PathBuf) -> Clickhouse {
        let spec = ServerSpec {
            dir,
            ports: Ports::free().unwrap(),
            binary: DEFAULT_BINARY.into(),
            die_with_parent: true,
        };
        let server = LocalServer::start(spec.clone())
            .await
            .expect("ClickHouse starts");
        Clickhouse {
            server: Some(server),
            spec,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.spec.ports.http)
    }

    fn stop(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.stop();
        }
    }

    async fn restart(&mut self) {
        self.server = Some(
            LocalServer::start(self.spec.clone())
                .await
                .expect("ClickHouse restarts on its data"),
        );
    }
}

/// `emc-collector serve` on a fixed port and data folder, so it can be killed and restarted.
struct Collector {
    child: Option<Child>,
    base: String,
    port: u16,
    data_dir: PathBuf,
    db: Db,
}

impl Collector {
    async fn start(db: &Db, data_dir: PathBuf) -> Collector {
        let port = free_port();
        let mut c = Collector {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            port,
            data_dir,
            db: db.clone(),
        };
        c.spawn().await;
        c
    }

    /// Starts the collector and waits until `/healthz` says ok (no problem at all).
    async fn spawn(&mut self) {
        self.launch(true).await;
    }

    /// Starts the collector and waits until it is ready (`/readyz`), degraded or not.
    async fn spawn_degraded(&mut self) {
        self.launch(false).await;
    }

    async fn launch(&mut self, healthy: bool) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("service.log"))
            .unwrap();
        let child = Command::new(bin("emc-collector"))
            .arg("serve")
            .env("EMC_CLICKHOUSE_URL", self.db.url())
            .env("EMC_CLICKHOUSE_DB", self.db.database())
            .env("EMC_DATA_DIR", &self.data_dir)
            .env("EMC_COLLECTOR_ADDR", format!("127.0.0.1:{}", self.port))
            .env("EMC_FLUSH_MS", "100")
            .env("EMC_TRUSTED_PROXIES", "127.0.0.1")
            .env("EMC_RATE_LIMIT_PER_SEC", "1000000")
            .env("EMC_RATE_LIMIT_BURST", "1000000")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting emc-collector");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    let health = http.get(format!("{}/healthz", self.base)).send().await;
                    let body = match health {
                        Ok(h) => h.text().await.unwrap_or_default(),
                        Err(_) => String::new(),
                    };
                    if !healthy || body.contains(r#""status":"ok""#) {
                        return;
                    }
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("the collector exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "collector not ready: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, and wait for the graceful stop (flush, open visits saved) to finish.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let term = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        assert!(term.is_ok_and(|s| s.success()), "kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("waiting for the collector") {
                assert!(status.success(), "{status}: {}", self.log());
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no graceful stop: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no flush, no shutdown hook.
    fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("service.log")).unwrap_or_default()
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("collector answers");
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Polls `/metrics` (10 s at most) until the spool has no pending group.
    async fn wait_drained(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, metrics) = self.get("/metrics").await;
            if metrics.lines().any(|l| l == "emc_spool_pending_groups 0") {
                return;
            }
            assert!(Instant::now() < deadline, "spool never drained: {metrics}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// What the client saw: markers answered 202, and markers whose request got no answer at
/// all (the collector died under it: it may or may not have spooled them).
#[derive(Default)]
struct Ledger {
    acked: Mutex<HashSet<u64>>,
    unanswered: Mutex<HashSet<u64>>,
    stop: AtomicBool,
}

impl Ledger {
    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }
}

async fn client(base: String, ledger: Arc<Ledger>, worker: u64) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut n = worker;
    while n < BEACONS && !ledger.stop.load(Ordering::Relaxed) {
        let body =
            format!(r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn/m/{n}"}}"#);
        let sent = http
            .post(format!("{base}/api/event"))
            .header("content-type", "text/plain")
            .header("user-agent", CHROME)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().as_u16() == 202 => {
                ledger.acked.lock().unwrap().insert(n);
            }
            Ok(_) => {}
            Err(_) => {
                ledger.unanswered.lock().unwrap().insert(n);
            }
        }
        n += WORKERS;
        tokio::time::sleep(Duration::from_millis(8)).await;
    }
}

async fn wait_acked(ledger: &Ledger, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while ledger.acked() < at_least {
        assert!(
            Instant::now() < deadline,
            "the client got only {} acknowledgements",
            ledger.acked()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Rig {
    ch: Clickhouse,
    collector: Collector,
    db: Db,
    ledger: Arc<Ledger>,
    clients: Vec<tokio::task::JoinHandle<()>>,
    _tmp: tempfile::TempDir,
}

/// This test's own ClickHouse under `tmp`, database `name` migrated with site 227
/// registered, and the collector's data folder (created, not started).
async fn stack(tmp: &Path, name: &str) -> (Clickhouse, Db, PathBuf) {
    let ch = Clickhouse::start(tmp.join("clickhouse")).await;
    let db = Db::from_url(&ch.url(), name);
    db.ensure_database().await.unwrap();
    db.migrate(&MigrateOptions::default()).await.unwrap();
    emc_e2e::register_portal_227(&db, "Cổng A").await;
    let data_dir = tmp.join("collector");
    std::fs::create_dir_all(&data_dir).unwrap();
    (ch, db, data_dir)
}

async fn rig(name: &str) -> Rig {
    let tmp = tempfile::tempdir().unwrap();
    let (ch, db, data_dir) = stack(tmp.path(), name).await;
    let collector = Collector::start(&db, data_dir).await;
    let ledger = Arc::new(Ledger::default());
    let clients = (0..WORKERS)
        .map(|w| tokio::spawn(client(collector.base.clone(), ledger.clone(), w)))
        .collect();
    Rig {
        ch,
        collector,
        db,
        ledger,
        clients,
        _tmp: tmp,
    }
}

impl Rig {
    /// Lets the client finish, then polls ClickHouse until every acknowledged beacon is
    /// there; asserts nothing else landed but beacons that got no answer, and none twice.
    async fn settle(mut self) {
        // A few hundred more after the last fault, then the client stops.
        let after = self.ledger.acked();
        wait_acked(&self.ledger, after + 300).await;
        self.ledger.stop.store(true, Ordering::Relaxed);
        for c in std::mem::take(&mut self.clients) {
            c.await.unwrap();
        }
        let acked = self.ledger.acked.lock().unwrap().clone();
        let unanswered = self.ledger.unanswered.lock().unwrap().clone();
        assert!(acked.len() > 1000, "too few acknowledged: {}", acked.len());
        let deadline = Instant::now() + Duration::from_secs(30);
        let landed = loop {
            let paths: Vec<String> = self
                .db
                .client()
                .query("SELECT pathname FROM events WHERE site = '227'")
                .fetch_all()
                .await
                .unwrap_or_default();
            let landed: HashSet<u64> = paths
                .iter()
                .filter_map(|p| p.strip_prefix("/m/")?.parse().ok())
                .collect();
            if acked.is_subset(&landed) {
                break landed;
            }
            if Instant::now() > deadline {
                let mut missing: Vec<u64> = acked.difference(&landed).copied().collect();
                missing.sort_unstable();
                let (_, metrics) = self.collector.get("/metrics").await;
                let spool: Vec<String> = std::fs::read_dir(self.collector.data_dir.join("spool"))
                    .unwrap()
                    .flatten()
                    .map(|e| format!("{:?} {:?}", e.file_name(), e.metadata().map(|m| m.len())))
                    .collect();
                panic!("{} acknowledged beacons never landed: {missing:?}\nspool: {spool:?}\n{}\ncollector log:\n{}", missing.len(), metrics.lines().filter(|l| l.starts_with("emc_spool") || l.starts_with("emc_rows")).collect::<Vec<_>>().join("\n"), self.collector.log());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let extra: HashSet<u64> = landed.difference(&acked).copied().collect();
        assert!(
            extra.is_subset(&unanswered),
            "landed without a 202 and not in flight at a kill: {extra:?}"
        );
        let (rows, uniq): (u64, u64) = self
            .db
            .client()
            .query("SELECT count(), uniqExact(pathname) FROM events WHERE site = '227'")
            .fetch_one()
            .await
            .unwrap();
        assert_eq!(rows, uniq, "an event was inserted twice");
        assert_eq!(rows, landed.len() as u64);
        // The backlog drains.
        self.collector.wait_drained().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_stopped_and_restarted() {
    let mut rig = rig("faults_clickhouse").await;
    wait_acked(&rig.ledger, 500).await;
    rig.ch.stop();
    // Still accepting, into the spool; alive and ready (a load balancer keeps sending), and
    // health says why it is degraded; the backlog shows.
    let before = rig.ledger.acked();
    wait_acked(&rig.ledger, before + 200).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let health = loop {
        let (status, health) = rig.collector.get("/healthz").await;
        assert_eq!(status, 200, "{health}");
        if health.contains("clickhouse unreachable") {
            break health;
        }
        assert!(
            Instant::now() < deadline,
            "the outage is not reported: {health}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(health.contains(r#""status":"degraded""#), "{health}");
    let (status, ready) = rig.collector.get("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready.contains(r#""status":"ready""#), "{ready}");
    let (_, metrics) = rig.collector.get("/metrics").await;
    let pending: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("emc_spool_pending_groups ")?.parse().ok())
        .unwrap();
    assert!(pending > 0, "{metrics}");
    rig.ch.restart().await;
    rig.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_killed_and_restarted() {
    let mut rig = rig("faults_kill").await;
    wait_acked(&rig.ledger, 500).await;
    rig.collector.kill9();
    rig.collector.spawn().await;
    wait_acked(&rig.ledger, 1000).await;
    rig.collector.kill9();
    rig.collector.spawn().await;
    rig.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_and_collector_down_at_once() {
    let mut rig = rig("faults_both").await;
    wait_acked(&rig.ledger, 500).await;
    rig.ch.stop();
    let before = rig.ledger.acked();
    wait_acked(&rig.ledger, before + 200).await;
    rig.collector.kill9();
    rig.ch.restart().await;
    rig.collector.spawn().await;
    rig.settle().await;
}

/// A collector restarted while ClickHouse is down comes up from its registry snapshot,
/// says it is degraded, accepts into the spool, and once ClickHouse is back applies the
/// schema and inserts every acknowledged beacon exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_starts_while_clickhouse_is_down() {
    const N: u64 = 300;
    let tmp = tempfile::tempdir().unwrap();
    let (mut ch, db, data_dir) = stack(tmp.path(), "faults_cold_start").await;
    // A first start reads the registry from ClickHouse and saves its snapshot.
    let mut collector = Collector::start(&db, data_dir.clone()).await;
    let snapshot = std::fs::read_to_string(data_dir.join("registry.json"))
        .expect("the registry snapshot is written");
    assert!(
        snapshot.contains("\"227\"") && snapshot.contains("portal.gov.vn"),
        "{snapshot}"
    );
    collector.kill9();
    ch.stop();

    collector.spawn_degraded().await;
    let (status, health) = collector.get("/healthz").await;
    assert_eq!(status, 200, "{health}");
    assert!(
        health.contains(r#""status":"degraded""#)
            && health.contains("schema not checked yet")
            && health.contains("schema_not_checked"),
        "{health}"
    );
    let (status, ready) = collector.get("/readyz").await;
    assert_eq!(status, 200, "ready to spool with ClickHouse away: {ready}");
    assert!(
        collector.log().contains("starting from the snapshot"),
        "{}",
        collector.log()
    );

    let http = reqwest::Client::new();
    for n in 0..N {
        let body =
            format!(r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn/m/{n}"}}"#);
        let r = http
            .post(format!("{}/api/event", collector.base))
            .header("content-type", "text/plain")
            .header("user-agent", CHROME)
            .header("x-forwarded-for", format!("203.0.113.{}", n % 200))
            .body(body)
            .send()
            .await
            .expect("the collector answers");
        assert_eq!(
            r.status().as_u16(),
            202,
            "beacon {n}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    let (_, metrics) = collector.get("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l == format!("emc_spool_pending_groups {N}")),
        "{metrics}"
    );

    ch.restart().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let paths: Vec<String> = loop {
        let paths: Vec<String> = db
            .client()
            .query("SELECT pathname FROM events WHERE site = '227'")
            .fetch_all()
            .await
            .unwrap_or_default();
        if paths.len() as u64 >= N {
            break paths;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {N} events landed\n{}",
            paths.len(),
            collector.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let landed: HashSet<String> = paths.iter().cloned().collect();
    let expected: HashSet<String> = (0..N).map(|n| format!("/m/{n}")).collect();
    assert_eq!(paths.len() as u64, N, "an event was inserted twice");
    assert_eq!(landed, expected);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, health) = collector.get("/healthz").await;
        assert_eq!(status, 200, "{health}");
        if health.contains(r#""status":"ok""#) {
            break;
        }
        assert!(Instant::now() < deadline, "still degraded: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The backlog is gone (so nothing more is coming), none of it as dead letters, and
    // still exactly N events.
    collector.wait_drained().await;
    assert!(
        !data_dir.join("dead-letter").exists(),
        "dead letters written: {}",
        collector.log()
    );
    let (rows, uniq): (u64, u64) = db
        .client()
        .query("SELECT count(), uniqExact(pathname) FROM events WHERE site = '227'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((rows, uniq), (N, N));
}

/// A graceful restart (SIGTERM, start again on the same data folder) in the middle of visits
/// splits none of them: each visitor's second page view, after the restart, extends the visit
/// its first one opened. The truth: `VISITORS` visits of two page views each, no bounce.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_survive_a_graceful_restart() {
    const VISITORS: u64 = 40;
    let tmp = tempfile::tempdir().unwrap();
    let (_ch, db, data_dir) = stack(tmp.path(), "faults_restart").await;
    let mut collector = Collector::start(&db, data_dir.clone()).await;
    let http = reqwest::Client::new();
    let base = collector.base.clone();
    for v in 0..VISITORS {
        assert_eq!(view(&http, &base, "a", v).await, 202);
    }
    collector.stop();
    assert!(
        collector
            .log()
            .contains("open visits saved for the next start"),
        "{}",
        collector.log()
    );
    collector.spawn().await;
    assert!(
        collector
            .log()
            .contains("open visits of the last graceful stop loaded"),
        "{}",
        collector.log()
    );
    for v in 0..VISITORS {
        assert_eq!(view(&http, &base, "b", v).await, 202);
    }
    collector.stop();
    let (visits, pageviews, bounces, sessions): (i64, i64, i64, u64) = db
        .client()
        .query("SELECT sum(sign), sum(sign * pageviews), sum(sign * is_bounce), (SELECT uniqExact(session_id) FROM events WHERE site = '227') FROM sessions WHERE site = '227'")
        .fetch_one()
        .await
        .unwrap();
    let n = VISITORS as i64;
    assert_eq!(
        (visits, pageviews, bounces, sessions),
        (n, 2 * n, 0, VISITORS),
        "one visit per visitor across the restart"
    );
    let exits: Vec<String> = db
        .client()
        .query("SELECT exit_page FROM sessions WHERE site = '227' GROUP BY session_id, exit_page HAVING sum(sign) > 0")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(exits.len() as u64, VISITORS);
    assert!(exits.iter().all(|p| p == "/b"), "{exits:?}");
}

/// A page view of `/page` by visitor `v` (its own address); the status.
async fn view(http: &reqwest::Client, base: &str, page: &str, v: u64) -> u16 {
    let body =
        format!(r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn/{page}"}}"#);
    http.post(format!("{base}/api/event"))
        .header("content-type", "text/plain")
        .header("user-agent", CHROME)
        .header("x-forwarded-for", format!("203.0.113.{v}"))
        .body(body)
        .send()
        .await
        .expect("the collector answers")
        .status()
        .as_u16()
}
