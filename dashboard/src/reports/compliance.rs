//! Circular 22 compliance counts (per site, for a set of sites, failing pages); the shares and
//! their definitions are in [`crate::compliance`]. The thresholds and DC elements in the SQL
//! come from [`TIMINGS`] and [`DC_ELEMENTS`].
use super::breakdown::Limit;
use super::samples;
use super::scope::{Window, SITES_IN};
use super::statement::{Sampled, Statement, With};
use crate::compliance::{
    build, domain_checks, Compliance, Counts, FailingPage, DC_ELEMENTS, TIMINGS,
};
use crate::params::Range;
use crate::ranking::criteria::TimingCount;
use emc_sql::registry::SiteRow;
use emc_sql::Db;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A page view whose page carries every mandatory Dublin Core element.
fn dc_all() -> String {
    let list: Vec<String> = DC_ELEMENTS.iter().map(|e| format!("'{e}'")).collect();
    format!("hasAll(dc_elements, [{}])", list.join(", "))
}

/// Per timing: loads that reported it, loads under its threshold, p75 of those reported.
fn timing_columns() -> String {
    TIMINGS
        .iter()
        .map(|t| {
            let (c, ms) = (t.name, t.threshold_ms);
            let m = format!("name = 'engagement' AND fcp > 0 AND {c} > 0");
            format!(
                "toUInt64(countIf({m})), toUInt64(countIf({m} AND {c} < {ms})), \
                 if(countIf({m}) = 0, toFloat64(0), toFloat64(quantileIf(0.75)(toFloat64({c}), {m})))"
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn counts() -> String {
    format!(
        "toUInt64(countIf(name = 'pageview')), toUInt64(countIf(name = 'pageview' AND emc_label = 1)), \
         toUInt64(countIf(name = 'pageview' AND {dc})), toUInt64(countIf(name = 'pageview' AND is_https = 1)), \
         toUInt64(countIf(name = 'engagement' AND fcp > 0)), {t} FROM events WHERE {SITES_IN} \
         AND timestamp >= toDateTime(:start) AND timestamp < toDateTime(:end)",
        dc = dc_all(),
        t = timing_columns()
    )
}

/// Per site.
pub fn by_site_statement() -> Statement<Window> {
    Statement::built(
        "compliance.by_site",
        format!("SELECT site, {} GROUP BY site ORDER BY site", counts()),
    )
}

/// All the given sites together.
pub fn total_statement() -> Statement<Window> {
    Statement::built("compliance.total", format!("SELECT '', {}", counts()))
}

/// Pages by failures.
pub fn failing_statement() -> Statement<With<Window, Limit>> {
    let slow: Vec<String> = TIMINGS
        .iter()
        .map(|t| format!("{} >= {}", t.name, t.threshold_ms))
        .collect();
    Statement::built(
        "compliance.failing_pages",
        format!(
            "SELECT site, pathname, toUInt64(countIf(name = 'engagement' AND fcp > 0)), \
             toUInt64(countIf(name = 'engagement' AND fcp > 0 AND ({slow}))) AS slow_loads, \
             toUInt64(countIf(name = 'pageview')), toUInt64(countIf(name = 'pageview' AND NOT {dc})) AS missing_dc, \
             toUInt64(countIf(name = 'pageview' AND emc_label = 0)) AS unlabelled, \
             toUInt64(countIf(name = 'pageview' AND is_https = 0)) AS insecure \
             FROM events WHERE {SITES_IN} AND timestamp >= toDateTime(:start) AND timestamp < toDateTime(:end) \
             GROUP BY site, pathname HAVING slow_loads + missing_dc + unlabelled + insecure > 0 \
             ORDER BY slow_loads + missing_dc + unlabelled + insecure DESC, site, pathname LIMIT :limit",
            slow = slow.join(" OR "),
            dc = dc_all()
        ),
    )
}

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
        .query(db, &Window::of(sites, range))?
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
        .query(db, &Window::of(&codes(sites), range))?
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
    failing_statement()
        .query(db, &With(Window::of(&codes(sites), range), Limit { limit }))?
        .fetch_all::<FailingPage>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        by_site_statement().sampled(samples::window()),
        total_statement().sampled(samples::window()),
        failing_statement().sampled(With(samples::window(), Limit { limit: 20 })),
    ]
}
