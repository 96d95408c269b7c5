//! The report layer: every SQL statement the dashboard sends, one module per report, each
//! holding its statements and the function that runs them.
//!
//! A statement is a typed value ([`statement::Statement<P>`]): SQL with named placeholders
//! (`:sites`) and the type `P` whose value binds them by name, so binds cannot be miscounted
//! or misordered. The modern-ClickHouse catalog ([`catalog`]) binds sample values through the
//! same statements. Dimensions are [`Dimension`]; their columns and filter placeholders come
//! from it. Unfiltered figures and breakdowns read the rollups, and so do views with one
//! session-dimension filter where a rollup answers exactly; the other filtered views read the
//! raw `sessions`/`events` tables (see ARCHITECTURE.md, "Dashboard").
pub mod alerts;
pub mod alerts_facts;
pub mod alerts_rules;
pub mod annotations;
pub mod audit;
pub mod breakdown;
pub mod compliance;
pub mod deliveries;
pub mod digest;
pub mod dimension;
pub mod exit_pages;
pub mod goals;
pub mod health;
pub mod open_data;
pub mod overview;
pub mod pages;
pub mod partitions;
pub mod ranking;
pub mod ranking_scans;
pub mod realtime;
pub mod scope;
pub mod shares;
pub mod site_search;
pub mod statement;
pub mod stats;
pub mod subscriptions;
pub mod timeseries;
pub mod users;
pub mod visitors;

pub use breakdown::{breakdown, BreakdownRow};
pub use dimension::Dimension;
pub use overview::{overview, SiteFigures};
pub use realtime::{realtime, Realtime};
pub use scope::Scope;
pub use stats::{stats, Sources, Stats};
pub use timeseries::{buckets, timeseries, Point};

use crate::params::Filters;
use emc_sql::catalog::CatalogQuery;
use statement::Sampled;

pub(crate) fn ratio(a: i64, b: i64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The one filter `sessions_dims_daily` answers exactly: a single session-level filter other
/// than `exit_page` (whose visitors the rollup cannot tell, see migration 0007).
pub(crate) fn rollup_filter(f: &Filters) -> Option<(Dimension, &str)> {
    match f.active().as_slice() {
        [(d, value)] if d.is_session() && *d != Dimension::ExitPage => Some((*d, *value)),
        _ => None,
    }
}

/// Sample bind values for the catalog.
pub(crate) mod samples {
    use super::scope::{Daily, Filtered, Window};
    use crate::params::Filters;

    pub fn sites() -> Vec<String> {
        vec!["227".into(), "10000".into()]
    }
    pub fn daily() -> Daily {
        Daily {
            sites: sites(),
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
        }
    }
    pub fn window() -> Window {
        Window {
            sites: sites(),
            start: 1772298000,
            end: 1772384400,
        }
    }
    pub fn filtered() -> Filtered {
        Filtered {
            window: window(),
            filters: Filters::default(),
        }
    }
}

/// Every statement with sample binds, and whether its binds match its placeholders.
pub fn sampled() -> Vec<Sampled> {
    [
        stats::catalog(),
        timeseries::catalog(),
        breakdown::catalog(),
        pages::catalog(),
        exit_pages::catalog(),
        overview::catalog(),
        realtime::catalog(),
        compliance::catalog(),
        health::catalog(),
        ranking::catalog(),
        ranking_scans::catalog(),
        open_data::catalog(),
        partitions::catalog(),
        users::catalog(),
        audit::catalog(),
        site_search::catalog(),
        goals::catalog(),
        annotations::catalog(),
        alerts::catalog(),
        alerts_facts::catalog(),
        alerts_rules::catalog(),
        deliveries::catalog(),
        subscriptions::catalog(),
        digest::catalog(),
        shares::catalog(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every query the dashboard sends, bound with sample values, for the modern-ClickHouse check.
pub fn catalog() -> Vec<CatalogQuery> {
    sampled().into_iter().map(|s| s.query).collect()
}

#[cfg(test)]
mod tests {
    /// The string literals of Rust source (plain and raw), comments skipped.
    fn literals(src: &str) -> Vec<String> {
        let b: Vec<char> = src.chars().collect();
        let (mut out, mut i) = (vec![], 0);
        while i < b.len() {
            match b[i] {
                '/' if b.get(i + 1) == Some(&'/') => {
                    while i < b.len() && b[i] != '\n' {
                        i += 1;
                    }
                }
                '\'' if b.get(i + 2) == Some(&'\'') || b.get(i + 1) == Some(&'\\') => {
                    // a char literal ('"', '\''): skip to its closing quote
                    i += 1;
                    while i < b.len() && b[i] != '\'' {
                        i += if b[i] == '\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                'r' if matches!(b.get(i + 1), Some('"') | Some('#')) => {
                    let mut j = i + 1;
                    let mut hashes = 0;
                    while b.get(j) == Some(&'#') {
                        hashes += 1;
                        j += 1;
                    }
                    if b.get(j) != Some(&'"') {
                        i += 1;
                        continue;
                    }
                    let close: String = std::iter::once('"')
                        .chain("#".repeat(hashes).chars())
                        .collect();
                    let rest: String = b[j + 1..].iter().collect();
                    let end = rest.find(&close).unwrap_or(rest.len());
                    out.push(rest[..end].to_owned());
                    i = j + 1 + rest[..end].chars().count() + close.len();
                }
                '"' => {
                    let mut s = String::new();
                    i += 1;
                    while i < b.len() && b[i] != '"' {
                        if b[i] == '\\' {
                            i += 1;
                        }
                        if let Some(c) = b.get(i) {
                            s.push(*c);
                        }
                        i += 1;
                    }
                    out.push(s);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        out
    }

    const SQL: [&str; 8] = [
        "SELECT ",
        "INSERT INTO",
        "ALTER TABLE",
        "CREATE TABLE",
        "DROP TABLE",
        "OPTIMIZE TABLE",
        " FINAL",
        "GROUP BY",
    ];

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn the_literal_scanner_finds_sql_in_every_kind_of_string() {
        let src = "// SELECT in a comment\nlet c = '\"'; let a = \"SELECT x \\\" FROM t\";\n\
                   let b = r#\"INSERT INTO t\"#; let d = 'x';";
        let found = literals(src);
        assert_eq!(found, ["SELECT x \" FROM t", "INSERT INTO t"]);
    }

    /// Every SQL statement the dashboard sends is in the report layer: no SQL keyword in a
    /// string literal anywhere else in `dashboard/src`.
    #[test]
    fn no_sql_outside_the_report_layer() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let reports = src.join("reports");
        let mut files = vec![];
        rust_files(&src, &mut files);
        assert!(files.len() > 50, "{} files", files.len());
        let mut offenders = vec![];
        for f in files.iter().filter(|f| !f.starts_with(&reports)) {
            let text = std::fs::read_to_string(f).unwrap();
            for l in literals(&text) {
                if SQL.iter().any(|k| l.contains(k)) {
                    offenders.push(format!("{}: {l:?}", f.display()));
                }
            }
        }
        assert!(offenders.is_empty(), "SQL outside reports/: {offenders:#?}");
    }

    #[test]
    fn every_statement_binds_exactly_its_placeholders() {
        let all = super::sampled();
        assert!(all.len() > 40, "{} statements", all.len());
        let mut names = std::collections::BTreeSet::new();
        for s in &all {
            assert_eq!(s.check, Ok(()));
            assert!(!s.query.sql.contains('?'), "{}", s.query.name);
            assert!(names.insert(s.query.name.clone()), "{} twice", s.query.name);
            assert!(
                super::visitors::one_definition(&s.query.sql),
                "{} counts distinct values another way",
                s.query.name
            );
        }
    }
}
