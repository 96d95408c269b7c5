//! A standalone ZooKeeper from Debian's `zookeeper` package, run as a child process: the
//! coordination service a ClickHouse cluster needs for `Replicated…MergeTree` and
//! `ON CLUSTER` DDL. The package's `zkServer.sh` points at a jar it does not install, so the
//! server class is started directly with every jar of `/usr/share/java` on the class path.
use crate::server::die_with_parent;
use crate::SqlError;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where Debian's `zookeeper` package puts its jars (and those it depends on).
pub const CLASSPATH: &str = "/usr/share/java/*";
const MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// A running ZooKeeper; dropping it kills it.
#[derive(Debug)]
pub struct ZooKeeper {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
}

impl ZooKeeper {
    /// Writes `zoo.cfg` into `dir`, starts the server on `port` and waits until it serves.
    pub async fn start(dir: PathBuf, port: u16) -> Result<ZooKeeper, SqlError> {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| SqlError::io("creating", &data, e))?;
        let cfg = format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             maxClientCnxns=0\n4lw.commands.whitelist=srvr\n",
            data.display()
        );
        let path = dir.join("zoo.cfg");
        std::fs::write(&path, cfg).map_err(|e| SqlError::io("writing", &path, e))?;
        let mut zk = ZooKeeper {
            child: None,
            dir,
            port,
        };
        zk.restart().await?;
        Ok(zk)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the server again on its data (after [`ZooKeeper::stop`] or [`ZooKeeper::kill`]).
    pub async fn restart(&mut self) -> Result<(), SqlError> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = self.dir.join("zookeeper.log");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| SqlError::io("opening", &log, e))?;
        let err = out
            .try_clone()
            .map_err(|e| SqlError::io("opening", &log, e))?;
        let mut cmd = Command::new("java");
        cmd.current_dir(&self.dir)
            .args(["-Xmx256m", "-XX:+UseSerialGC", "-cp", CLASSPATH])
            .arg("-Dzookeeper.admin.enableServer=false")
            .arg(MAIN_CLASS)
            .arg(self.dir.join("zoo.cfg"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        die_with_parent(&mut cmd);
        let child = cmd.spawn().map_err(|e| {
            SqlError::Server(format!(
                "starting ZooKeeper (java): {e}; run scripts/install-deps.sh (Debian's zookeeper)"
            ))
        })?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(30)).await
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), SqlError> {
        let deadline = Instant::now() + limit;
        loop {
            if serving(self.port).await {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                let log =
                    std::fs::read_to_string(self.dir.join("zookeeper.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                return Err(SqlError::Server(format!(
                    "ZooKeeper exited with {status} before serving: {}",
                    tail.join(" | ")
                )));
            }
            if Instant::now() > deadline {
                return Err(SqlError::Server(format!(
                    "ZooKeeper not serving on port {} within {limit:?}",
                    self.port
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL, as a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        crate::server::send_term(child.id());
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

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        self.kill();
    }
}

/// True when the server on `port` answers the `srvr` four-letter word as a serving server.
async fn serving(port: u16) -> bool {
    let probe = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        s.write_all(b"srvr").await.ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).await.ok()?;
        Some(out.contains("Mode: standalone"))
    };
    tokio::time::timeout(Duration::from_secs(2), probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
