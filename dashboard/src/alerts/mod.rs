//! Alerts: rules ([`rules`]) evaluated over the connection log, the hourly rollup and the
//! scanner's results ([`facts`], [`detect`]) every `EMC_ALERT_EVAL_SECS` in `serve`; each
//! alert opens and resolves with dedupe and cooldown ([`state`]); messages ([`messages`]) go
//! to the subscribers whose scope covers the site (`notify::subscriptions`).
//!
//! [`evaluate`] takes the clock as an argument, so tests drive every rule at any instant.
pub mod detect;
pub mod facts;
pub mod messages;
pub mod overrides;
pub mod rules;
pub mod state;

use crate::notify::subscriptions::Audience;
use crate::notify::{Kind, Notifier, To};
use chrono_tz::Tz;
use rules::Rule;
use state::{Change, Send};
use std::time::Duration;

pub const DEFAULT_EVAL_SECS: u64 = 300;

/// The evaluation's settings, parsed once in `main`.
#[derive(Debug, Clone, Copy)]
pub struct AlertConfig {
    /// EMC_SILENCE_SECS: the `silent` rule's default threshold.
    pub silence_secs: u64,
    /// EMC_TIMEZONE: where "today" starts for the traffic rules.
    pub tz: Tz,
}

/// What one evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub opened: usize,
    pub resolved: usize,
    /// Messages handed to channels (email and webhook), delivered or not.
    pub deliveries: usize,
    /// Rules whose facts could not be read this time (left as they were).
    pub unreadable: Vec<&'static str>,
}

fn or_log<T>(
    what: &'static str,
    r: Result<T, clickhouse::error::Error>,
    bad: &mut Vec<&'static str>,
) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(facts = what, error = %e, "alert facts unreadable; their alerts stay as they are");
            bad.push(what);
            None
        }
    }
}

/// Evaluates every rule at `now` (Unix seconds), records the changes, sends the messages.
pub async fn evaluate(
    notifier: &Notifier,
    cfg: AlertConfig,
    now: i64,
) -> anyhow::Result<Evaluation> {
    let db = notifier.db();
    let t = now.clamp(0, i64::from(u32::MAX)) as u32;
    let audience = Audience::load(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sites = &audience.registry.sites;
    let settings = facts::settings(db, cfg.silence_secs).await?;
    let mut bad = vec![];
    let (seen, hour, traffic, scans) = tokio::join!(
        facts::last_seen(db, t),
        facts::last_hour(db, t),
        facts::traffic(db, now, cfg.tz),
        facts::scans(db, t)
    );
    let silent =
        or_log("connection_log", seen, &mut bad).map(|s| detect::silent(sites, &s, t, &settings));
    let broken =
        or_log("connection_log", hour, &mut bad).map(|h| detect::broken_tag(sites, &h, &settings));
    let traffic =
        or_log("events_hourly", traffic, &mut bad).map(|r| detect::traffic(sites, &r, &settings));
    let scans = or_log("scan_checks", scans, &mut bad).map(|r| detect::scans(sites, &r, &settings));
    let only = |all: &Option<Vec<detect::Finding>>, rule: Rule| {
        all.as_ref().map(|v| {
            v.iter()
                .filter(|f| f.rule == rule)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let observed = vec![
        (Rule::Silent, silent),
        (Rule::BrokenTag, broken),
        (Rule::TrafficDrop, only(&traffic, Rule::TrafficDrop)),
        (Rule::TrafficSpike, only(&traffic, Rule::TrafficSpike)),
        (Rule::Down, only(&scans, Rule::Down)),
        (Rule::TlsExpiry, only(&scans, Rule::TlsExpiry)),
        (Rule::Compliance, only(&scans, Rule::Compliance)),
    ];
    let open = state::open(db).await?;
    let last = state::last_notified(db).await?;
    let cooldown = |rule: Rule, site: &str| settings.get(site, rule).cooldown_secs;
    let mut changes = state::plan(t, &observed, &open, &last, cooldown, || {
        uuid::Uuid::new_v4().to_string()
    });
    state::write(db, &mut changes).await?;
    let mut out = Evaluation {
        opened: changes
            .iter()
            .filter(|c| c.row.opened_at == t && c.row.resolved_at == 0)
            .count(),
        resolved: changes.iter().filter(|c| c.row.resolved_at == t).count(),
        deliveries: 0,
        unreadable: bad,
    };
    for c in changes.iter().filter(|c| c.send != Send::Nothing) {
        out.deliveries += deliver(notifier, &audience, c, cfg.tz).await;
    }
    Ok(out)
}

/// Sends one change to every subscriber of its rule whose scope covers its site; returns the
/// number of deliveries attempted.
async fn deliver(notifier: &Notifier, audience: &Audience, c: &Change, tz: Tz) -> usize {
    let (Some(rule), Some(site)) = (c.row.rule(), audience.registry.site(&c.row.site)) else {
        return 0;
    };
    let kind = if c.send == Send::Recovered {
        Kind::Recovery
    } else {
        Kind::Alert
    };
    let base = notifier.dashboard_url();
    let mail = messages::mail(&c.row, rule, site, c.send, base, tz);
    let payload = messages::payload(&c.row, site, c.send, base);
    let mut n = 0;
    for r in audience.for_alert(rule, &site.code) {
        if !r.email.is_empty() {
            let to = To {
                username: &r.username,
                address: &r.email,
            };
            notifier.email(kind, to, &mail).await;
            n += 1;
        }
        if !r.webhook.is_empty() {
            let to = To {
                username: &r.username,
                address: &r.webhook,
            };
            notifier.webhook(kind, to, &mail.subject, &payload).await;
            n += 1;
        }
    }
    n
}

/// `serve`'s loop: evaluates every `every_secs` (first run at once); errors are logged.
pub fn spawn(notifier: Notifier, cfg: AlertConfig, every_secs: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(every_secs.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match evaluate(&notifier, cfg, chrono::Utc::now().timestamp()).await {
                Ok(e) => tracing::info!(
                    opened = e.opened,
                    resolved = e.resolved,
                    deliveries = e.deliveries,
                    "alerts evaluated"
                ),
                Err(e) => tracing::error!(error = format!("{e:#}"), "alert evaluation failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests;
