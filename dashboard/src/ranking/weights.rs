//! The ranking configuration: a JSON file (`dashboard/ranking.default.json` holds the
//! documented defaults). Keys left out of a file keep their default; unknown keys are refused.
use super::criteria::Criterion;
use super::sources::Sources;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The defaults, as shipped (the unit tests check they equal [`RankingConfig::default`]).
pub const DEFAULT_FILE: &str = include_str!("../../ranking.default.json");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading the ranking config {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("ranking config: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("ranking config: weight of {0} must be a finite number ≥ 0")]
    BadWeight(&'static str),
    #[error("ranking config: the weights sum to 0; give at least one criterion a weight")]
    ZeroWeights,
    #[error("ranking config: engagement_duration_target_secs must be > 0")]
    BadTarget,
}

/// Relative weights of the criteria; the score divides by their sum, so they need not add to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub traffic: f64,
    pub engagement: f64,
    pub connection: f64,
    pub label: f64,
    pub metadata: f64,
    pub domain: f64,
    pub speed: f64,
    pub security: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            traffic: 30.0,
            engagement: 10.0,
            connection: 15.0,
            label: 10.0,
            metadata: 10.0,
            domain: 5.0,
            speed: 10.0,
            security: 10.0,
        }
    }
}

impl Weights {
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

    pub fn sum(&self) -> f64 {
        Criterion::ALL.iter().map(|c| self.get(*c)).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RankingConfig {
    pub weights: Weights,
    /// Average visit duration that earns the full duration half of `engagement`.
    pub engagement_duration_target_secs: f64,
    /// Tag data, scan results or both (the default) for label, metadata, domain, speed and
    /// security.
    pub sources: Sources,
}

impl Default for RankingConfig {
    fn default() -> Self {
        RankingConfig {
            weights: Weights::default(),
            engagement_duration_target_secs: 120.0,
            sources: Sources::default(),
        }
    }
}

impl RankingConfig {
    pub fn parse(text: &str) -> Result<RankingConfig, ConfigError> {
        let cfg: RankingConfig = serde_json::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The file at `path`, or the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<RankingConfig, ConfigError> {
        match path {
            None => Ok(RankingConfig::default()),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.display().to_string(),
                    source,
                })?;
                RankingConfig::parse(&text)
            }
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for c in Criterion::ALL {
            let w = self.weights.get(c);
            if !w.is_finite() || w < 0.0 {
                return Err(ConfigError::BadWeight(c.as_str()));
            }
        }
        if self.weights.sum() <= 0.0 {
            return Err(ConfigError::ZeroWeights);
        }
        if !(self.engagement_duration_target_secs.is_finite()
            && self.engagement_duration_target_secs > 0.0)
        {
            return Err(ConfigError::BadTarget);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_is_the_default() {
        assert_eq!(
            RankingConfig::parse(DEFAULT_FILE).unwrap(),
            RankingConfig::default()
        );
        assert_eq!(RankingConfig::default().weights.sum(), 100.0);
    }

    #[test]
    fn partial_files_keep_defaults_and_bad_ones_are_refused() {
        let cfg = RankingConfig::parse(r#"{"weights":{"traffic":100}}"#).unwrap();
        assert_eq!(cfg.weights.traffic, 100.0);
        assert_eq!(cfg.weights.speed, 10.0);
        assert_eq!(cfg.engagement_duration_target_secs, 120.0);
        assert!(matches!(
            RankingConfig::parse(r#"{"weights":{"trafic":1}}"#),
            Err(ConfigError::Parse(_))
        ));
        assert!(matches!(
            RankingConfig::parse(r#"{"weights":{"speed":-1}}"#),
            Err(ConfigError::BadWeight("speed"))
        ));
        let zero = r#"{"weights":{"traffic":0,"engagement":0,"connection":0,"label":0,"metadata":0,"domain":0,"speed":0,"security":0}}"#;
        assert!(matches!(
            RankingConfig::parse(zero),
            Err(ConfigError::ZeroWeights)
        ));
        assert!(matches!(
            RankingConfig::parse(r#"{"engagement_duration_target_secs":0}"#),
            Err(ConfigError::BadTarget)
        ));
        let scan = RankingConfig::parse(r#"{"sources":{"speed":"scan"}}"#).unwrap();
        assert_eq!(scan.sources.speed, super::super::sources::Source::Scan);
        assert_eq!(scan.sources.label, super::super::sources::Source::Both);
        assert!(matches!(
            RankingConfig::parse(r#"{"sources":{"speed":"browser"}}"#),
            Err(ConfigError::Parse(_))
        ));
        assert!(matches!(
            RankingConfig::parse(r#"{"sources":{"traffic":"scan"}}"#),
            Err(ConfigError::Parse(_))
        ));
    }
}
