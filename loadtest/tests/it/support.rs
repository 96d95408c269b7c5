//! The real collector binary on a free port, against a test database.
use emc_sql::Db;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `target/<profile>/emc-collector`, next to this test's own `deps/` folder
/// (`scripts/test.sh` runs `cargo build --workspace --bins` first).
pub fn collector_bin() -> PathBuf {
    let me = std::env::current_exe().expect("the test's path");
    let profile_dir = me
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/it-…");
    let bin = profile_dir.join("emc-collector");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

pub fn free_addr() -> String {
    format!("127.0.0.1:{}", emc_sql::server::free_port().unwrap())
}

pub struct Collector {
    child: Child,
    pub base: String,
    pub log: PathBuf,
    _data: tempfile::TempDir,
}

impl Collector {
    /// Starts `emc-collector serve` on `db`, trusting 127.0.0.1's X-Forwarded-For, flushing
    /// every 200 ms, and waits for `/healthz`.
    pub async fn start(db: &Db) -> Collector {
        let data = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let log = data.path().join("collector.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(collector_bin())
            .arg("serve")
            .env("EMC_CLICKHOUSE_URL", db.url())
            .env("EMC_CLICKHOUSE_DB", db.database())
            .env("EMC_DATA_DIR", data.path())
            .env("EMC_COLLECTOR_ADDR", &addr)
            .env("EMC_TRUSTED_PROXIES", "127.0.0.1")
            .env("EMC_FLUSH_MS", "200")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("starting emc-collector");
        let mut c = Collector {
            child,
            base: format!("http://{addr}"),
            log,
            _data: data,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", c.base)).send().await {
                if r.status().is_success() {
                    return c;
                }
            }
            if let Ok(Some(status)) = c.child.try_wait() {
                panic!("the collector exited with {status}: {}", c.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "no /healthz within 30 s: {}",
                c.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM and wait for the exit: the collector flushes everything it accepted first.
    pub async fn stop(mut self) {
        emc_loadtest::procstat::terminate(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    assert!(
                        status.success(),
                        "the collector exited with {status}: {}",
                        self.log_text()
                    );
                    return;
                }
                _ => assert!(
                    Instant::now() < deadline,
                    "the collector did not stop within 30 s"
                ),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
