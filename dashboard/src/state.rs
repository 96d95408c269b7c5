//! What the handlers share.
use crate::auth::WebSession;
use crate::ranking::RankingConfig;
use crate::retention::Policy;
use chrono_tz::Tz;
use dashmap::DashMap;
use emc_sql::Db;
use std::sync::Arc;

/// Settings of `serve`, parsed once in `main`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// What a "day" means in reports (EMC_TIMEZONE).
    pub tz: Tz,
    /// Mark cookies `Secure` (behind TLS); also set per request by `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    /// Public base URL of the collector, for the tag snippet.
    pub collector_url: String,
    pub session_ttl_secs: i64,
    /// Weights of the ranking (EMC_RANKING_CONFIG, else `ranking.default.json`).
    pub ranking: RankingConfig,
    /// A site not heard from for longer is flagged silent (EMC_SILENCE_SECS).
    pub silence_secs: u64,
    /// Months kept (EMC_RETENTION_MONTHS, EMC_ROLLUP_RETENTION_MONTHS), shown on the retention page.
    pub retention: Policy,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            secure_cookies: false,
            collector_url: "http://127.0.0.1:8080".into(),
            session_ttl_secs: 12 * 3600,
            ranking: RankingConfig::default(),
            silence_secs: crate::health::DEFAULT_SILENCE_SECS,
            retention: Policy::default(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cfg: Arc<WebConfig>,
    /// Browser sessions by id (a restart signs everyone out).
    pub sessions: Arc<DashMap<String, WebSession>>,
    /// Failed sign-ins by lower-cased user name: (count, window start).
    pub throttle: Arc<DashMap<String, (u32, i64)>>,
}

impl AppState {
    pub fn new(db: Db, cfg: WebConfig) -> AppState {
        AppState {
            db,
            cfg: Arc::new(cfg),
            sessions: Arc::default(),
            throttle: Arc::default(),
        }
    }
}
