//! The dashboard's own `/metrics` (OpenMetrics text, admins only: a Prometheus scrape sends an
//! admin's API token as `Authorization: Bearer …`): connection health of every site, read at
//! scrape time from the connection log.
use crate::auth::Caller;
use crate::error::ApiError;
use crate::health;
use crate::scope::{self, Registry, Target};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

type Labels = Vec<(String, String)>;

/// Alert and delivery counts read at scrape time.
#[derive(Debug, Clone, Default)]
pub struct AlertCounts {
    /// Open alerts per rule key (every rule present, zeros included).
    pub open: Vec<(&'static str, i64)>,
    /// Deliveries of the last 24 h per (channel, outcome).
    pub deliveries: Vec<(String, String, i64)>,
}

impl AlertCounts {
    pub async fn load(db: &emc_sql::Db, now: u32) -> Result<AlertCounts, clickhouse::error::Error> {
        let (open, deliveries) = tokio::try_join!(
            crate::alerts::state::open(db),
            crate::notify::log::counts_since(db, now.saturating_sub(86_400))
        )?;
        let open = crate::alerts::rules::Rule::ALL
            .iter()
            .map(|r| {
                (
                    r.key(),
                    open.iter().filter(|a| a.rule == r.key()).count() as i64,
                )
            })
            .collect();
        Ok(AlertCounts { open, deliveries })
    }
}

/// The exposition of `health` and the alert counts (pure).
pub fn render(health: &[health::SiteHealth], silence_secs: u64, alerts: &AlertCounts) -> String {
    let mut reg = prometheus_client::registry::Registry::default();
    let silent = Gauge::<i64>::default();
    let threshold = Gauge::<i64>::default();
    let last_seen = Family::<Labels, Gauge>::default();
    let site_silent = Family::<Labels, Gauge>::default();
    reg.register(
        "emc_sites_silent",
        "Sites not heard from for longer than the silence threshold (or never)",
        silent.clone(),
    );
    reg.register(
        "emc_silence_threshold_seconds",
        "The silence threshold (EMC_SILENCE_SECS)",
        threshold.clone(),
    );
    reg.register(
        "emc_site_last_seen_seconds",
        "Unix time of the last accepted beacon of the site",
        last_seen.clone(),
    );
    reg.register(
        "emc_site_silent",
        "1 when the site is silent",
        site_silent.clone(),
    );
    let open = Family::<Labels, Gauge>::default();
    let delivered = Family::<Labels, Gauge>::default();
    reg.register("emc_alerts_open", "Open alerts by rule", open.clone());
    reg.register(
        "emc_deliveries_last_24h",
        "Emails and webhooks of the last 24 hours by channel and outcome (sent, failed)",
        delivered.clone(),
    );
    for (rule, n) in &alerts.open {
        open.get_or_create(&vec![("rule".to_owned(), (*rule).to_owned())])
            .set(*n);
    }
    for (channel, outcome, n) in &alerts.deliveries {
        let labels = vec![
            ("channel".to_owned(), channel.clone()),
            ("outcome".to_owned(), outcome.clone()),
        ];
        delivered.get_or_create(&labels).set(*n);
    }
    silent.set(health.iter().filter(|h| h.silent).count() as i64);
    threshold.set(silence_secs.min(i64::MAX as u64) as i64);
    for h in health {
        let labels = vec![("site".to_owned(), h.site.clone())];
        if let Some(t) = h.last_seen {
            last_seen.get_or_create(&labels).set(i64::from(t));
        }
        site_silent.get_or_create(&labels).set(i64::from(h.silent));
    }
    let mut out = String::new();
    if encode(&mut out, &reg).is_err() {
        tracing::warn!("encoding metrics failed");
    }
    out
}

pub async fn metrics(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let reg = Registry::load(&state.db).await?;
    scope::authorize(&caller.who, &reg, &Target::Admin)?;
    let now = chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32;
    let h = crate::reports::health::connection_health(
        &state.db,
        &reg.sites,
        now,
        state.cfg.silence_secs,
        crate::routes::compliance::LOOKBACK_DAYS,
    )
    .await?;
    let counts = AlertCounts::load(&state.db, now).await?;
    let body = render(&h, state.cfg.silence_secs, &counts);
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition() {
        let h = |site: &str, last: Option<u32>, silent: bool| health::SiteHealth {
            site: site.into(),
            name: String::new(),
            last_seen: last,
            silent_for_secs: None,
            silent,
        };
        let counts = AlertCounts {
            open: vec![("silent", 2), ("down", 0)],
            deliveries: vec![("email".into(), "failed".into(), 3)],
        };
        let text = render(
            &[h("227", Some(1_700_000_000), false), h("300", None, true)],
            86_400,
            &counts,
        );
        assert!(
            text.contains("emc_alerts_open{rule=\"silent\"} 2"),
            "{text}"
        );
        assert!(text.contains("emc_alerts_open{rule=\"down\"} 0"), "{text}");
        assert!(
            text.contains("emc_deliveries_last_24h{channel=\"email\",outcome=\"failed\"} 3"),
            "{text}"
        );
        assert!(text.contains("emc_sites_silent 1"), "{text}");
        assert!(
            text.contains("emc_site_last_seen_seconds{site=\"227\"} 1700000000"),
            "{text}"
        );
        assert!(
            !text.contains("emc_site_last_seen_seconds{site=\"300\"}"),
            "{text}"
        );
        assert!(text.contains("emc_site_silent{site=\"300\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
