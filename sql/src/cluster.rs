//! Renders the single-server migrations in their cluster form.
//!
//! For every `CREATE TABLE x … ENGINE = <Kind>MergeTree(args)`:
//! - `x_local ON CLUSTER c` with `Replicated<Kind>MergeTree('/clickhouse/tables/{shard}/db/x_local', '{replica}', args)`;
//! - `x ON CLUSTER c AS x_local ENGINE = Distributed(c, db, x_local, <shard key>)`, so every
//!   query and insert of the services keeps using the plain name.
//!
//! - `ALTER TABLE x ADD COLUMN …` → the same on `x_local ON CLUSTER c`, then on the
//!   Distributed `x ON CLUSTER c` (whose structure must follow its local tables).
//!
//! Materialized views read and write the `_local` tables, so each shard rolls up its own rows.
//!
//! - `INSERT INTO x (…) SELECT … FROM y …` (a backfill) is sent once, as written: it reads the
//!   Distributed `y` and writes through the Distributed `x`, so every shard's rows are rolled
//!   up once (`INSERT` has no `ON CLUSTER`).
//! - `OPTIMIZE TABLE x FINAL` → `OPTIMIZE TABLE x_local ON CLUSTER c FINAL`.
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
        "users" | "api_tokens" => "cityHash64(username)",
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
    if let Some(c) = CREATE_TABLE.captures(stmt) {
        let table = &c[1];
        let local = format!("{table}_local");
        let e = ENGINE
            .captures(stmt)
            .ok_or_else(|| SqlError::Render(format!("table {table}: no MergeTree engine")))?;
        let (kind, args) = (&e[1], e[2].trim());
        let path = format!("'/clickhouse/tables/{{shard}}/{database}/{local}', '{{replica}}'");
        let all_args = if args.is_empty() {
            path
        } else {
            format!("{path}, {args}")
        };
        let engine = format!("ENGINE = Replicated{kind}MergeTree({all_args})");
        let head = format!("CREATE TABLE IF NOT EXISTS {local} ON CLUSTER {cluster} (");
        let local_stmt = ENGINE
            .replace(&CREATE_TABLE.replace(stmt, head.as_str()), engine.as_str())
            .into_owned();
        let dist = format!(
            "CREATE TABLE IF NOT EXISTS {table} ON CLUSTER {cluster} AS {local} \
             ENGINE = Distributed({cluster}, {database}, {local}, {})",
            shard_key(table)
        );
        return Ok(vec![local_stmt, dist]);
    }
    if let Some(c) = ALTER_ADD_COLUMN.captures(stmt) {
        let (table, action) = (&c[1], &c[2]);
        return Ok(vec![
            format!("ALTER TABLE {table}_local ON CLUSTER {cluster} {action}"),
            format!("ALTER TABLE {table} ON CLUSTER {cluster} {action}"),
        ]);
    }
    if let Some(c) = CREATE_MV.captures(stmt) {
        let (view, target) = (&c[1], &c[2]);
        let head = format!("CREATE MATERIALIZED VIEW IF NOT EXISTS {view} ON CLUSTER {cluster} TO {target}_local AS");
        let body = CREATE_MV.replace(stmt, head.as_str());
        let body = FROM.replace_all(&body, "FROM ${1}_local").into_owned();
        return Ok(vec![body]);
    }
    if INSERT_SELECT.is_match(stmt) {
        return Ok(vec![stmt.to_owned()]);
    }
    if let Some(c) = OPTIMIZE.captures(stmt) {
        return Ok(vec![format!(
            "OPTIMIZE TABLE {}_local ON CLUSTER {cluster} FINAL",
            &c[1]
        )]);
    }
    Err(SqlError::Render(format!(
        "unknown statement form (teach cluster.rs about it): {}",
        stmt.lines().next().unwrap_or_default()
    )))
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
            assert!(s.contains(" ON CLUSTER emc "), "{s}");
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
                .trim_end_matches("_local");
            let twin = format!("CREATE TABLE IF NOT EXISTS {table} ON CLUSTER emc AS {table}_local ENGINE = Distributed(emc, emc, {table}_local,");
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
        assert_eq!(views.len(), 7);
        for v in views {
            assert!(v.contains("_local AS"), "{v}");
            assert!(
                v.contains("FROM events_local") || v.contains("FROM sessions_local"),
                "{v}"
            );
        }
    }

    #[test]
    fn add_column_alters_the_local_table_then_its_distributed_twin() {
        let all = cluster_sql();
        let alters: Vec<&String> = all
            .iter()
            .filter(|s| s.starts_with("ALTER TABLE"))
            .collect();
        assert!(alters.len() >= 4, "{alters:?}");
        let local = all.iter().position(|s| {
            s == "ALTER TABLE sessions_local ON CLUSTER emc ADD COLUMN batch_id UInt64 DEFAULT 0"
        });
        let dist = all.iter().position(|s| {
            s == "ALTER TABLE sessions ON CLUSTER emc ADD COLUMN batch_id UInt64 DEFAULT 0"
        });
        assert!(local.is_some() && dist.is_some(), "{alters:?}");
        assert!(
            local < dist,
            "the local table first: the Distributed one follows it"
        );
        assert!(all.iter().any(|s| s == "ALTER TABLE connection_log_local ON CLUSTER emc ADD COLUMN batch_id UInt64 DEFAULT 0"));
    }

    #[test]
    fn backfills_go_through_the_distributed_tables_once() {
        let all = cluster_sql();
        let inserts: Vec<&String> = all
            .iter()
            .filter(|s| s.starts_with("INSERT INTO "))
            .collect();
        assert_eq!(inserts.len(), 3, "{inserts:?}");
        for s in &inserts {
            assert!(
                !s.contains("_local"),
                "a backfill reads and writes the Distributed tables: {s}"
            );
            assert!(
                s.contains("FROM sessions\n") || s.contains("FROM events\n"),
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
                .position(|s| s.contains(&format!("VIEW IF NOT EXISTS {view} ")))
                .unwrap();
            let i = all
                .iter()
                .position(|s| s.starts_with(&format!("INSERT INTO {table} ")))
                .unwrap();
            assert!(v < i, "{table}: view first, then backfill");
            let o = all
                .iter()
                .position(|s| s == &format!("OPTIMIZE TABLE {table}_local ON CLUSTER emc FINAL"))
                .unwrap();
            assert!(
                i < o,
                "{table}: backfill, then merge its parts on every shard"
            );
        }
    }

    #[test]
    fn unknown_forms_are_refused() {
        let err = super::render_all(&["DROP TABLE x".to_string()], "emc", "emc").unwrap_err();
        assert!(err.to_string().contains("unknown statement form"));
    }
}
