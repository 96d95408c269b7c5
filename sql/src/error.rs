use std::path::PathBuf;

/// Errors of the storage layer. Callers branch on the kind (a bad registry input is the
/// user's fault; a ClickHouse error may be transient).
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("clickhouse: {0}")]
    ClickHouse(#[from] clickhouse::error::Error),
    #[error("migration {version} ({name}): statement {index} failed: {source}")]
    Migration {
        version: u32,
        name: String,
        index: usize,
        #[source]
        source: clickhouse::error::Error,
    },
    #[error("migration {version} ({name}): statement {index} did not finish on every host of the cluster; not answering: {hosts} (it stays queued and runs when they are back; run the migrations again then): {source}")]
    ClusterDdl {
        version: u32,
        name: String,
        index: usize,
        hosts: String,
        #[source]
        source: clickhouse::error::Error,
    },
    #[error("migration {version} ({name}) was changed after it was applied (checksum {applied} != {current}); migrations are forward-only: add a new one")]
    MigrationChanged {
        version: u32,
        name: String,
        applied: String,
        current: String,
    },
    #[error("cluster rendering: {0}")]
    Render(String),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("clickhouse server: {0}")]
    Server(String),
    /// A replica is down and wrote a part that no live replica has fetched yet: whether a
    /// group is in that part cannot be known until the replica is back (`replicas.rs`).
    #[error("cannot tell which groups landed: {0}")]
    PartsUnfetched(String),
    #[error("registry: {0}")]
    Registry(String),
}

impl SqlError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SqlError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
