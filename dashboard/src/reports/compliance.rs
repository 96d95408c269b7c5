//! Circular 22 compliance counts (per site, for a set of sites, failing pages) from the rollups
//! `compliance_daily` and `failing_pages_daily` (migration 0012); the shares and their
//! definitions are in [`crate::compliance`]. The rollups' thresholds and DC elements are those
//! of [`TIMINGS`] and [`DC_ELEMENTS`] (checked by a test below).
use super::breakdown::Limit;
use super::samples;
use super::scope::{daily_where, Daily, DAILY_WHERE};
use super::statement::{Sampled, Statement, With};
use crate::compliance::{build, domain_checks, Compliance, Counts, FailingPage, TIMINGS};
use crate::params::Range;
use crate::ranking::criteria::TimingCount;
use emc_sql::registry::SiteRow;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Per timing: loads that reported it, loads under its threshold, p75 of those reported (the
/// rollup's `<timing>_n`, `<timing>_ok`, `<timing>_p75`).
fn timing_columns() -> String {
    TIMINGS
        .iter()
        .map(|t| {
            let c = t.name;
            format!(
                "toUInt64(sum({c}_n)), toUInt64(sum({c}_ok)), \
                 if(sum({c}_n) = 0, toFloat64(0), toFloat64(quantileMerge(0.75)({c}_p75)))"
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn counts() -> String {
    format!(
        "toUInt64(sum(pageviews)), toUInt64(sum(labelled)), toUInt64(sum(dc_complete)), toUInt64(sum(https)), \
         toUInt64(sum(loads)), {} FROM compliance_daily WHERE {DAILY_WHERE}",
        timing_columns()
    )
}

/// Per site, from `compliance_daily` (migration 0012).
pub fn by_site_statement() -> Statement<Daily> {
    Statement::built(
        "compliance.by_site",
        format!("SELECT site, {} GROUP BY site ORDER BY site", counts()),
    )
}

/// All the given sites together.
pub fn total_statement() -> Statement<Daily> {
    Statement::built("compliance.total", format!("SELECT '', {}", counts()))
}

/// Pages by failures, from `failing_pages_daily` (migration 0012).
pub const FAILING: Statement<With<Daily, Limit>> = Statement::fixed(
    "compliance.failing_pages",
    concat!(
        "SELECT site, pathname, toUInt64(sum(page_loads)), toUInt64(sum(slow_loads)) AS f_slow, ",
        "toUInt64(sum(pageviews)), toUInt64(sum(missing_dc)) AS f_dc, toUInt64(sum(unlabelled)) AS f_label, ",
        "toUInt64(sum(insecure)) AS f_http FROM failing_pages_daily WHERE ",
        daily_where!(),
        " GROUP BY site, pathname HAVING f_slow + f_dc + f_label + f_http > 0 ",
        "ORDER BY f_slow + f_dc + f_label + f_http DESC, site, pathname LIMIT :limit"
    ),
);

#[derive(Debug, Clone, clickhouse::Row, Deserialize)]
struct CountsRow {
    site: String,
    pageviews: u64,
    labelled: u64,
    dc_complete: u64,
    https: u64,
    loads: u64,
    fcp_n: u64,
    fcp_ok: u64,
    fcp_p75: f64,
    lcp_n: u64,
    lcp_ok: u64,
    lcp_p75: f64,
    load_n: u64,
    load_ok: u64,
    load_p75: f64,
    response_n: u64,
    response_ok: u64,
    response_p75: f64,
}

impl From<&CountsRow> for Counts {
    fn from(r: &CountsRow) -> Counts {
        let mut c = Counts {
            pageviews: r.pageviews,
            labelled: r.labelled,
            dc_complete: r.dc_complete,
            https: r.https,
            loads: r.loads,
            ..Counts::default()
        };
        let t = [
            (r.fcp_n, r.fcp_ok, r.fcp_p75),
            (r.lcp_n, r.lcp_ok, r.lcp_p75),
            (r.load_n, r.load_ok, r.load_p75),
            (r.response_n, r.response_ok, r.response_p75),
        ];
        for (i, (n, ok, p75)) in t.iter().enumerate() {
            c.timings[i] = TimingCount {
                measured: *n,
                ok: *ok,
            };
            c.p75_ms[i] = (*n > 0).then_some(*p75);
        }
        c
    }
}

fn codes(sites: &[SiteRow]) -> Vec<String> {
    sites.iter().map(|s| s.code.clone()).collect()
}

/// Counts per site code (sites without hits are absent).
pub async fn counts_by_site(
    db: &Db,
    sites: &[String],
    range: &Range,
) -> Result<BTreeMap<String, Counts>, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(BTreeMap::new()); // an empty array literal has no element type on 18.16
    }
    let rows = by_site_statement()
        .query(db, &Daily::of(sites, range))?
        .fetch_all::<CountsRow>()
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.site.clone(), Counts::from(r)))
        .collect())
}

/// Compliance of each of `sites` (zeros for a site without hits), in the given order.
pub async fn by_site(
    db: &Db,
    sites: &[SiteRow],
    range: &Range,
) -> Result<Vec<Compliance>, clickhouse::error::Error> {
    let counts = counts_by_site(db, &codes(sites), range).await?;
    Ok(sites
        .iter()
        .map(|s| {
            build(
                &s.code,
                &counts.get(&s.code).copied().unwrap_or_default(),
                domain_checks(std::slice::from_ref(s)),
            )
        })
        .collect())
}

/// Compliance of `sites` taken together: one site, a portal with its components, the fleet.
pub async fn total(
    db: &Db,
    sites: &[SiteRow],
    range: &Range,
) -> Result<Compliance, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(build("", &Counts::default(), vec![]));
    }
    let row = total_statement()
        .query(db, &Daily::of(&codes(sites), range))?
        .fetch_one::<CountsRow>()
        .await?;
    Ok(build("", &Counts::from(&row), domain_checks(sites)))
}

/// The pages of `sites` that fail most, worst first (ties by site, then path).
pub async fn failing_pages(
    db: &Db,
    sites: &[SiteRow],
    range: &Range,
    limit: u32,
) -> Result<Vec<FailingPage>, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(vec![]);
    }
    FAILING
        .query(db, &With(Daily::of(&codes(sites), range), Limit { limit }))?
        .fetch_all::<FailingPage>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        by_site_statement().sampled(samples::daily()),
        total_statement().sampled(samples::daily()),
        FAILING.sampled(With(samples::daily(), Limit { limit: 20 })),
    ]
}

#[cfg(test)]
mod tests {
    use crate::compliance::{DC_ELEMENTS, TIMINGS};

    /// The rollups count with the thresholds and elements the shares are defined with.
    #[test]
    fn the_rollups_use_the_thresholds_and_elements_of_compliance_rs() {
        let m = emc_sql::migrate::MIGRATIONS
            .iter()
            .find(|m| m.name == "report_rollups")
            .expect("the report rollups migration");
        for t in TIMINGS {
            let (c, ms) = (t.name, t.threshold_ms);
            // compliance_daily (view and backfill) and failing_pages_daily (view and backfill).
            assert_eq!(
                m.sql.matches(&format!("{c} > 0 AND {c} < {ms})")).count(),
                2,
                "{c}"
            );
            assert_eq!(m.sql.matches(&format!("{c} >= {ms}")).count(), 2, "{c}");
        }
        let list: Vec<String> = DC_ELEMENTS.iter().map(|e| format!("'{e}'")).collect();
        let dc = format!("hasAll(dc_elements, [{}])", list.join(", "));
        assert_eq!(m.sql.matches(&dc).count(), 4);
    }
}
