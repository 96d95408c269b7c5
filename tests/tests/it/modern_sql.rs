//! Every migration statement and every query the project runs, on ClickHouse 18.16 (the
//! test server) and on ClickHouse 26.9 (chdb-core, through scripts/check_modern_clickhouse.py);
//! and the resulting schema must be the same on both.
use emc_sql::catalog::CatalogQuery;
use emc_sql::migrate::{render_all, MigrateOptions};
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use serde::Serialize;

/// A query that proves every column a row type writes exists (the INSERT's column list).
fn insert_columns<T: Serialize + Default>(table: &'static str) -> CatalogQuery {
    let value = serde_json::to_value(T::default()).expect("row serializes");
    let cols: Vec<String> = value
        .as_object()
        .expect("a struct")
        .keys()
        .cloned()
        .collect();
    let sql = format!("SELECT {} FROM {table} LIMIT 0", cols.join(", "));
    CatalogQuery {
        name: table.into(),
        sql: sql.into(),
    }
}

fn every_query() -> Vec<CatalogQuery> {
    let mut all = emc_sql::catalog::sql_crate_queries();
    all.extend(emc_dashboard::queries());
    all.push(insert_columns::<EventRow>("events"));
    all.push(insert_columns::<SessionRow>("sessions"));
    all.push(insert_columns::<ConnectionLogRow>("connection_log"));
    all.push(insert_columns::<emc_sql::registry::SiteRow>("sites"));
    all.push(insert_columns::<emc_sql::registry::AgencyRow>("agencies"));
    all.push(insert_columns::<emc_sql::scan::ScanCheckRow>("scan_checks"));
    all.push(insert_columns::<emc_sql::scan::ScanRow>("scans"));
    all.push(insert_columns::<emc_sql::scan::ScanRequestRow>(
        "scan_requests",
    ));
    all
}

#[derive(serde::Deserialize)]
struct Report {
    engine: String,
    failures: Vec<serde_json::Value>,
    columns: Vec<(String, String, String)>,
}

#[derive(clickhouse::Row, serde::Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    table: String,
    name: String,
    r#type: String,
}

#[tokio::test]
async fn schema_and_queries_are_valid_on_18_16_and_on_current_clickhouse() {
    let db = emc_sql::testing::test_db("modern_sql").await;
    let queries: Vec<(String, String)> = every_query()
        .iter()
        .map(|q| (q.name.to_string(), q.sql.to_string()))
        .collect();
    for (name, sql) in &queries {
        if let Err(e) = db.client().query(sql).execute().await {
            panic!("query {name} fails on 18.16: {e}\n{sql}");
        }
    }

    let statements = render_all(&MigrateOptions::default(), "emc").unwrap();
    let spec = serde_json::json!({
        "statements": statements,
        "queries": queries.iter().map(|(n, s)| serde_json::json!({"name": n, "sql": s})).collect::<Vec<_>>(),
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("catalog.json");
    std::fs::write(&input, spec.to_string()).unwrap();
    let script = emc_e2e::workspace_root().join("scripts/check_modern_clickhouse.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&input)
        .output()
        .expect("python3");
    let report: Report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report from chdb ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(report.engine.starts_with("26."), "engine {}", report.engine);
    assert!(
        report.failures.is_empty(),
        "invalid on ClickHouse {}: {:#?}",
        report.engine,
        report.failures
    );
    assert!(out.status.success());

    let mut old: Vec<Column> = db
        .client()
        .query("SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, name")
        .fetch_all()
        .await
        .unwrap();
    let mut new: Vec<Column> = report
        .columns
        .into_iter()
        .map(|(table, name, r#type)| Column {
            table,
            name,
            r#type,
        })
        .collect();
    // Views carry no data (18.16 prints their DateTime with the server's zone): compare tables.
    old.retain(|c| !c.table.ends_with("_mv"));
    new.retain(|c| !c.table.ends_with("_mv"));
    old.sort();
    new.sort();
    assert!(
        old.len() > 100,
        "the whole schema is compared ({} columns)",
        old.len()
    );
    let only_old: Vec<_> = old.iter().filter(|c| !new.contains(c)).collect();
    let only_new: Vec<_> = new.iter().filter(|c| !old.contains(c)).collect();
    assert!(
        only_old.is_empty() && only_new.is_empty(),
        "schema differs: 18.16 only {only_old:?}; {} only {only_new:?}",
        report.engine
    );
}
