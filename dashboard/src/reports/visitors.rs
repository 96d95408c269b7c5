//! The one definition of visitors (and of any distinct count of ids): ClickHouse's
//! `uniqCombined` with its default precision (2^17 cells), counted over raw rows with
//! [`distinct!`] or merged from the rollups' `uniqCombinedState` sketches with [`merged!`].
//! Both give the same number for the same set of ids, so a site's visitors are the same in its
//! report, its ranking and open data, filtered from raw rows or read from the rollups. The
//! sketch is exact up to a few thousand ids and then a HyperLogLog; its error, measured against
//! exact counts, is in the README ("Visitors").
//!
//! Every report statement writes visitors through these macros; the catalog test
//! (`reports::tests`) refuses any other distinct-count function in a report statement.

/// Distinct ids among raw rows, as `Int64` (`distinct!("visitor_id")`).
macro_rules! distinct {
    ($col:literal) => {
        concat!("toInt64(uniqCombined(", $col, "))")
    };
}
pub(crate) use distinct;

/// Distinct ids among raw rows that meet a condition, as `Int64`.
macro_rules! distinct_if {
    ($col:literal, $cond:literal) => {
        concat!("toInt64(uniqCombinedIf(", $col, ", ", $cond, "))")
    };
}
pub(crate) use distinct_if;

/// Distinct ids merged from a rollup's sketches, as `Int64` (`merged!("visitors")`).
macro_rules! merged {
    ($col:literal) => {
        concat!("toInt64(uniqCombinedMerge(", $col, "))")
    };
}
pub(crate) use merged;

/// The definition as reports write it over raw rows of `visitor_id`, and merged from a
/// rollup's `visitors` sketches: what `dashboard/tests/it/visitors_error.rs` measures.
pub const OVER_ROWS: &str = distinct!("visitor_id");
pub const OVER_SKETCHES: &str = merged!("visitors");

/// The aggregate functions of the definition; anything else that counts distinct values
/// (`uniq`, `uniqExact`, `uniqHLL12`, `uniqMerge`, …) is refused in report statements.
pub const FUNCTIONS: [&str; 3] = ["uniqCombined(", "uniqCombinedIf(", "uniqCombinedMerge("];

/// Whether `sql` counts distinct values only through [`FUNCTIONS`].
pub fn one_definition(sql: &str) -> bool {
    let mut rest = sql;
    while let Some(i) = rest.find("uniq") {
        let tail = &rest[i..];
        if !FUNCTIONS.iter().any(|f| tail.starts_with(f)) {
            return false;
        }
        rest = &tail[4..];
    }
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_one_definition_passes() {
        assert!(super::one_definition(concat!(
            "SELECT ",
            merged!("visitors"),
            ", ",
            distinct!("visitor_id"),
            ", ",
            distinct_if!("visitor_id", "n > 0")
        )));
        for other in [
            "uniq(visitor_id)",
            "uniqExact(x)",
            "uniqMerge(v)",
            "uniqCombined64(x)",
        ] {
            assert!(!super::one_definition(other), "{other}");
        }
    }
}
