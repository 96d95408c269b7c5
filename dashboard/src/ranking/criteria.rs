//! The raw figures of one site over a range ([`SiteInputs`], additive so a portal can absorb
//! its component sites) and their normalization to the eight criteria, each 0–100.
use super::sources::{ScanCounts, Sources};
use serde::Serialize;
use std::collections::BTreeSet;

/// The eight criteria, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    Traffic,
    Engagement,
    Connection,
    Label,
    Metadata,
    Domain,
    Speed,
    Security,
}

impl Criterion {
    pub const ALL: [Criterion; 8] = [
        Criterion::Traffic,
        Criterion::Engagement,
        Criterion::Connection,
        Criterion::Label,
        Criterion::Metadata,
        Criterion::Domain,
        Criterion::Speed,
        Criterion::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Traffic => "traffic",
            Criterion::Engagement => "engagement",
            Criterion::Connection => "connection",
            Criterion::Label => "label",
            Criterion::Metadata => "metadata",
            Criterion::Domain => "domain",
            Criterion::Speed => "speed",
            Criterion::Security => "security",
        }
    }
}

/// Page loads measured for one Circular 22 timing and how many met its threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TimingCount {
    pub measured: u64,
    pub ok: u64,
}

impl TimingCount {
    pub fn add(&mut self, o: TimingCount) {
        self.measured += o.measured;
        self.ok += o.ok;
    }
}

/// What one site (or a portal with its components) did over the range. Every field is a
/// count that adds up across sites, except `days` (a union) and `domains` (a list).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SiteInputs {
    pub visits: i64,
    pub bounces: i64,
    /// Sum of visit durations, seconds.
    pub duration: i64,
    /// Distinct visitors (sum of daily sketches).
    pub visitors: u64,
    /// Days of the range (in `EMC_TIMEZONE`, as days since 1970-01-01) with at least one hit.
    pub days: BTreeSet<u16>,
    pub pageviews: u64,
    pub labelled: u64,
    pub dc_complete: u64,
    pub https: u64,
    /// FCP, LCP, load, response — in [`crate::compliance::TIMINGS`] order.
    pub timings: [TimingCount; 4],
    pub domains: Vec<String>,
    /// What the scanner saw over the range (see [`super::sources`]).
    pub scan: ScanCounts,
}

impl SiteInputs {
    /// Adds another site's figures (a component site into its portal).
    pub fn absorb(&mut self, o: &SiteInputs) {
        self.visits += o.visits;
        self.bounces += o.bounces;
        self.duration += o.duration;
        self.visitors += o.visitors;
        self.days.extend(o.days.iter().copied());
        self.pageviews += o.pageviews;
        self.labelled += o.labelled;
        self.dc_complete += o.dc_complete;
        self.https += o.https;
        for (t, o) in self.timings.iter_mut().zip(o.timings) {
            t.add(o);
        }
        self.domains.extend(o.domains.iter().cloned());
        self.scan.absorb(&o.scan);
    }
}

/// The eight criteria of one site, each 0–100 (unrounded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Criteria {
    pub traffic: f64,
    pub engagement: f64,
    pub connection: f64,
    pub label: f64,
    pub metadata: f64,
    pub domain: f64,
    pub speed: f64,
    pub security: f64,
}

impl Criteria {
    pub fn get(&self, c: Criterion) -> f64 {
        match c {
            Criterion::Traffic => self.traffic,
            Criterion::Engagement => self.engagement,
            Criterion::Connection => self.connection,
            Criterion::Label => self.label,
            Criterion::Metadata => self.metadata,
            Criterion::Domain => self.domain,
            Criterion::Speed => self.speed,
            Criterion::Security => self.security,
        }
    }
}

/// What normalization needs beyond the site itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context {
    /// The largest visits and visitors in the group (traffic is relative to the group).
    pub max_visits: i64,
    pub max_visitors: u64,
    /// Days in the range.
    pub range_days: u32,
    /// Average visit duration that scores full marks, seconds.
    pub duration_target_secs: f64,
    /// Tag data, scan results or both, per criterion that has two.
    pub sources: Sources,
}

/// `100 × part / whole`, 0 when there is no whole.
pub fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (100.0 * part / whole).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// `100 × ln(1 + x) / ln(1 + max)`: traffic spans orders of magnitude between portals.
pub fn log_share(x: f64, max: f64) -> f64 {
    if max > 0.0 && x > 0.0 {
        (100.0 * (1.0 + x).ln() / (1.0 + max).ln()).clamp(0.0, 100.0)
    } else {
        0.0
    }
}

/// A domain under `gov.vn` (the zone itself or any name below it).
pub fn is_gov_vn(domain: &str) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    d == "gov.vn" || d.ends_with(".gov.vn")
}

/// Normalizes one site's inputs (see the formula at the top of `ranking`).
pub fn normalize(i: &SiteInputs, cx: &Context) -> Criteria {
    let visits = i.visits.max(0) as f64;
    let traffic = 0.5 * log_share(visits, cx.max_visits.max(0) as f64)
        + 0.5 * log_share(i.visitors as f64, cx.max_visitors as f64);
    let engagement = if visits > 0.0 {
        let stay = 1.0 - (i.bounces.max(0) as f64 / visits).min(1.0);
        let avg = i.duration.max(0) as f64 / visits;
        let dwell = if cx.duration_target_secs > 0.0 {
            (avg / cx.duration_target_secs).min(1.0)
        } else {
            0.0
        };
        50.0 * stay + 50.0 * dwell
    } else {
        0.0
    };
    let tag_speed = super::sources::mean_share(&i.timings);
    let gov = i.domains.iter().filter(|d| is_gov_vn(d)).count();
    let tag_domain = (!i.domains.is_empty()).then(|| pct(gov as f64, i.domains.len() as f64));
    let of_views = |n: u64| (i.pageviews > 0).then(|| pct(n as f64, i.pageviews as f64));
    let (src, scan) = (&cx.sources, &i.scan);
    Criteria {
        traffic,
        engagement,
        connection: pct(i.days.len() as f64, f64::from(cx.range_days)),
        label: src.label.combine(of_views(i.labelled), scan.label()),
        metadata: src
            .metadata
            .combine(of_views(i.dc_complete), scan.metadata()),
        domain: src.domain.combine(tag_domain, scan.domain()),
        speed: src.speed.combine(tag_speed, scan.speed()),
        security: src.security.combine(of_views(i.https), scan.security()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context {
        Context {
            max_visits: 1000,
            max_visitors: 500,
            range_days: 10,
            duration_target_secs: 120.0,
            sources: Sources::default(),
        }
    }

    #[test]
    fn each_criterion_is_normalized() {
        let i = SiteInputs {
            visits: 1000,
            bounces: 250,
            duration: 60_000, // 60 s average: half the target
            visitors: 500,
            days: (0..5).collect(),
            pageviews: 200,
            labelled: 50,
            dc_complete: 100,
            https: 200,
            timings: [
                TimingCount {
                    measured: 10,
                    ok: 10,
                },
                TimingCount {
                    measured: 10,
                    ok: 5,
                },
                TimingCount { measured: 0, ok: 0 }, // not reported: left out of the mean
                TimingCount { measured: 4, ok: 1 },
            ],
            domains: vec!["a.gov.vn".into(), "a.vn".into()],
            scan: ScanCounts::default(),
        };
        let c = normalize(&i, &cx());
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(c.traffic, 100.0));
        assert!(close(c.engagement, 50.0 * 0.75 + 50.0 * 0.5));
        assert!(close(c.connection, 50.0));
        assert!(close(c.label, 25.0));
        assert!(close(c.metadata, 50.0));
        assert!(close(c.domain, 50.0));
        assert!(close(c.speed, (100.0 + 50.0 + 25.0) / 3.0));
        assert!(close(c.security, 100.0));
    }

    #[test]
    fn a_silent_site_is_ranked_on_what_the_scanner_saw() {
        use crate::ranking::sources::{Source, Sources};
        use emc_sql::scan::Check;
        let mut scan = ScanCounts::default();
        scan.add(Check::LabelVisible, TimingCount { measured: 4, ok: 3 });
        scan.add(Check::Lcp, TimingCount { measured: 4, ok: 1 });
        scan.add(Check::Ttfb, TimingCount { measured: 4, ok: 4 });
        scan.add(Check::Hsts, TimingCount { measured: 5, ok: 5 });
        scan.add(Check::TlsValid, TimingCount { measured: 5, ok: 0 });
        let silent = SiteInputs {
            domains: vec!["a.gov.vn".into()],
            scan,
            ..SiteInputs::default()
        };
        let c = normalize(&silent, &cx());
        assert_eq!(
            (c.label, c.metadata, c.domain, c.speed, c.security),
            (75.0, 0.0, 100.0, 62.5, 50.0)
        );
        // With tag data too, `both` is the mean; `tag` ignores the scan, `scan` the tag.
        let tagged = SiteInputs {
            pageviews: 10,
            labelled: 5,
            https: 10,
            ..silent.clone()
        };
        let c = normalize(&tagged, &cx());
        assert_eq!((c.label, c.security), (62.5, 75.0));
        let one_side = Context {
            sources: Sources {
                label: Source::Tag,
                security: Source::Scan,
                ..Sources::default()
            },
            ..cx()
        };
        let c = normalize(&tagged, &one_side);
        assert_eq!((c.label, c.security), (50.0, 50.0));
        let c = normalize(&silent, &one_side);
        assert_eq!((c.label, c.speed), (0.0, 62.5));
    }

    #[test]
    fn no_data_scores_zero_not_nan() {
        let c = normalize(
            &SiteInputs::default(),
            &Context {
                max_visits: 0,
                max_visitors: 0,
                ..cx()
            },
        );
        for k in Criterion::ALL {
            assert_eq!(c.get(k), 0.0, "{}", k.as_str());
        }
    }

    #[test]
    fn gov_vn_domains() {
        for (d, want) in [
            ("gov.vn", true),
            ("hanoi.gov.vn", true),
            ("HANOI.GOV.VN.", true),
            ("gov.vn.com", false),
            ("xgov.vn", false),
            ("a.vn", false),
        ] {
            assert_eq!(is_gov_vn(d), want, "{d}");
        }
    }
}
