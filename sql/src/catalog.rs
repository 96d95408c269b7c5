//! Every query the project runs, registered here so `make test` can check each one against
//! a current ClickHouse engine (chdb-core) as well as against 18.16.
//!
//! Each entry holds the SQL exactly as the code sends it, with sample values already bound by
//! the code's own binder (the dashboard's typed statements bind through the `clickhouse`
//! crate, as at run time). The end-to-end crate gathers every crate's list, runs each query on
//! 18.16 and hands them to `scripts/check_modern_clickhouse.py`.
use serde::Serialize;
use std::borrow::Cow;

#[derive(Debug, Clone, Serialize)]
pub struct CatalogQuery {
    pub name: Cow<'static, str>,
    /// Ready to run: no placeholder left.
    pub sql: Cow<'static, str>,
}

impl CatalogQuery {
    /// A statement without placeholders.
    pub const fn fixed(name: &'static str, sql: &'static str) -> CatalogQuery {
        CatalogQuery {
            name: Cow::Borrowed(name),
            sql: Cow::Borrowed(sql),
        }
    }
}

impl CatalogQuery {
    /// A `?` statement of this crate with sample SQL literals, one per `?`, substituted here
    /// (the dashboard's statements bind their samples through their own binder instead).
    pub fn with_binds(name: &'static str, sql: &str, binds: &[&str]) -> CatalogQuery {
        CatalogQuery {
            name: Cow::Borrowed(name),
            sql: Cow::Owned(bind(sql, binds)),
        }
    }
}

/// Substitutes sample literals for `?` placeholders, outside quoted strings.
fn bind(sql: &str, binds: &[&str]) -> String {
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

/// Queries that live in this crate (the registry and the migration runner).
pub fn sql_crate_queries() -> Vec<CatalogQuery> {
    vec![
        CatalogQuery::fixed("migrate.applied", crate::migrate::APPLIED),
        CatalogQuery::fixed("registry.list_agencies", crate::registry::LIST_AGENCIES),
        CatalogQuery::fixed("registry.list_sites", crate::registry::LIST_SITES),
    ]
    .into_iter()
    .chain(crate::scan::catalog())
    .chain(crate::replicas::catalog())
    .collect()
}
