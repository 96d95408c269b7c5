//! Test support: one real ClickHouse per test process, one database per test.
//!
//! The server is started from a dedicated thread that never exits, with
//! `PR_SET_PDEATHSIG`, so it dies with the test process however that ends. Set
//! `EMC_TEST_CLICKHOUSE_URL` to use an already running server instead.
use crate::migrate::MigrateOptions;
use crate::server::{LocalServer, Ports, ServerSpec, DEFAULT_BINARY};
use crate::Db;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A real 2 shards × 2 replicas cluster with its ZooKeeper, owned by one test.
pub use crate::local_cluster::Cluster;

static SERVER_URL: OnceLock<Result<String, String>> = OnceLock::new();

/// The URL of this process's test server, starting it on first use.
pub fn server_url() -> String {
    let url = SERVER_URL.get_or_init(|| {
        if let Ok(url) = std::env::var("EMC_TEST_CLICKHOUSE_URL") {
            return Ok(url);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("test-clickhouse".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                match rt.block_on(start_test_server()) {
                    Ok(server) => {
                        let _ = tx.send(Ok(server.url()));
                        // Keep the server (and this thread, its PDEATHSIG parent) alive.
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
            .expect("spawning the test-clickhouse thread");
        rx.recv().unwrap_or_else(|e| Err(e.to_string()))
    });
    match url {
        Ok(u) => u.clone(),
        Err(e) => panic!("test ClickHouse could not start: {e}"),
    }
}

async fn start_test_server() -> Result<LocalServer, String> {
    let base = std::env::var_os("EMC_TEST_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    remove_stale(&base);
    let dir = base.join(format!("emc-test-clickhouse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = ServerSpec {
        dir,
        ports: Ports::free().map_err(|e| e.to_string())?,
        binary: PathBuf::from(DEFAULT_BINARY),
        die_with_parent: true,
    };
    LocalServer::start(spec).await.map_err(|e| e.to_string())
}

/// Removes the data folders of test servers whose process is gone.
fn remove_stale(base: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("emc-test-clickhouse-") {
            if !PathBuf::from(format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// A fresh, migrated database named after the test (`t_<name>`), dropped first if it exists.
pub async fn test_db(name: &str) -> Db {
    test_db_with(name, &MigrateOptions::default()).await
}

pub async fn test_db_with(name: &str, opts: &MigrateOptions) -> Db {
    let url = server_url();
    let database: String = format!("t_{name}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let admin = crate::db::client(&url);
    admin
        .query(&format!("DROP DATABASE IF EXISTS `{database}`"))
        .execute()
        .await
        .expect("dropping the test database");
    let db = Db::from_url(&url, &database);
    db.ensure_database()
        .await
        .expect("creating the test database");
    db.migrate(opts).await.expect("migrating the test database");
    db
}

/// The `table.column` names of every String column (of every non-view table in `db`) in which
/// `needle` occurs: tests assert personal data and raw addresses are stored nowhere.
pub async fn tables_containing(db: &Db, needle: &str) -> Vec<String> {
    #[derive(clickhouse::Row, serde::Deserialize)]
    struct Col {
        table: String,
        name: String,
    }
    let cols: Vec<Col> = db
        .client()
        .query(
            "SELECT c.table, c.name FROM system.columns AS c INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table \
             WHERE c.database = currentDatabase() AND c.type LIKE '%String%' AND c.type NOT LIKE 'AggregateFunction%' AND t.engine NOT LIKE '%View%'",
        )
        .fetch_all()
        .await
        .expect("listing String columns");
    assert!(cols.len() > 10, "String columns found");
    let mut hits = Vec::new();
    for c in cols {
        let sql = format!(
            "SELECT count() FROM `{}` WHERE position(toString(`{}`), ?) > 0",
            c.table, c.name
        );
        let n: u64 = db
            .client()
            .query(&sql)
            .bind(needle)
            .fetch_one()
            .await
            .expect("scanning a column");
        if n > 0 {
            hits.push(format!("{}.{}", c.table, c.name));
        }
    }
    hits
}
