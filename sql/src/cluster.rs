//! Renders the single-server migrations in their cluster form.
//!
//! Every name is qualified with the database: an `ON CLUSTER` statement runs on each host in
//! that host's default database, whatever database the client asked for (18.16, measured).
//!
//! For every `CREATE TABLE x … ENGINE = <Kind>MergeTree(args)`:
//! - `db.x_local ON CLUSTER c` with `Replicated<Kind>MergeTree('/clickhouse/tables/{shard}/db/x_local', '{replica}', args)`;
//! - `db.x ON CLUSTER c AS db.x_local ENGINE = Distributed(c, db, x_local, <shard key>)`, so
//!   every query and insert of the services keeps using the plain name.
//!
//! - `ALTER TABLE x ADD COLUMN …` → the same on `db.x_local ON CLUSTER c`; then the
//!   Distributed `x` (whose structure must follow its local tables) is dropped and created
//!   again `ON CLUSTER`: 18.16 refuses `ALTER … ON CLUSTER` on a table that is not replicated
//!   in a cluster whose shards are ("Table x isn't replicated, but shard #1 is replicated",
//!   code 371). A Distributed table holds no rows (inserts are synchronous, see `db.rs`), so
//!   nothing is lost, and both statements are idempotent.
//!
//! Materialized views read and write the `_local` tables, so each shard rolls up its own rows.
//!
//! - `INSERT INTO x (…) SELECT … FROM y …` (a backfill) is sent once, as written: it reads the
//!   Distributed `y` and writes through the Distributed `x`, so every shard's rows are rolled
//!   up once (`INSERT` has no `ON CLUSTER`).
//! - `OPTIMIZE TABLE x FINAL` is left out: 18.16 fails it `ON CLUSTER` on a replicated table
//!   ("Unknown log entry type: 0", code 49), and it only merges parts sooner; readers
//!   aggregate over parts anyway, and background merges do the same work later.
//!
//! A statement form the renderer does not know is an error, not a silent pass-through.
use crate::SqlError;
use regex::Regex;
use std::sync::LazyLock;

static CREATE_TABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^CREATE TABLE IF NOT EXISTS (\w+) \(").expect("regex"));
static ENGINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ENGINE = (\w*)MergeTree\(([^)]*)\)").expect("regex"));
static CREATE_MV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS").expect("regex")
});
static ALTER_ADD_COLUMN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^ALTER TABLE (\w+) (ADD COLUMN .*)$").expect("regex"));
static INSERT_SELECT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^INSERT INTO (\w+) \([\w, ]+\)\s+SELECT\b").expect("regex"));
static OPTIMIZE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^OPTIMIZE TABLE (\w+) FINAL$").expect("regex"));
static FROM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bFROM (\w+)").expect("regex"));

/// How rows of a table are spread over shards. Rows that must merge with each other
/// (collapsing pairs of one session, versions of one registry row) land on one shard.
pub fn shard_key(table: &str) -> &'static str {
    match table {
        "events" | "sessions" => "cityHash64(site, visitor_id)",
        "agencies" => "cityHash64(id)",
        "sites" => "cityHash64(code)",
        // A site's scans on one shard: its scorecard and "what changed" read one shard's rows.
        "scan_checks" | "scans" | "scan_requests" => "cityHash64(site)",
        "users" | "api_tokens" | "subscriptions" => "cityHash64(username)",
        "alert_settings" | "alert_rule_overrides" => "cityHash64(site, rule)",
        "alerts" => "cityHash64(id)",
        // Every version of a goal on one shard, so `FINAL` keeps the newest.
        "goals" | "annotations" | "shares" => "cityHash64(id)",
        "schema_migrations" => "version",
        _ => "rand()",
    }
}

/// The cluster form of every statement, in order.
pub fn render_all(
    statements: &[String],
    cluster: &str,
    database: &str,
) -> Result<Vec<String>, SqlError> {
    let mut out = Vec::with_capacity(statements.len() * 2);
    for stmt in statements {
        out.extend(render_one(stmt, cluster, database)?);
    }
    Ok(out)
}

fn render_one(stmt: &str, cluster: &str, database: &str) -> Result<Vec<String>, SqlError> {
    let db = database;
    if let Some(c) = CREATE_TABLE.captures(stmt) {
        let table = &c[1];
        let local = format!("{table}_local");
        let e = ENGINE
            .captures(stmt)
            .ok_or_else(|| SqlError::Render(format!("table {table}: no MergeTree engine")))?;
        let (kind, args) = (&e[1], e[2].trim());
        let path = format!("'/clickhouse/tables/{{shard}}/{db}/{local}', '{{replica}}'");
        let all_args = if args.is_empty() {
            path
        } else {
            format!("{path}, {args}")
        };
        let engine = format!("ENGINE = Replicated{kind}MergeTree({all_args})");
        let head = format!("CREATE TABLE IF NOT EXISTS {db}.{local} ON CLUSTER {cluster} (");
        let local_stmt = ENGINE
            .replace(&CREATE_TABLE.replace(stmt, head.as_str()), engine.as_str())
            .into_owned();
        return Ok(vec![local_stmt, distributed(table, cluster, db)]);
    }
    if let Some(c) = ALTER_ADD_COLUMN.captures(stmt) {
        let (table, action) = (&c[1], &c[2]);
        return Ok(vec![
            format!("ALTER TABLE {db}.{table}_local ON CLUSTER {cluster} {action}"),
            format!("DROP TABLE IF EXISTS {db}.{table} ON CLUSTER {cluster}"),
            distributed(table, cluster, db),
        ]);
    }
    if let Some(c) = CREATE_MV.captures(stmt) {
        let (view, target) = (&c[1], &c[2]);
        let head = format!(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.{view} ON CLUSTER {cluster} TO {db}.{target}_local AS"
        );
        let body = CREATE_MV.replace(stmt, head.as_str());
        let from = format!("FROM {db}.${{1}}_local");
        let body = FROM.replace_all(&body, from.as_str()).into_owned();
        return Ok(vec![body]);
    }
    if INSERT_SELECT.is_match(stmt) {
        return Ok(vec![stmt.to_owned()]);
    }
    if OPTIMIZE.is_match(stmt) {
        return Ok(Vec::new());
    }
    Err(SqlError::Render(format!(
        "unknown statement form (teach cluster.rs about it): {}",
        stmt.lines().next().unwrap_or_default()
    )))
}

/// The Distributed twin of `table`: the name the services read and write.
fn distributed(table: &str, cluster: &str, db: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {db}.{table} ON CLUSTER {cluster} AS {db}.{table}_local \
         ENGINE = Distributed({cluster}, {db}, {table}_local, {})",
        shard_key(table)
    )
}

#[cfg(test)]
mod tests {
    use crate::migrate::{render_all, MigrateOptions, Topology};

    fn cluster_sql() -> Vec<String> {
        let opts = MigrateOptions {
            timezone: "Asia/Ho_Chi_Minh".into(),
            topology: Topology::Cluster { name: "emc".into() },
        };
        render_all(&opts, "emc").expect("renders")
    }

    #[test]
    fn every_statement_is_on_cluster() {
        for s in cluster_sql()
            .into_iter()
            .filter(|s| !s.starts_with("INSERT INTO "))
        {
            assert!(
                s.contains(" ON CLUSTER emc ") || s.ends_with(" ON CLUSTER emc"),
                "{s}"
            );
            // Qualified: ON CLUSTER runs in each host's default database.
            let name = s.split(" ON CLUSTER").next().unwrap();
            assert!(
                name.ends_with(|c: char| c.is_alphanumeric() || c == '_'),
                "{s}"
            );
            assert!(name.rsplit(' ').next().unwrap().starts_with("emc."), "{s}");
        }
    }

    #[test]
    fn every_mergetree_is_replicated_with_a_distributed_twin() {
        let all = cluster_sql();
        let locals: Vec<&String> = all.iter().filter(|s| s.contains("MergeTree(")).collect();
        assert!(
            locals.len() >= 10,
            "expected the whole schema, got {}",
            locals.len()
        );
        for s in &locals {
            assert!(s.contains("ENGINE = Replicated"), "{s}");
            assert!(s.contains("'/clickhouse/tables/{shard}/emc/"), "{s}");
            let table = s
                .split_whitespace()
                .nth(5)
                .unwrap()
                .trim_start_matches("emc.")
                .trim_end_matches("_local");
            let twin = format!("CREATE TABLE IF NOT EXISTS emc.{table} ON CLUSTER emc AS emc.{table}_local ENGINE = Distributed(emc, emc, {table}_local,");
            assert!(
                all.iter().any(|d| d.starts_with(&twin)),
                "no Distributed twin for {table}"
            );
        }
    }

    #[test]
    fn collapsing_keeps_its_sign_and_replacing_its_version() {
        let all = cluster_sql().join("\n");
        assert!(all.contains("ReplicatedCollapsingMergeTree('/clickhouse/tables/{shard}/emc/sessions_local', '{replica}', sign)"));
        assert!(all.contains("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/emc/sites_local', '{replica}', version)"));
        assert!(all.contains("Distributed(emc, emc, sessions_local, cityHash64(site, visitor_id))"));
    }

    #[test]
    fn views_read_and_write_local_tables() {
        let views: Vec<String> = cluster_sql()
            .into_iter()
            .filter(|s| s.contains("MATERIALIZED VIEW"))
            .collect();
        assert_eq!(views.len(), 12);
        for v in views {
            assert!(v.contains(" TO emc.") && v.contains("_local AS"), "{v}");
            assert!(
                ["events", "sessions", "connection_log"]
                    .iter()
                    .any(|t| v.contains(&format!("FROM emc.{t}_local"))),
                "{v}"
            );
        }
    }

    #[test]
    fn add_column_alters_the_local_table_then_recreates_its_distributed_twin() {
        let all = cluster_sql();
        let at = |stmt: &str| all.iter().position(|s| s == stmt);
        let alter = at(
            "ALTER TABLE emc.sessions_local ON CLUSTER emc ADD COLUMN batch_id UInt64 DEFAULT 0",
        );
        let drop = at("DROP TABLE IF EXISTS emc.sessions ON CLUSTER emc");
        let create = all
            .iter()
            .rposition(|s| s.starts_with("CREATE TABLE IF NOT EXISTS emc.sessions ON CLUSTER emc AS emc.sessions_local ENGINE = Distributed("));
        assert!(
            alter.is_some() && drop.is_some() && create.is_some(),
            "{all:?}"
        );
        assert!(
            alter < drop && drop < create,
            "the local table first, then its Distributed twin is made again from it"
        );
        assert!(all.iter().any(|s| s == "ALTER TABLE emc.connection_log_local ON CLUSTER emc ADD COLUMN batch_id UInt64 DEFAULT 0"));
        assert!(
            !all.iter()
                .any(|s| s.starts_with("ALTER TABLE emc.sessions ")),
            "18.16 refuses ALTER ON CLUSTER on the Distributed table"
        );
    }

    #[test]
    fn backfills_go_through_the_distributed_tables_once() {
        let all = cluster_sql();
        let inserts: Vec<&String> = all
            .iter()
            .filter(|s| s.starts_with("INSERT INTO "))
            .collect();
        assert_eq!(inserts.len(), 8, "{inserts:?}");
        for s in &inserts {
            assert!(
                !s.contains("_local"),
                "a backfill reads and writes the Distributed tables: {s}"
            );
            assert!(
                s.contains("FROM sessions\n")
                    || s.contains("FROM events\n")
                    || s.contains("FROM connection_log\n"),
                "{s}"
            );
        }
        // Each backfill comes after the view that feeds the same table.
        for (view, table) in [
            ("sessions_dims_daily_mv", "sessions_dims_daily"),
            ("pages_daily_mv", "pages_daily"),
            ("visitors_daily_mv", "visitors_daily"),
        ] {
            let v = all
                .iter()
                .position(|s| s.contains(&format!("VIEW IF NOT EXISTS emc.{view} ")))
                .unwrap();
            let i = all
                .iter()
                .position(|s| s.starts_with(&format!("INSERT INTO {table} ")))
                .unwrap();
            assert!(v < i, "{table}: view first, then backfill");
        }
        assert!(
            !all.iter().any(|s| s.starts_with("OPTIMIZE")),
            "18.16 fails OPTIMIZE ON CLUSTER on replicated tables"
        );
    }

    #[test]
    fn unknown_forms_are_refused() {
        let err = super::render_all(&["DROP TABLE x".to_string()], "emc", "emc").unwrap_err();
        assert!(err.to_string().contains("unknown statement form"));
    }
}
