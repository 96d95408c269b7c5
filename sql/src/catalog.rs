//! Every query the project runs, registered here so `make test` can check each one against
//! a current ClickHouse engine (chdb-core) as well as against 18.16.
//!
//! Each entry holds the SQL as the code sends it, with `?` placeholders, and sample values
//! for those placeholders. The end-to-end crate gathers every crate's list, binds the
//! samples, runs each query on 18.16 and hands them to `scripts/check_modern_clickhouse.py`.
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CatalogQuery {
    pub name: &'static str,
    pub sql: &'static str,
    /// Sample values, already as SQL literals, one per `?`.
    pub binds: &'static [&'static str],
}

/// Queries that live in this crate (the registry and the migration runner).
pub fn sql_crate_queries() -> Vec<CatalogQuery> {
    vec![
        CatalogQuery {
            name: "migrate.applied",
            sql: crate::migrate::APPLIED,
            binds: &[],
        },
        CatalogQuery {
            name: "registry.list_agencies",
            sql: crate::registry::LIST_AGENCIES,
            binds: &[],
        },
        CatalogQuery {
            name: "registry.list_sites",
            sql: crate::registry::LIST_SITES,
            binds: &[],
        },
    ]
    .into_iter()
    .chain(crate::scan::catalog())
    .collect()
}

/// Substitutes sample literals for `?` placeholders, outside quoted strings.
pub fn bind(sql: &str, binds: &[&str]) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut values = binds.iter();
    let mut in_str = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_str = !in_str;
                out.push(c);
            }
            '?' if !in_str => out.push_str(values.next().copied().unwrap_or("NULL")),
            _ => out.push(c),
        }
    }
    out
}
