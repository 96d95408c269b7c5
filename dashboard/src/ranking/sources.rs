//! Where the label, metadata, domain, speed and security criteria come from: what the tag
//! reported (page views), what `emc-scanner` saw (its checks in the range), or both — the
//! default, so a site whose tag sends nothing is still ranked on what the scanner saw.
//!
//! Scan side of each criterion, over every scan of the range (every domain of the site; a
//! check that ended `error` or `n/a` is left out, so is a check with no scan):
//! - label: `100 × label_visible passing / (passing + failing)`;
//! - metadata: `100 × pages with the six DC elements / pages read`, summed over the
//!   `dc_complete` results (their value is `complete/read`: the homepage and the inner pages
//!   sampled);
//! - domain: `100 × domain_gov_vn passing / (passing + failing)`;
//! - speed: the mean over `fcp`, `lcp`, `load`, `ttfb` (the tag side's FCP, LCP, load,
//!   response, with the same thresholds) of `100 × passing / (passing + failing)`;
//! - security: the mean over `tls_valid`, `https_redirect`, `hsts`, `security_headers`,
//!   `mixed_content` of `100 × passing / (passing + failing)`.
//!
//! `both`: the mean of the tag side and the scan side when both have data, the side that has
//! data otherwise, 0 when neither has; `tag` and `scan` take one side (0 without its data).
use super::criteria::{pct, TimingCount};
use emc_sql::scan::Check;
use serde::{Deserialize, Serialize};

/// Which data a criterion is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// What the tag reported (page views, page loads; the registry for `domain`).
    Tag,
    /// What `emc-scanner` saw.
    Scan,
    /// The mean of both when both have data, else the one that has.
    #[default]
    Both,
}

impl Source {
    /// The name in the configuration file.
    pub fn key(self) -> &'static str {
        match self {
            Source::Tag => "tag",
            Source::Scan => "scan",
            Source::Both => "both",
        }
    }

    /// The criterion from its two sides (`None`: that side has no data).
    pub fn combine(self, tag: Option<f64>, scan: Option<f64>) -> f64 {
        match (self, tag, scan) {
            (Source::Tag, t, _) => t.unwrap_or(0.0),
            (Source::Scan, _, s) => s.unwrap_or(0.0),
            (Source::Both, Some(t), Some(s)) => (t + s) / 2.0,
            (Source::Both, t, s) => t.or(s).unwrap_or(0.0),
        }
    }
}

/// The source of each criterion that has two (`"sources"` in `ranking.default.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sources {
    pub label: Source,
    pub metadata: Source,
    pub domain: Source,
    pub speed: Source,
    pub security: Source,
}

/// The speed checks, in the order of the tag's timings ([`crate::compliance::TIMINGS`]).
pub const SPEED: [Check; 4] = [Check::Fcp, Check::Lcp, Check::Load, Check::Ttfb];
/// The security checks.
pub const SECURITY: [Check; 5] = [
    Check::TlsValid,
    Check::HttpsRedirect,
    Check::Hsts,
    Check::SecurityHeaders,
    Check::MixedContent,
];

/// Every check the ranking reads.
pub fn checks() -> Vec<Check> {
    [Check::LabelVisible, Check::DcComplete, Check::DomainGovVn]
        .into_iter()
        .chain(SPEED)
        .chain(SECURITY)
        .collect()
}

/// What the scanner saw of one site (or a portal with its components) over the range: per
/// check, results counted (passing + failing) and passing — for `dc_complete`, pages read and
/// pages complete. Additive, like the tag's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanCounts {
    pub label: TimingCount,
    pub metadata: TimingCount,
    pub domain: TimingCount,
    /// In [`SPEED`] order.
    pub speed: [TimingCount; 4],
    /// In [`SECURITY`] order.
    pub security: [TimingCount; 5],
}

impl ScanCounts {
    /// Adds the counts of one check (a check the ranking does not read is ignored).
    pub fn add(&mut self, check: Check, c: TimingCount) {
        let slot = match check {
            Check::LabelVisible => Some(&mut self.label),
            Check::DcComplete => Some(&mut self.metadata),
            Check::DomainGovVn => Some(&mut self.domain),
            _ => None,
        };
        let slot = slot
            .or_else(|| {
                SPEED
                    .iter()
                    .position(|s| *s == check)
                    .map(|k| &mut self.speed[k])
            })
            .or_else(|| {
                SECURITY
                    .iter()
                    .position(|s| *s == check)
                    .map(|k| &mut self.security[k])
            });
        if let Some(s) = slot {
            s.add(c);
        }
    }

    pub fn absorb(&mut self, o: &ScanCounts) {
        self.label.add(o.label);
        self.metadata.add(o.metadata);
        self.domain.add(o.domain);
        for (a, b) in self.speed.iter_mut().zip(o.speed) {
            a.add(b);
        }
        for (a, b) in self.security.iter_mut().zip(o.security) {
            a.add(b);
        }
    }

    pub fn label(&self) -> Option<f64> {
        share(self.label)
    }
    pub fn metadata(&self) -> Option<f64> {
        share(self.metadata)
    }
    pub fn domain(&self) -> Option<f64> {
        share(self.domain)
    }
    pub fn speed(&self) -> Option<f64> {
        mean_share(&self.speed)
    }
    pub fn security(&self) -> Option<f64> {
        mean_share(&self.security)
    }
}

/// `100 × ok / measured`, `None` without a measure.
pub fn share(c: TimingCount) -> Option<f64> {
    (c.measured > 0).then(|| pct(c.ok as f64, c.measured as f64))
}

/// The mean of the shares that have a measure, `None` when none has.
pub fn mean_share(counts: &[TimingCount]) -> Option<f64> {
    let s: Vec<f64> = counts.iter().filter_map(|c| share(*c)).collect();
    (!s.is_empty()).then(|| s.iter().sum::<f64>() / s.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(measured: u64, ok: u64) -> TimingCount {
        TimingCount { measured, ok }
    }

    #[test]
    fn sources_combine() {
        assert_eq!(Source::Both.combine(Some(40.0), Some(80.0)), 60.0);
        assert_eq!(Source::Both.combine(None, Some(80.0)), 80.0);
        assert_eq!(Source::Both.combine(Some(40.0), None), 40.0);
        assert_eq!(Source::Both.combine(None, None), 0.0);
        assert_eq!(Source::Tag.combine(None, Some(80.0)), 0.0);
        assert_eq!(Source::Scan.combine(Some(40.0), None), 0.0);
    }

    #[test]
    fn checks_fill_their_criterion() {
        let mut c = ScanCounts::default();
        c.add(Check::LabelVisible, tc(2, 1));
        c.add(Check::DcComplete, tc(8, 3));
        c.add(Check::Lcp, tc(4, 1));
        c.add(Check::Fcp, tc(4, 4));
        c.add(Check::Hsts, tc(1, 0));
        c.add(Check::Robots, tc(5, 5));
        assert_eq!(c.label(), Some(50.0));
        assert_eq!(c.metadata(), Some(37.5));
        assert_eq!(
            c.speed(),
            Some((25.0 + 100.0) / 2.0),
            "load, ttfb unmeasured"
        );
        assert_eq!(c.security(), Some(0.0));
        assert_eq!(c.domain(), None);
        let mut both = c;
        both.absorb(&c);
        assert_eq!(both.metadata, tc(16, 6));
        assert_eq!(checks().len(), 12);
    }
}
