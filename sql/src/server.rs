//! A ClickHouse server run as a child process from EMC's own minimal config
//! (`sql/clickhouse/config.xml`, `users.xml`): ports, paths, memory and timezone are ours.
use crate::SqlError;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG_XML: &str = include_str!("../clickhouse/config.xml");
const USERS_XML: &str = include_str!("../clickhouse/users.xml");
/// Where Debian's `clickhouse-server` package puts the binary.
pub const DEFAULT_BINARY: &str = "/usr/sbin/clickhouse-server";

/// Ports of one server. `Ports::free()` picks unused ones for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ports {
    pub http: u16,
    pub tcp: u16,
    pub interserver: u16,
}

impl Ports {
    pub fn free() -> Result<Ports, SqlError> {
        // Held until all three are chosen (free_listener never repeats a port anyway).
        let (a, b, c) = (free_listener()?, free_listener()?, free_listener()?);
        let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
        Ok(Ports {
            http: port(&a),
            tcp: port(&b),
            interserver: port(&c),
        })
    }
}

/// Where [`free_listener`] looks first: from here up to the kernel's ephemeral range.
const QUIET_PORTS_FROM: u16 = 10_000;

/// A port free now for a test's server, which will bind it a moment later. Taken below the
/// kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), where `bind(:0)` and
/// every outgoing connection take theirs: a port from that range can be taken in that moment
/// by any connection a parallel test opens (seen: a cluster node failing with "Address already
/// in use"). Never the same port twice in one process. Falls back to `bind(:0)` when the
/// range leaves no room below it.
pub fn free_listener() -> Result<TcpListener, SqlError> {
    use rand::Rng;
    use std::sync::Mutex;
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let ephemeral_low = ephemeral_low();
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    if ephemeral_low > QUIET_PORTS_FROM + 1_000 {
        let mut rng = rand::rng();
        for _ in 0..256 {
            let port = rng.random_range(QUIET_PORTS_FROM..ephemeral_low);
            if given.contains(&port) {
                continue;
            }
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                given.push(port);
                return Ok(listener);
            }
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").map_err(bind_error)?;
    given.push(listener.local_addr().map_err(bind_error)?.port());
    Ok(listener)
}

/// The first port of the kernel's ephemeral range (read once; 32768 when unknown).
fn ephemeral_low() -> u16 {
    static LOW: std::sync::OnceLock<u16> = std::sync::OnceLock::new();
    *LOW.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .ok()
            .and_then(|r| r.split_whitespace().next()?.parse().ok())
            .unwrap_or(32_768)
    })
}

fn bind_error(e: std::io::Error) -> SqlError {
    SqlError::io("binding a free port on", "127.0.0.1", e)
}

/// The port of a [`free_listener`], released for the caller's server to bind.
pub fn free_port() -> Result<u16, SqlError> {
    free_listener()?
        .local_addr()
        .map(|a| a.port())
        .map_err(bind_error)
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// Holds `config.xml`, `users.xml`, `data/`, `tmp/` and the logs.
    pub dir: PathBuf,
    pub ports: Ports,
    pub binary: PathBuf,
    /// Kill the server when the thread that started it exits (test servers).
    pub die_with_parent: bool,
}

/// A running child server. Dropping it stops it (SIGTERM, then SIGKILL after 10 s).
#[derive(Debug)]
pub struct LocalServer {
    child: Option<Child>,
    spec: ServerSpec,
}

impl LocalServer {
    /// Writes the config into `spec.dir`, starts the server and waits for `/ping`.
    pub async fn start(spec: ServerSpec) -> Result<LocalServer, SqlError> {
        LocalServer::start_with(spec, None).await
    }

    /// [`LocalServer::start`] with `extra` merged over our config (written to
    /// `config.d/extra.xml`, which ClickHouse merges into `config.xml`): a cluster node's
    /// `remote_servers`, `macros`, `zookeeper` and `distributed_ddl`.
    pub async fn start_with(
        spec: ServerSpec,
        extra: Option<&str>,
    ) -> Result<LocalServer, SqlError> {
        let dir = &spec.dir;
        for sub in ["data", "tmp", "log", "config.d"] {
            let p = dir.join(sub);
            std::fs::create_dir_all(&p).map_err(|e| SqlError::io("creating", p, e))?;
        }
        write(&dir.join("config.xml"), CONFIG_XML)?;
        write(&dir.join("users.xml"), USERS_XML)?;
        let extra_path = dir.join("config.d/extra.xml");
        match extra {
            Some(xml) => write(&extra_path, xml)?,
            None => {
                let _ = std::fs::remove_file(&extra_path);
            }
        }
        if !spec.binary.exists() {
            return Err(SqlError::Server(format!(
                "{} not found: run scripts/install-deps.sh (or `make up` / `make test`), or set EMC_CLICKHOUSE_URL",
                spec.binary.display()
            )));
        }
        let mut cmd = Command::new(&spec.binary);
        cmd.current_dir(dir)
            .arg(format!(
                "--config-file={}",
                dir.join("config.xml").display()
            ))
            .arg("--")
            .arg(format!("--path={}/", dir.join("data").display()))
            .arg(format!("--tmp_path={}/", dir.join("tmp").display()))
            .arg(format!(
                "--logger.log={}",
                dir.join("log/server.log").display()
            ))
            .arg(format!(
                "--logger.errorlog={}",
                dir.join("log/error.log").display()
            ))
            .arg(format!("--http_port={}", spec.ports.http))
            .arg(format!("--tcp_port={}", spec.ports.tcp))
            .arg(format!(
                "--interserver_http_port={}",
                spec.ports.interserver
            ))
            .arg("--listen_host=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if spec.die_with_parent {
            die_with_parent(&mut cmd);
        }
        let child = cmd
            .spawn()
            .map_err(|e| SqlError::io("starting", spec.binary.clone(), e))?;
        let mut server = LocalServer {
            child: Some(child),
            spec,
        };
        server.wait_ready(Duration::from_secs(30)).await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.spec.ports.http)
    }

    pub fn ports(&self) -> Ports {
        self.spec.ports
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), SqlError> {
        let deadline = Instant::now() + limit;
        let url = self.url();
        loop {
            if ping(&url).await {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let log = std::fs::read_to_string(self.spec.dir.join("log/error.log"))
                        .unwrap_or_default();
                    let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                    return Err(SqlError::Server(format!(
                        "exited with {status} before answering /ping: {tail}"
                    )));
                }
            }
            if Instant::now() > deadline {
                return Err(SqlError::Server(format!(
                    "no /ping answer on {url} within {limit:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL, as a crash: no shutdown of any kind.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, wait up to 10 s for a clean exit, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        send_term(child.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// True when a server answers `/ping` at `url`.
pub async fn ping(url: &str) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build();
    let Ok(client) = client else { return false };
    match client
        .get(format!("{}/ping", url.trim_end_matches('/')))
        .send()
        .await
    {
        Ok(r) => r.status().is_success(),
        Err(_) => false,
    }
}

fn write(path: &Path, text: &str) -> Result<(), SqlError> {
    std::fs::write(path, text).map_err(|e| SqlError::io("writing", path, e))
}

#[allow(unsafe_code)]
pub(crate) fn send_term(pid: u32) {
    // SAFETY: kill(2) with a pid we spawned and still own; no memory is touched.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

#[allow(unsafe_code)]
pub(crate) fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl(PR_SET_PDEATHSIG) is async-signal-safe and only affects the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ports_differ_and_stay_below_the_ephemeral_range() {
        let low = ephemeral_low();
        let ports: Vec<u16> = (0..50).map(|_| free_port().unwrap()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len(), "{ports:?}");
        if low > QUIET_PORTS_FROM + 1_000 {
            assert!(
                ports.iter().all(|p| (QUIET_PORTS_FROM..low).contains(p)),
                "{ports:?}"
            );
        }
        let p = Ports::free().unwrap();
        assert!(p.http != p.tcp && p.tcp != p.interserver && p.http != p.interserver);
    }
}
