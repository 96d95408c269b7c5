//! The alert rules, their keys (the subscription names) and their documented defaults.
//!
//! | rule | opens when | threshold | floor |
//! |---|---|---|---|
//! | `silent` | no accepted beacon for longer than the threshold | `EMC_SILENCE_SECS` (86 400 s) | — |
//! | `broken_tag` | rejected share of the last hour's requests above the threshold | 0.20 | 20 requests in the hour |
//! | `traffic_drop` | today so far below (1 − threshold) × the median of the same weekday's same hours over the last 4 weeks | 0.5 | median ≥ 50 hits |
//! | `traffic_spike` | today so far above (1 + threshold) × that median | 2.0 | today ≥ 50 hits |
//! | `down` | the last `threshold` scans of a domain all failed the `http` check | 2 | — |
//! | `tls_expiry` | the newest `tls_expiry_days` value is at most the threshold | 14 days | — |
//! | `compliance` | a scanner check that passed now fails | — | — |
//!
//! Every rule is enabled and has a cooldown of [`COOLDOWN_SECS`] (12 h) by default. A site's
//! [`Override`] (table `alert_rule_overrides`) replaces any of `enabled`, `threshold`, `floor`
//! and `cooldown`; a field left `None` keeps the default.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Silent,
    Down,
    TlsExpiry,
    BrokenTag,
    TrafficDrop,
    TrafficSpike,
    Compliance,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Silent,
        Rule::Down,
        Rule::TlsExpiry,
        Rule::BrokenTag,
        Rule::TrafficDrop,
        Rule::TrafficSpike,
        Rule::Compliance,
    ];

    /// The name in subscriptions, the API and `alerts.rule`.
    pub fn key(self) -> &'static str {
        match self {
            Rule::Silent => "silent",
            Rule::Down => "down",
            Rule::TlsExpiry => "tls_expiry",
            Rule::BrokenTag => "broken_tag",
            Rule::TrafficDrop => "traffic_drop",
            Rule::TrafficSpike => "traffic_spike",
            Rule::Compliance => "compliance",
        }
    }

    pub fn parse(key: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.key() == key)
    }

    /// Vietnamese label (mail subjects, pages).
    pub fn label_vi(self) -> &'static str {
        match self {
            Rule::Silent => "Mất kết nối (không nhận dữ liệu)",
            Rule::Down => "Trang không truy cập được",
            Rule::TlsExpiry => "Chứng thư số sắp hết hạn",
            Rule::BrokenTag => "Mã theo dõi lỗi (yêu cầu bị từ chối)",
            Rule::TrafficDrop => "Lưu lượng giảm bất thường",
            Rule::TrafficSpike => "Lưu lượng tăng bất thường",
            Rule::Compliance => "Vi phạm tiêu chí tuân thủ",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Rule::Silent => "Tag silent",
            Rule::Down => "Site down",
            Rule::TlsExpiry => "Certificate expiring",
            Rule::BrokenTag => "Broken tag (requests rejected)",
            Rule::TrafficDrop => "Traffic drop",
            Rule::TrafficSpike => "Traffic spike",
            Rule::Compliance => "Compliance regression",
        }
    }

    /// The defaults (see the module table); `silence_secs` is EMC_SILENCE_SECS.
    pub fn default_settings(self, silence_secs: u64) -> Settings {
        let s = |threshold: f64, floor: f64| Settings {
            enabled: true,
            threshold,
            floor,
            cooldown_secs: COOLDOWN_SECS,
        };
        match self {
            Rule::Silent => s(silence_secs as f64, 0.0),
            Rule::BrokenTag => s(0.20, 20.0),
            Rule::TrafficDrop => s(0.5, 50.0),
            Rule::TrafficSpike => s(2.0, 50.0),
            Rule::Down => s(2.0, 0.0),
            Rule::TlsExpiry => s(14.0, 0.0),
            Rule::Compliance => s(0.0, 0.0),
        }
    }
}

/// One message per rule and site per 12 h at most, unless a site overrides it.
pub const COOLDOWN_SECS: u32 = 12 * 3600;

/// One rule's parameters for one site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    pub enabled: bool,
    pub threshold: f64,
    pub floor: f64,
    /// At most one opening message per this many seconds.
    pub cooldown_secs: u32,
}

/// A site's override of one rule: each `Some` field replaces the default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Override {
    pub enabled: Option<bool>,
    pub threshold: Option<f64>,
    pub floor: Option<f64>,
    pub cooldown_secs: Option<u32>,
}

impl Override {
    pub fn is_empty(&self) -> bool {
        *self == Override::default()
    }

    /// The defaults with this override's fields put in.
    pub fn apply(&self, d: Settings) -> Settings {
        Settings {
            enabled: self.enabled.unwrap_or(d.enabled),
            threshold: self.threshold.unwrap_or(d.threshold),
            floor: self.floor.unwrap_or(d.floor),
            cooldown_secs: self.cooldown_secs.unwrap_or(d.cooldown_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_the_issue_names() {
        let keys: Vec<&str> = Rule::ALL.iter().map(|r| r.key()).collect();
        assert_eq!(
            keys,
            [
                "silent",
                "down",
                "tls_expiry",
                "broken_tag",
                "traffic_drop",
                "traffic_spike",
                "compliance"
            ]
        );
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.key()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.key()));
        }
        assert_eq!(Rule::parse("nope"), None);
    }
}
