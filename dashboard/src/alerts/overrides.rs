//! A site's overrides of the alert rules: the rows of `alert_rule_overrides`, the JSON of
//! `GET|PUT /api/v1/sites/{code}/alert-rules` and its checks.
//!
//! JSON: `{"rules": {"silent": {"enabled": null, "threshold": 600, "floor": null,
//! "cooldown": null}, …}}` — per rule, each field `null` (or absent) keeps the default;
//! `cooldown` is in seconds. A `PUT` replaces the site's whole set: a rule it leaves out goes
//! back to its defaults. `GET` also answers `defaults` (the values in force without override).
use super::rules::{Override, Rule, Settings};
use crate::error::ApiError;
use emc_sql::Db;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest cooldown accepted (30 days).
pub const MAX_COOLDOWN_SECS: u32 = 30 * 86_400;

#[derive(Debug, Clone, Default, PartialEq, clickhouse::Row, Serialize, Deserialize)]
pub struct OverrideRow {
    pub site: String,
    pub rule: String,
    pub enabled: Option<u8>,
    pub threshold: Option<f64>,
    pub floor: Option<f64>,
    pub cooldown_secs: Option<u32>,
    /// Who set it.
    pub author: String,
    pub version: u64,
    pub deleted: u8,
}

impl OverrideRow {
    pub fn to_override(&self) -> Override {
        Override {
            enabled: self.enabled.map(|e| e != 0),
            threshold: self.threshold,
            floor: self.floor,
            cooldown_secs: self.cooldown_secs,
        }
    }
}

/// One rule's fields in the API (`null` = default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFields {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub floor: Option<f64>,
    /// Seconds.
    #[serde(default)]
    pub cooldown: Option<u32>,
}

impl RuleFields {
    fn of(o: &Override) -> RuleFields {
        RuleFields {
            enabled: o.enabled,
            threshold: o.threshold,
            floor: o.floor,
            cooldown: o.cooldown_secs,
        }
    }
    fn of_settings(s: &Settings) -> RuleFields {
        RuleFields {
            enabled: Some(s.enabled),
            threshold: Some(s.threshold),
            floor: Some(s.floor),
            cooldown: Some(s.cooldown_secs),
        }
    }
}

/// The body of `PUT /api/v1/sites/{code}/alert-rules`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    /// Per rule key (`silent`, `down`, `tls_expiry`, `broken_tag`, `traffic_drop`,
    /// `traffic_spike`, `compliance`).
    #[serde(default)]
    pub rules: BTreeMap<String, RuleFields>,
}

fn bad(rule: Rule, field: &str, why: &str) -> ApiError {
    ApiError::bad("rules", format!("rules.{}.{field}: {why}", rule.key()))
}

/// The highest threshold that makes sense for a rule (a share, a count of scans, …).
fn max_threshold(rule: Rule) -> Option<f64> {
    match rule {
        Rule::BrokenTag | Rule::TrafficDrop => Some(1.0),
        Rule::Down => Some(10.0),
        _ => None,
    }
}

impl RulesInput {
    /// Checks every rule name and value (`400` naming `rules.<rule>.<field>`); the overrides
    /// of the seven rules, empty where the input leaves a rule out.
    pub fn validate(self) -> Result<BTreeMap<Rule, Override>, ApiError> {
        let mut out: BTreeMap<Rule, Override> = Rule::ALL
            .iter()
            .map(|r| (*r, Override::default()))
            .collect();
        for (key, f) in self.rules {
            let rule = Rule::parse(&key).ok_or_else(|| {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.key()).collect();
                ApiError::bad(
                    "rules",
                    format!("unknown rule {key:?}; use {}", known.join(", ")),
                )
            })?;
            if let Some(t) = f.threshold {
                if !t.is_finite() || t < 0.0 {
                    return Err(bad(rule, "threshold", "must be a number ≥ 0"));
                }
                if let Some(max) = max_threshold(rule) {
                    if t > max {
                        return Err(bad(rule, "threshold", &format!("must be at most {max}")));
                    }
                }
            }
            if let Some(x) = f.floor {
                if !x.is_finite() || x < 0.0 {
                    return Err(bad(rule, "floor", "must be a number ≥ 0"));
                }
            }
            if f.cooldown.is_some_and(|c| c > MAX_COOLDOWN_SECS) {
                return Err(bad(
                    rule,
                    "cooldown",
                    &format!("at most {MAX_COOLDOWN_SECS} seconds (30 days)"),
                ));
            }
            out.insert(
                rule,
                Override {
                    enabled: f.enabled,
                    threshold: f.threshold,
                    floor: f.floor,
                    cooldown_secs: f.cooldown,
                },
            );
        }
        Ok(out)
    }
}

/// The answer of `GET` and `PUT`: the site's overrides per rule (`null` = default) and the
/// defaults.
pub fn to_json(site: &str, set: &BTreeMap<Rule, Override>, silence_secs: u64) -> serde_json::Value {
    let mut rules = serde_json::Map::new();
    let mut defaults = serde_json::Map::new();
    for r in Rule::ALL {
        let o = set.get(&r).copied().unwrap_or_default();
        rules.insert(r.key().into(), serde_json::json!(RuleFields::of(&o)));
        defaults.insert(
            r.key().into(),
            serde_json::json!(RuleFields::of_settings(&r.default_settings(silence_secs))),
        );
    }
    serde_json::json!({"site": site, "rules": rules, "defaults": defaults})
}

/// A site's overrides, keyed by rule.
pub async fn of_site(
    db: &Db,
    site: &str,
) -> Result<BTreeMap<Rule, Override>, clickhouse::error::Error> {
    Ok(crate::reports::alerts_rules::of_site(db, site)
        .await?
        .iter()
        .filter_map(|r| Some((Rule::parse(&r.rule)?, r.to_override())))
        .collect())
}

/// Writes the site's whole set: one new version per rule (an empty override is a row of nulls).
pub async fn put(
    db: &Db,
    site: &str,
    author: &str,
    set: &BTreeMap<Rule, Override>,
) -> Result<(), clickhouse::error::Error> {
    let version = chrono::Utc::now().timestamp_micros().max(0) as u64;
    let mut ins = db
        .client()
        .insert::<OverrideRow>("alert_rule_overrides")
        .await?;
    for r in Rule::ALL {
        let o = set.get(&r).copied().unwrap_or_default();
        ins.write(&OverrideRow {
            site: site.to_owned(),
            rule: r.key().into(),
            enabled: o.enabled.map(u8::from),
            threshold: o.threshold,
            floor: o.floor,
            cooldown_secs: o.cooldown_secs,
            author: author.to_owned(),
            version,
            deleted: 0,
        })
        .await?;
    }
    ins.end().await
}

/// One line of the audit log: the rules overridden and how.
pub fn describe(set: &BTreeMap<Rule, Override>) -> String {
    let parts: Vec<String> = set
        .iter()
        .filter(|(_, o)| !o.is_empty())
        .map(|(r, o)| {
            let mut f = vec![];
            if let Some(e) = o.enabled {
                f.push(format!("enabled={e}"));
            }
            if let Some(t) = o.threshold {
                f.push(format!("threshold={t}"));
            }
            if let Some(x) = o.floor {
                f.push(format!("floor={x}"));
            }
            if let Some(c) = o.cooldown_secs {
                f.push(format!("cooldown={c}"));
            }
            format!("{}({})", r.key(), f.join(","))
        })
        .collect();
    if parts.is_empty() {
        "defaults".into()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> Result<BTreeMap<Rule, Override>, String> {
        serde_json::from_value::<RulesInput>(v)
            .map_err(|e| e.to_string())?
            .validate()
            .map_err(|e| e.to_string())
    }

    #[test]
    fn null_fields_keep_the_defaults_and_set_fields_replace_them() {
        let set = input(serde_json::json!({"rules": {"silent": {"threshold": 600, "cooldown": null}, "down": {"enabled": false}}})).unwrap();
        assert_eq!(set.len(), 7);
        let d = Rule::Silent.default_settings(86_400);
        let s = set[&Rule::Silent].apply(d);
        assert_eq!(
            (s.threshold, s.enabled, s.cooldown_secs),
            (600.0, true, 12 * 3600)
        );
        assert!(
            !set[&Rule::Down]
                .apply(Rule::Down.default_settings(0))
                .enabled
        );
        assert!(set[&Rule::Compliance].is_empty());
        assert_eq!(describe(&set), "silent(threshold=600) down(enabled=false)");
    }

    #[test]
    fn bad_names_and_values_are_refused_by_field() {
        for (body, says) in [
            (
                serde_json::json!({"rules": {"nope": {}}}),
                "unknown rule \"nope\"",
            ),
            (
                serde_json::json!({"rules": {"broken_tag": {"threshold": 1.5}}}),
                "rules.broken_tag.threshold",
            ),
            (
                serde_json::json!({"rules": {"silent": {"threshold": -1}}}),
                "rules.silent.threshold",
            ),
            (
                serde_json::json!({"rules": {"traffic_spike": {"floor": -3}}}),
                "rules.traffic_spike.floor",
            ),
            (
                serde_json::json!({"rules": {"silent": {"cooldown": 99_999_999}}}),
                "rules.silent.cooldown",
            ),
            (
                serde_json::json!({"rules": {"silent": {"cooldown": -5}}}),
                "invalid value",
            ),
            (
                serde_json::json!({"rules": {"silent": {"limit": 5}}}),
                "unknown field `limit`",
            ),
            (serde_json::json!({"rule": {}}), "unknown field `rule`"),
        ] {
            let e = input(body.clone()).unwrap_err();
            assert!(e.contains(says), "{body}: {e}");
        }
    }
}
