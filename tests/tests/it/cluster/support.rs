//! What the cluster tests share: the collector binary on a fixed port and data folder (so it
//! can be killed and restarted), a client that sends numbered beacons and keeps a ledger of
//! the `202`s, and the check that every acknowledged beacon landed exactly once.
use emc_e2e::{bin, free_port};
use emc_sql::Db;
use std::collections::HashSet;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const CLUSTER: &str = "emc";
pub const MATOMO_TOKEN: &str = "jeton-de-test-du-cluster";

/// Polls `probe` every 100 ms until it returns `Some`, or panics with `what` after `limit`.
pub async fn until<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `emc-collector serve` against `db` (on a cluster when `cluster`), on a fixed port and data
/// folder. SIGKILLed on drop.
pub struct Collector {
    child: Option<Child>,
    pub base: String,
    pub port: u16,
    pub data_dir: PathBuf,
    db: Db,
    cluster: bool,
    /// `EMC_SALT_DIR`; `None`: the collector's own `EMC_DATA_DIR/salts`.
    salt_dir: Option<PathBuf>,
}

impl Collector {
    pub async fn start(db: &Db, data_dir: PathBuf, cluster: bool) -> Collector {
        Collector::start_sharing_salts(db, data_dir, cluster, None).await
    }

    /// [`Collector::start`] with the daily salts in `salt_dir` (`EMC_SALT_DIR`), which other
    /// collectors may share.
    pub async fn start_sharing_salts(
        db: &Db,
        data_dir: PathBuf,
        cluster: bool,
        salt_dir: Option<PathBuf>,
    ) -> Collector {
        std::fs::create_dir_all(&data_dir).unwrap();
        let port = free_port();
        let mut c = Collector {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            port,
            data_dir,
            db: db.clone(),
            cluster,
            salt_dir,
        };
        c.spawn().await;
        c
    }

    /// Starts the process and waits until `/healthz` answers 200.
    pub async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("service.log"))
            .unwrap();
        let geo = emc_e2e::workspace_root().join("collector/testdata/geo/dbip-flat-test.mmdb");
        let mut cmd = Command::new(bin("emc-collector"));
        cmd.arg("serve")
            .env("EMC_CLICKHOUSE_URL", self.db.url())
            .env("EMC_CLICKHOUSE_DB", self.db.database())
            .env("EMC_DATA_DIR", &self.data_dir)
            .env("EMC_COLLECTOR_ADDR", format!("127.0.0.1:{}", self.port))
            .env("EMC_FLUSH_MS", "100")
            .env("EMC_TRUSTED_PROXIES", "127.0.0.1")
            .env("EMC_RATE_LIMIT_PER_SEC", "1000000")
            .env("EMC_RATE_LIMIT_BURST", "1000000")
            .env("EMC_REGISTRY_REFRESH_SECS", "1")
            .env("EMC_MATOMO_TOKEN", MATOMO_TOKEN)
            .env("EMC_GEOIP_DB", geo)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if self.cluster {
            cmd.env("EMC_CLICKHOUSE_CLUSTER", CLUSTER);
        }
        if let Some(dir) = &self.salt_dir {
            cmd.env("EMC_SALT_DIR", dir);
        }
        self.child = Some(cmd.spawn().expect("starting emc-collector"));
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return;
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

    /// SIGKILL: no flush, no shutdown hook.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("service.log")).unwrap_or_default()
    }

    pub async fn metrics(&self) -> String {
        match reqwest::get(format!("{}/metrics", self.base)).await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// A gauge or counter of `/metrics` (summed over its labels).
    pub async fn metric(&self, name: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Polls `/metrics` (30 s at most) until the spool has no pending group.
    pub async fn wait_drained(&self) {
        until(Duration::from_secs(30), "the spool drains", || async {
            let m = self.metrics().await;
            m.lines()
                .any(|l| l == "emc_spool_pending_groups 0")
                .then_some(())
        })
        .await
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// What the clients saw: markers answered 202, and markers whose request got no answer (the
/// collector died under it: it may or may not have spooled them).
#[derive(Default)]
pub struct Ledger {
    pub acked: Mutex<HashSet<u64>>,
    pub unanswered: Mutex<HashSet<u64>>,
    pub stop: AtomicBool,
    next: AtomicU64,
}

impl Ledger {
    pub fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// Waits (30 s at most) until `more` further beacons were acknowledged.
    pub async fn wait_more(&self, more: usize) {
        let target = self.acked() + more;
        until(Duration::from_secs(30), "acknowledgements", || async {
            (self.acked() >= target).then_some(())
        })
        .await
    }
}

/// Sends numbered page views of site 227 (path `/m/<n>`, one visitor per worker) to `base`
/// until the ledger says stop. With `source`, from that local address (`127.0.0.x`: a
/// balancer in front sees one client per worker).
pub async fn client(base: String, ledger: Arc<Ledger>, worker: u32, source: Option<IpAddr>) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .local_address(source)
        .build()
        .unwrap();
    while !ledger.stop.load(Ordering::Relaxed) {
        let n = ledger.next.fetch_add(1, Ordering::Relaxed);
        let body =
            format!(r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn/m/{n}"}}"#);
        let sent = http
            .post(format!("{base}/api/event"))
            .header("content-type", "text/plain")
            .header("user-agent", CHROME)
            .header("x-forwarded-for", format!("203.0.113.{}", worker + 1))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().as_u16() == 202 => {
                ledger.acked.lock().unwrap().insert(n);
            }
            // A balancer answers 502/503 for a request its collector died under.
            Ok(r) if !r.status().is_server_error() => {}
            _ => {
                ledger.unanswered.lock().unwrap().insert(n);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Starts `workers` clients on `base`.
pub fn clients(base: &str, ledger: &Arc<Ledger>, workers: u32) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|w| tokio::spawn(client(base.to_owned(), ledger.clone(), w, None)))
        .collect()
}

/// Stops the clients, then polls `db` (60 s at most) until every acknowledged beacon is
/// there; once the collectors' spools are drained, asserts none landed twice and none landed
/// that was neither acknowledged nor in flight at a kill. Returns how many landed.
pub async fn settle(
    db: &Db,
    ledger: &Ledger,
    clients: Vec<tokio::task::JoinHandle<()>>,
    collectors: &[&Collector],
) -> usize {
    ledger.stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let acked = ledger.acked.lock().unwrap().clone();
    let unanswered = ledger.unanswered.lock().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let paths: Vec<String> = db
            .client()
            .query("SELECT pathname FROM events WHERE site = '227' AND pathname LIKE '/m/%'")
            .fetch_all()
            .await
            .unwrap_or_default();
        let landed: HashSet<u64> = paths
            .iter()
            .filter_map(|p| p.strip_prefix("/m/")?.parse().ok())
            .collect();
        if acked.is_subset(&landed) {
            break;
        }
        if Instant::now() > deadline {
            let mut missing: Vec<u64> = acked.difference(&landed).copied().collect();
            missing.sort_unstable();
            panic!(
                "{} of {} acknowledged beacons never landed: {:?}",
                missing.len(),
                acked.len(),
                &missing[..missing.len().min(50)]
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing more is coming once every spool is empty: now count.
    for c in collectors {
        c.wait_drained().await;
    }
    let paths: Vec<String> = db
        .client()
        .query("SELECT pathname FROM events WHERE site = '227' AND pathname LIKE '/m/%'")
        .fetch_all()
        .await
        .unwrap();
    let landed: HashSet<u64> = paths
        .iter()
        .filter_map(|p| p.strip_prefix("/m/")?.parse().ok())
        .collect();
    assert_eq!(paths.len(), landed.len(), "an event was inserted twice");
    let extra: HashSet<u64> = landed.difference(&acked).copied().collect();
    assert!(
        extra.is_subset(&unanswered),
        "landed without a 202 and not in flight at a kill: {extra:?}"
    );
    landed.len()
}
