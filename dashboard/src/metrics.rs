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

/// The exposition of `health` (pure).
pub fn render(health: &[health::SiteHealth], silence_secs: u64) -> String {
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
    let body = render(&h, state.cfg.silence_secs);
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
        let text = render(
            &[h("227", Some(1_700_000_000), false), h("300", None, true)],
            86_400,
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
