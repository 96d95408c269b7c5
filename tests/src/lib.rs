//! Support for end-to-end tests across real processes: the binaries (`emc-collector`,
//! `emc-dashboard`) started against the test ClickHouse, and headless Chromium.
pub mod sites;

use emc_sql::Db;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// A binary of the workspace, built by `cargo build --workspace --bins` (make test does).
pub fn bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = dir.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (`make test` does)",
        path.display()
    );
    path
}

/// A port for a server a test starts (below the ephemeral range: `emc_sql::server::free_port`).
pub fn free_port() -> u16 {
    emc_sql::server::free_port().expect("a free port")
}

/// Runs `emc-dashboard` / `emc-collector` subcommands against `db`.
pub fn cli(name: &str, db: &Db, args: &[&str]) -> Output {
    Command::new(bin(name))
        .args(args)
        .env("EMC_CLICKHOUSE_URL", db.url())
        .env("EMC_CLICKHOUSE_DB", db.database())
        .env("RUST_LOG", "warn")
        .output()
        .expect("running the binary")
}

/// A running service binary (`emc-collector serve`, `emc-dashboard serve`), stopped on drop.
pub struct Service {
    child: Option<Child>,
    pub base: String,
    pub data_dir: tempfile::TempDir,
    name: &'static str,
}

/// The collector as an operator runs it.
pub type Collector = Service;

impl Service {
    /// Starts `emc-collector serve` on a free port against `db`, and waits for `/healthz`.
    pub async fn start(db: &Db, extra_env: &[(&str, &str)]) -> Service {
        let mut env = vec![
            ("EMC_TRUSTED_PROXIES", "127.0.0.1"),
            ("EMC_REGISTRY_REFRESH_SECS", "1"),
            ("EMC_FLUSH_MS", "200"),
        ];
        env.extend_from_slice(extra_env);
        Service::spawn("emc-collector", "EMC_COLLECTOR_ADDR", "/healthz", db, &env).await
    }

    /// Starts `emc-dashboard serve` on a free port against `db`, and waits for `/login`.
    pub async fn dashboard(db: &Db, extra_env: &[(&str, &str)]) -> Service {
        Service::spawn(
            "emc-dashboard",
            "EMC_DASHBOARD_ADDR",
            "/login",
            db,
            extra_env,
        )
        .await
    }

    async fn spawn(
        name: &'static str,
        addr_var: &str,
        ready: &str,
        db: &Db,
        env: &[(&str, &str)],
    ) -> Service {
        let port = free_port();
        let data_dir = tempfile::tempdir().expect("a temp dir");
        let log = std::fs::File::create(data_dir.path().join("service.log")).expect("log file");
        let mut cmd = Command::new(bin(name));
        cmd.arg("serve")
            .env("EMC_CLICKHOUSE_URL", db.url())
            .env("EMC_CLICKHOUSE_DB", db.database())
            .env("EMC_DATA_DIR", data_dir.path())
            .env(addr_var, format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let mut s = Service {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            data_dir,
            name,
        };
        s.wait_ready(ready, Duration::from_secs(30)).await;
        s
    }

    async fn wait_ready(&mut self, path: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}{path}", self.base)).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("{} exited with {status}: {}", self.name, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready within {limit:?}: {}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("service.log")).unwrap_or_default()
    }

    /// SIGTERM and wait: a graceful stop flushes everything accepted.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}
pub mod browser;

/// Registers the portal every end-to-end test sends to: agency `bo-a` (a ministry) and its
/// site `227` (the EMC id portals already carry) on `portal.gov.vn`, named `name`.
pub async fn register_portal_227(db: &Db, name: &str) {
    use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
    let agency = NewAgency {
        id: "bo-a".into(),
        name: "Bộ A".into(),
        group: AgencyGroup::Ministry,
        parent: None,
    };
    registry::add_agency(db, agency)
        .await
        .expect("adding agency bo-a");
    let site = NewSite {
        name: name.into(),
        domains: vec!["portal.gov.vn".into()],
        kind: SiteKind::Portal,
        parent: None,
        agency: "bo-a".into(),
        code: Some("227".into()),
    };
    registry::add_site(db, site).await.expect("adding site 227");
}
