//! Forward-only migrations, applied by one runner that records them in `schema_migrations`.
//!
//! Every statement is idempotent (`IF NOT EXISTS`; an `ALTER TABLE … ADD COLUMN` whose
//! column already exists counts as applied, see [`already_applied`]), so two processes that start at once and
//! both apply a pending migration end in the same state; the record table is a
//! `ReplacingMergeTree`, read with `FINAL`, so a double record is harmless.
use crate::{cluster, cluster_ddl, SqlError};
use clickhouse::Client;
use serde::Deserialize;

/// One migration file, embedded at build time.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// All migrations, in order. Add a file and a line here; never edit an applied one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "events",
        sql: include_str!("../migrations/0001_events.sql"),
    },
    Migration {
        version: 2,
        name: "sessions",
        sql: include_str!("../migrations/0002_sessions.sql"),
    },
    Migration {
        version: 3,
        name: "connection_log",
        sql: include_str!("../migrations/0003_connection_log.sql"),
    },
    Migration {
        version: 4,
        name: "rollups",
        sql: include_str!("../migrations/0004_rollups.sql"),
    },
    Migration {
        version: 5,
        name: "registry",
        sql: include_str!("../migrations/0005_registry.sql"),
    },
    Migration {
        version: 6,
        name: "batch_ids",
        sql: include_str!("../migrations/0006_batch_ids.sql"),
    },
    Migration {
        version: 7,
        name: "breakdown_rollups",
        sql: include_str!("../migrations/0007_breakdown_rollups.sql"),
    },
    Migration {
        version: 8,
        name: "visitors_daily",
        sql: include_str!("../migrations/0008_visitors_daily.sql"),
    },
    Migration {
        version: 9,
        name: "scans",
        sql: include_str!("../migrations/0009_scans.sql"),
    },
    Migration {
        version: 10,
        name: "connection_log_count",
        sql: include_str!("../migrations/0010_connection_log_count.sql"),
    },
    Migration {
        version: 11,
        name: "alerts",
        sql: include_str!("../migrations/0011_alerts.sql"),
    },
    Migration {
        version: 12,
        name: "report_rollups",
        sql: include_str!("../migrations/0012_report_rollups.sql"),
    },
    Migration {
        version: 13,
        name: "site_search",
        sql: include_str!("../migrations/0013_site_search.sql"),
    },
    Migration {
        version: 14,
        name: "goals",
        sql: include_str!("../migrations/0014_goals.sql"),
    },
    Migration {
        version: 15,
        name: "annotations",
        sql: include_str!("../migrations/0015_annotations.sql"),
    },
    Migration {
        version: 16,
        name: "alert_rule_overrides",
        sql: include_str!("../migrations/0016_alert_rule_overrides.sql"),
    },
    Migration {
        version: 17,
        name: "shares",
        sql: include_str!("../migrations/0017_shares.sql"),
    },
];

/// The bootstrap statement: the table that records applied migrations.
pub const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime
) ENGINE = ReplacingMergeTree()
ORDER BY version";

pub const APPLIED: &str = "SELECT version, checksum FROM schema_migrations FINAL ORDER BY version";

/// Single server or a cluster (`ON CLUSTER`, `Replicated…MergeTree`, `Distributed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    Single,
    Cluster { name: String },
}

impl Topology {
    /// `EMC_CLICKHOUSE_CLUSTER`: a cluster name, or unset/empty for a single server.
    pub fn from_cluster(name: Option<&str>) -> Topology {
        match name.map(str::trim).filter(|c| !c.is_empty()) {
            Some(name) => Topology::Cluster {
                name: name.to_owned(),
            },
            None => Topology::Single,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// IANA timezone that cuts days in the daily rollups (EMC_TIMEZONE).
    pub timezone: String,
    pub topology: Topology,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            timezone: "Asia/Ho_Chi_Minh".into(),
            topology: Topology::Single,
        }
    }
}

/// Splits a migration file into statements: `--` comment lines dropped, `;` ends a statement.
pub fn statements(sql: &str) -> Vec<String> {
    let text: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The statements of one migration as they will be sent, for the given options.
pub fn render(
    m: &Migration,
    opts: &MigrateOptions,
    database: &str,
) -> Result<Vec<String>, SqlError> {
    let with_tz = m.sql.replace("{timezone}", &opts.timezone);
    let single = statements(&with_tz);
    match &opts.topology {
        Topology::Single => Ok(single),
        Topology::Cluster { name } => cluster::render_all(&single, name, database),
    }
}

/// Every statement of every migration, bootstrap first, rendered for `opts`.
pub fn render_all(opts: &MigrateOptions, database: &str) -> Result<Vec<String>, SqlError> {
    let boot = Migration {
        version: 0,
        name: "schema_migrations",
        sql: SCHEMA_MIGRATIONS,
    };
    let mut out = render(&boot, opts, database)?;
    for m in MIGRATIONS {
        out.extend(render(m, opts, database)?);
    }
    Ok(out)
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct Applied {
    version: u32,
    checksum: String,
}

#[derive(Debug, clickhouse::Row, serde::Serialize)]
struct AppliedRecord<'a> {
    version: u32,
    name: &'a str,
    checksum: &'a str,
    applied_at: u32,
}

/// What a run of the runner did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<u32>,
    pub already: Vec<u32>,
}

/// Applies every pending migration to `client`'s database (which must exist). On a cluster,
/// an `ON CLUSTER` statement waits [`cluster_ddl::DDL_TIMEOUT_SECS`] for every host.
pub async fn apply(
    client: &Client,
    opts: &MigrateOptions,
    database: &str,
) -> Result<MigrationReport, SqlError> {
    let timeout = std::time::Duration::from_secs(cluster_ddl::DDL_TIMEOUT_SECS);
    apply_with_ddl_timeout(client, opts, database, timeout).await
}

/// [`apply`] with its own wait for the hosts of an `ON CLUSTER` statement: past it, the
/// error names the hosts that did not answer (see [`cluster_ddl`]).
pub async fn apply_with_ddl_timeout(
    client: &Client,
    opts: &MigrateOptions,
    database: &str,
    ddl_timeout: std::time::Duration,
) -> Result<MigrationReport, SqlError> {
    let client = &match &opts.topology {
        Topology::Single => client.clone(),
        Topology::Cluster { .. } => client.clone().with_setting(
            "distributed_ddl_task_timeout",
            ddl_timeout.as_secs().max(1).to_string(),
        ),
    };
    let boot = Migration {
        version: 0,
        name: "schema_migrations",
        sql: SCHEMA_MIGRATIONS,
    };
    for (index, stmt) in render(&boot, opts, database)?.iter().enumerate() {
        if let Err(source) = execute(client, opts, stmt, ddl_timeout).await {
            return Err(failed(client, opts, &boot, index, source).await);
        }
    }
    let applied: Vec<Applied> = client.query(APPLIED).fetch_all().await?;
    let mut report = MigrationReport::default();
    for m in MIGRATIONS {
        let sum = checksum(m.sql);
        if let Some(a) = applied.iter().find(|a| a.version == m.version) {
            if a.checksum != sum {
                return Err(SqlError::MigrationChanged {
                    version: m.version,
                    name: m.name.into(),
                    applied: a.checksum.clone(),
                    current: sum,
                });
            }
            report.already.push(m.version);
            continue;
        }
        for (index, stmt) in render(m, opts, database)?.iter().enumerate() {
            match execute(client, opts, stmt, ddl_timeout).await {
                Ok(()) => {}
                Err(e) if already_applied(stmt, &e) => {
                    tracing::info!(
                        version = m.version,
                        index,
                        "column already exists; statement counts as applied"
                    );
                }
                Err(source) => return Err(failed(client, opts, m, index, source).await),
            }
        }
        let mut insert = client.insert::<AppliedRecord>("schema_migrations").await?;
        insert
            .write(&AppliedRecord {
                version: m.version,
                name: m.name,
                checksum: &sum,
                applied_at: chrono::Utc::now().timestamp() as u32,
            })
            .await?;
        insert.end().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        report.applied.push(m.version);
    }
    Ok(report)
}

/// Runs one statement. On a cluster, a DDL timeout while every unfinished host is still
/// executing the statement is not a failure yet: the task is watched for `ddl_timeout` more,
/// and the statement succeeds if every host finishes it by then.
async fn execute(
    client: &Client,
    opts: &MigrateOptions,
    stmt: &str,
    ddl_timeout: std::time::Duration,
) -> Result<(), clickhouse::error::Error> {
    let source = match client.query(stmt).execute().await {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    let (Topology::Cluster { name }, Some(task)) =
        (&opts.topology, cluster_ddl::timed_out_task(&source))
    else {
        return Err(source);
    };
    if !cluster_ddl::unfinished_hosts_all_active(&source) {
        return Err(source);
    }
    tracing::warn!(%task, "hosts still executing a DDL statement after the timeout; waiting for them");
    match cluster_ddl::wait_for_hosts(client, name, &task, ddl_timeout).await {
        Ok(cluster_ddl::TaskState::Done) => Ok(()),
        // Reported as the statement's own error, naming the host.
        Ok(cluster_ddl::TaskState::Failed(host, code, message)) => {
            Err(clickhouse::error::Error::BadResponse(format!(
                "Code: {code}, the ON CLUSTER statement failed on {host}: {message}"
            )))
        }
        Ok(cluster_ddl::TaskState::Unfinished) | Err(_) => Err(source),
    }
}

/// The error of a failed statement; on a cluster, a DDL timeout names the hosts that did not
/// finish it.
async fn failed(
    client: &Client,
    opts: &MigrateOptions,
    m: &Migration,
    index: usize,
    source: clickhouse::error::Error,
) -> SqlError {
    if let (Topology::Cluster { name }, Some(task)) =
        (&opts.topology, cluster_ddl::timed_out_task(&source))
    {
        let hosts = match cluster_ddl::unfinished_hosts(client, name, &task).await {
            Ok(hosts) => hosts.join(", "),
            Err(e) => format!("unknown ({e})"),
        };
        return SqlError::ClusterDdl {
            version: m.version,
            name: m.name.into(),
            index,
            hosts,
            source,
        };
    }
    SqlError::Migration {
        version: m.version,
        name: m.name.into(),
        index,
        source,
    }
}

/// What an `ADD COLUMN` answers when the column exists: 18.16 (and current servers) say
/// ILLEGAL_COLUMN (44) "…column with this name already exists"; DUPLICATE_COLUMN (15) is
/// accepted too.
const DUPLICATE_COLUMN: u32 = 15;
const ILLEGAL_COLUMN: u32 = 44;

/// True when `stmt` is an `ALTER TABLE … ADD COLUMN` that failed only because the column is
/// already there (18.16 knows no `ADD COLUMN IF NOT EXISTS`; another process, or an earlier
/// run interrupted before it recorded the migration, added it).
pub fn already_applied(stmt: &str, err: &clickhouse::error::Error) -> bool {
    let is_add_column =
        stmt.trim_start().starts_with("ALTER TABLE ") && stmt.contains(" ADD COLUMN ");
    let clickhouse::error::Error::BadResponse(text) = err else {
        return false;
    };
    let exists = match error_code(text) {
        Some(DUPLICATE_COLUMN) => true,
        Some(ILLEGAL_COLUMN) => text.contains("already exists"),
        _ => false,
    };
    is_add_column && exists
}

/// `Code: 15, e.displayText() = …` → 15.
pub(crate) fn error_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + 6..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A stable checksum of a migration's text (SipHash-1-3 with a zero key, hex). Not a security
/// hash: it only detects an applied migration that was edited afterwards.
pub fn checksum(text: &str) -> String {
    use std::hash::Hasher;
    let mut h = siphasher::sip::SipHasher13::new();
    h.write(text.as_bytes());
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_dense_and_ordered() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
    }

    #[test]
    fn statements_split_and_drop_comments() {
        let s = statements("-- c\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n-- d\nSELECT 1;\n");
        assert_eq!(
            s,
            vec!["CREATE TABLE a (x UInt8) ENGINE = Memory", "SELECT 1"]
        );
    }

    #[test]
    fn only_a_duplicate_column_of_add_column_counts_as_applied() {
        let add = "ALTER TABLE sessions ADD COLUMN batch_id UInt64 DEFAULT 0";
        let dup = clickhouse::error::Error::BadResponse("Code: 15, e.displayText() = DB::Exception: Cannot add column batch_id: column with this name already exists".into());
        let old = clickhouse::error::Error::BadResponse("Code: 44, e.displayText() = DB::Exception: Cannot add column batch_id: column with this name already exists, e.what() = DB::Exception".into());
        let illegal = clickhouse::error::Error::BadResponse(
            "Code: 44, e.displayText() = DB::Exception: Illegal column".into(),
        );
        assert!(already_applied(add, &old));
        assert!(!already_applied(add, &illegal));
        let other = clickhouse::error::Error::BadResponse(
            "Code: 60, e.displayText() = DB::Exception: Table emc.x doesn't exist".into(),
        );
        assert!(already_applied(add, &dup));
        assert!(!already_applied(add, &other));
        assert!(!already_applied(
            "CREATE TABLE IF NOT EXISTS x (a UInt8) ENGINE = Memory",
            &dup
        ));
        assert!(!already_applied(add, &clickhouse::error::Error::TimedOut));
    }

    #[test]
    fn timezone_is_substituted() {
        let opts = MigrateOptions {
            timezone: "Europe/Paris".into(),
            topology: Topology::Single,
        };
        let all = render_all(&opts, "emc").unwrap().join("\n");
        assert!(all.contains("toDate(timestamp, 'Europe/Paris')"));
        assert!(
            all.contains("toDate(start, 'Europe/Paris') AS day,\n    dim,"),
            "the dimension rollup cuts days in the zone too"
        );
        assert!(!all.contains("{timezone}"));
    }
}
