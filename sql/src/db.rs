//! The ClickHouse handle every binary and test uses.
//!
//! `EMC_CLICKHOUSE_URL` set: an external server (production). Unset: a server managed under
//! `EMC_DATA_DIR/clickhouse`, started by the first binary that needs it and reused by the
//! others while it answers `/ping` (its ports are in `server.json` there).
use crate::migrate::{self, MigrateOptions, MigrationReport, Topology};
use crate::server::{self, LocalServer, Ports, ServerSpec};
use crate::SqlError;
use clickhouse::Client;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum DbTarget {
    External { url: String },
    Managed { data_dir: PathBuf },
}

impl DbTarget {
    /// `url` (from EMC_CLICKHOUSE_URL) wins; otherwise a managed server under `data_dir`.
    pub fn from_config(url: Option<&str>, data_dir: &Path) -> DbTarget {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => DbTarget::External {
                url: u.trim_end_matches('/').to_owned(),
            },
            None => DbTarget::Managed {
                data_dir: data_dir.to_owned(),
            },
        }
    }
}

/// A client bound to one database, plus the managed server it keeps alive (if it started one).
#[derive(Clone)]
pub struct Db {
    client: Client,
    url: String,
    database: String,
    topology: Topology,
    _server: Option<Arc<LocalServer>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("url", &self.url)
            .field("database", &self.database)
            .finish()
    }
}

/// A client for 18.16 and later: no schema validation (it needs RowBinaryWithNamesAndTypes)
/// and never compressed responses (broken in 18.16).
pub fn client(url: &str) -> Client {
    Client::default().with_url(url).with_validation(false)
}

impl Db {
    /// A handle on an existing server; no database is created and nothing is migrated.
    pub fn from_url(url: &str, database: &str) -> Db {
        Db {
            client: client(url).with_database(database),
            url: url.to_owned(),
            database: database.to_owned(),
            topology: Topology::Single,
            _server: None,
        }
    }

    /// The same handle for a cluster (`EMC_CLICKHOUSE_CLUSTER`): the database is created
    /// `ON CLUSTER`; every insert through a `Distributed` table is synchronous
    /// (`insert_distributed_sync=1`: acknowledged only once the rows are on their shards);
    /// and reads and writes pick the replicas of a shard in the same order
    /// (`load_balancing=in_order`: the first that answers), so what one statement wrote, the
    /// next one reads (a replica may lag its twin by a moment: with `random`, a site added
    /// right after its agency was refused, "agency does not exist"); a report's `IN`/`JOIN`
    /// subquery on a Distributed table runs once, on the server asked, and its result goes
    /// to every shard (`distributed_product_mode=global`: what a single server computes; the
    /// default refuses such queries, code 288).
    pub fn with_topology(mut self, topology: Topology) -> Db {
        if let Topology::Cluster { .. } = topology {
            self.client = self
                .client
                .with_setting("insert_distributed_sync", "1")
                .with_setting("load_balancing", "in_order")
                .with_setting("distributed_product_mode", "global");
        }
        self.topology = topology;
        self
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Connects (starting the managed server if needed), creates the database and applies
    /// pending migrations: any binary can be the first to meet an empty server.
    pub async fn open(
        target: &DbTarget,
        database: &str,
        opts: &MigrateOptions,
    ) -> Result<Db, SqlError> {
        let (url, server) = match target {
            DbTarget::External { url } => (url.clone(), None),
            DbTarget::Managed { data_dir } => managed(data_dir).await?,
        };
        let mut db = Db::from_url(&url, database).with_topology(opts.topology.clone());
        db._server = server;
        db.ensure_database().await?;
        db.migrate(opts).await?;
        Ok(db)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// True when this handle started (and will stop) the managed server.
    pub fn owns_server(&self) -> bool {
        self._server.is_some()
    }

    pub async fn ensure_database(&self) -> Result<(), SqlError> {
        let on_cluster = match &self.topology {
            Topology::Single => String::new(),
            Topology::Cluster { name } => format!(" ON CLUSTER {}", quote_ident(name)?),
        };
        let stmt = format!(
            "CREATE DATABASE IF NOT EXISTS {}{on_cluster}",
            quote_ident(&self.database)?
        );
        client(&self.url)
            .with_setting(
                "distributed_ddl_task_timeout",
                crate::cluster_ddl::DDL_TIMEOUT_SECS.to_string(),
            )
            .query(&stmt)
            .execute()
            .await?;
        Ok(())
    }

    pub async fn migrate(&self, opts: &MigrateOptions) -> Result<MigrationReport, SqlError> {
        migrate::apply(&self.client, opts, &self.database).await
    }
}

/// Database names come from config, not users, but are still checked: `[A-Za-z0-9_]+`.
pub fn quote_ident(name: &str) -> Result<String, SqlError> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(format!("`{name}`"))
    } else {
        Err(SqlError::Registry(format!(
            "invalid database name {name:?}: use letters, digits and _"
        )))
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ManagedState {
    pid: u32,
    ports: Ports,
}

/// Whether process `pid` is a ClickHouse started on `dir`'s config: a server that answers on
/// the recorded port after ours died (another data dir's, or a later start that took the
/// port) is not ours to use. Where `/proc` is missing, the recorded pid is trusted.
fn runs_from(pid: u32, dir: &Path) -> bool {
    if pid == 0 {
        return false;
    }
    if !Path::new("/proc/self/cmdline").exists() {
        return true;
    }
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let Ok(ours) = dir.join("config.xml").canonicalize() else {
        return false;
    };
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
    cmdline
        .split(|b| *b == 0)
        .filter_map(|arg| arg.strip_prefix(b"--config-file="))
        .filter_map(|path| std::str::from_utf8(path).ok())
        .any(|path| cwd.join(path).canonicalize().is_ok_and(|p| p == ours))
}

/// Reuses the managed server under `data_dir` when it answers and is the one started there,
/// else starts it.
async fn managed(data_dir: &Path) -> Result<(String, Option<Arc<LocalServer>>), SqlError> {
    // Absolute: the server is handed its paths on the command line, and a relative
    // EMC_DATA_DIR made it exit with status 78 before answering.
    let dir = std::path::absolute(data_dir)
        .map_err(|e| SqlError::io("resolving", data_dir.to_owned(), e))?
        .join("clickhouse");
    let state_path = dir.join("server.json");
    if let Ok(text) = std::fs::read_to_string(&state_path) {
        if let Ok(state) = serde_json::from_str::<ManagedState>(&text) {
            let url = format!("http://127.0.0.1:{}", state.ports.http);
            if runs_from(state.pid, &dir) && server::ping(&url).await {
                tracing::info!(url, pid = state.pid, "reusing the managed ClickHouse");
                return Ok((url, None));
            }
        }
    }
    let preferred = Ports {
        http: 18123,
        tcp: 19000,
        interserver: 19009,
    };
    let ports = if [preferred.http, preferred.tcp, preferred.interserver]
        .iter()
        .all(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
    {
        preferred
    } else {
        Ports::free()?
    };
    let spec = ServerSpec {
        dir: dir.clone(),
        ports,
        binary: PathBuf::from(server::DEFAULT_BINARY),
        die_with_parent: false,
    };
    let server = LocalServer::start(spec).await?;
    let state = ManagedState {
        pid: server.pid().unwrap_or(0),
        ports,
    };
    let text = serde_json::to_string(&state).map_err(|e| SqlError::Server(e.to_string()))?;
    std::fs::write(&state_path, text).map_err(|e| SqlError::io("writing", state_path, e))?;
    tracing::info!(url = server.url(), dir = %dir.display(), "started the managed ClickHouse");
    Ok((server.url(), Some(Arc::new(server))))
}

#[cfg(test)]
mod tests {
    use super::runs_from;

    #[test]
    fn a_server_is_ours_only_when_started_on_our_config() {
        let ours = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        for d in [&ours, &other] {
            std::fs::write(d.path().join("config.xml"), "<clickhouse/>").unwrap();
        }
        // A stand-in process carrying the argument a managed server is started with.
        let arg = format!("--config-file={}", ours.path().join("config.xml").display());
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30", &arg])
            .spawn()
            .unwrap();
        let pid = child.id();
        // Until the child has exec'd, /proc shows the test binary's own command line.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !runs_from(pid, ours.path()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(runs_from(pid, ours.path()));
        assert!(!runs_from(pid, other.path()), "another data dir's server");
        assert!(
            !runs_from(std::process::id(), ours.path()),
            "a process without the argument"
        );
        assert!(!runs_from(0, ours.path()));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!runs_from(pid, ours.path()), "a dead pid");
    }
}
