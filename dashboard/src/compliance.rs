//! Circular 22 compliance, per site and across the fleet.
//!
//! - **timings** — of the page loads measured (`engagement` hits with `fcp > 0`: timings ride on
//!   the engagement beacon), the share meeting each threshold: FCP < 3 s, LCP < 4 s,
//!   load < 5.8 s, response < 0.6 s. A timing a browser did not report (0) is left out of that
//!   timing's share (`measured` counts the loads that reported it); p75 over the same loads.
//! - **Dublin Core** — share of page views whose page carries every mandatory element
//!   (Title, Creator, Date, Publisher, Description, Identifier).
//! - **label** — share of page views on which the tag saw a visible EMC label; "seen" = at least one.
//! - **domain** — every registered domain under `gov.vn` (from the registry).
//! - **security** — share of page views served over HTTPS.
//! - **failing pages** — pages ranked by failures: slow loads (any reported timing at or over its
//!   threshold) + page views missing a DC element + without the label + over plain HTTP.
//!
//! Shares are fractions 0–1, `None` when nothing was measured. The counts come from
//! [`crate::reports::compliance`].
use crate::ranking::criteria::{is_gov_vn, TimingCount};
use emc_sql::registry::SiteRow;
use serde::{Deserialize, Serialize};

/// A Circular 22 timing and its threshold (a load meets it when strictly below).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timing {
    pub name: &'static str,
    pub threshold_ms: u32,
}

pub const TIMINGS: [Timing; 4] = [
    Timing {
        name: "fcp",
        threshold_ms: 3000,
    },
    Timing {
        name: "lcp",
        threshold_ms: 4000,
    },
    Timing {
        name: "load",
        threshold_ms: 5800,
    },
    Timing {
        name: "response",
        threshold_ms: 600,
    },
];

pub const DC_ELEMENTS: [&str; 6] = [
    "Title",
    "Creator",
    "Date",
    "Publisher",
    "Description",
    "Identifier",
];

/// The counts compliance (and ranking) is computed from, for one site or a set of sites.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub pageviews: u64,
    pub labelled: u64,
    pub dc_complete: u64,
    pub https: u64,
    /// Page loads measured (`engagement` hits with `fcp > 0`).
    pub loads: u64,
    /// In [`TIMINGS`] order.
    pub timings: [TimingCount; 4],
    /// p75 in ms, in [`TIMINGS`] order; `None` when not measured.
    pub p75_ms: [Option<f64>; 4],
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimingCompliance {
    pub name: &'static str,
    pub threshold_ms: u32,
    pub measured: u64,
    pub meeting: u64,
    pub share: Option<f64>,
    pub p75_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DomainCheck {
    pub site: String,
    pub domain: String,
    pub under_gov_vn: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Compliance {
    /// The site code, or `""` for a set of sites (the fleet).
    pub site: String,
    pub page_loads: u64,
    pub timings: Vec<TimingCompliance>,
    pub pageviews: u64,
    pub dc_complete: u64,
    pub dc_share: Option<f64>,
    pub labelled: u64,
    pub label_seen: bool,
    pub label_share: Option<f64>,
    pub https: u64,
    pub https_share: Option<f64>,
    pub domains: Vec<DomainCheck>,
    pub all_domains_gov_vn: bool,
}

#[derive(
    Debug, Clone, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct FailingPage {
    pub site: String,
    pub pathname: String,
    pub page_loads: u64,
    pub slow_loads: u64,
    pub pageviews: u64,
    pub missing_dc: u64,
    pub unlabelled: u64,
    pub insecure: u64,
}

impl FailingPage {
    pub fn failures(&self) -> u64 {
        self.slow_loads + self.missing_dc + self.unlabelled + self.insecure
    }
}

pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The registered domains of `sites`, each checked against `gov.vn`.
pub fn domain_checks(sites: &[SiteRow]) -> Vec<DomainCheck> {
    sites
        .iter()
        .flat_map(|s| {
            s.domains.iter().map(|d| DomainCheck {
                site: s.code.clone(),
                domain: d.clone(),
                under_gov_vn: is_gov_vn(d),
            })
        })
        .collect()
}

/// Shares from counts (pure).
pub fn build(site: &str, c: &Counts, domains: Vec<DomainCheck>) -> Compliance {
    let timings = TIMINGS
        .iter()
        .zip(c.timings.iter().zip(c.p75_ms))
        .map(|(t, (n, p75))| TimingCompliance {
            name: t.name,
            threshold_ms: t.threshold_ms,
            measured: n.measured,
            meeting: n.ok,
            share: share(n.ok, n.measured),
            p75_ms: p75,
        })
        .collect();
    Compliance {
        site: site.to_owned(),
        page_loads: c.loads,
        timings,
        pageviews: c.pageviews,
        dc_complete: c.dc_complete,
        dc_share: share(c.dc_complete, c.pageviews),
        labelled: c.labelled,
        label_seen: c.labelled > 0,
        label_share: share(c.labelled, c.pageviews),
        https: c.https,
        https_share: share(c.https, c.pageviews),
        all_domains_gov_vn: !domains.is_empty() && domains.iter().all(|d| d.under_gov_vn),
        domains,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_from_counts() {
        let c = Counts {
            pageviews: 4,
            labelled: 1,
            dc_complete: 2,
            https: 3,
            loads: 5,
            timings: [
                TimingCount { measured: 5, ok: 4 },
                TimingCount { measured: 0, ok: 0 },
                TimingCount::default(),
                TimingCount { measured: 2, ok: 1 },
            ],
            p75_ms: [Some(2500.0), None, None, Some(700.0)],
        };
        let doms = vec![DomainCheck {
            site: "1".into(),
            domain: "a.gov.vn".into(),
            under_gov_vn: true,
        }];
        let x = build("1", &c, doms);
        assert_eq!(x.timings[0].share, Some(0.8));
        assert_eq!(x.timings[1].share, None);
        assert_eq!(x.timings[3].share, Some(0.5));
        assert_eq!(
            (x.dc_share, x.label_share, x.https_share, x.label_seen),
            (Some(0.5), Some(0.25), Some(0.75), true)
        );
        assert!(x.all_domains_gov_vn);
        assert!(!build("1", &Counts::default(), vec![]).all_domains_gov_vn);
    }
}
