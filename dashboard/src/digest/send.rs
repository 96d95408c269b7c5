//! Mailing reports: one agency's report to the subscribers whose scope covers it
//! (`emc-dashboard report send`), and the schedule in `serve` that mails each subscriber the
//! report of each of their agencies for the last whole week or month, once.
use super::period::ReportPeriod;
use super::{gather, pdf, render, Digest};
use crate::notify::email::{Attachment, Mail};
use crate::notify::subscriptions::{Audience, Period, Recipient};
use crate::notify::{log, Kind, Notifier, To};
use crate::ranking::RankingConfig;
use crate::scope::Registry;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::time::Duration;

/// What building a report needs besides the database.
#[derive(Debug, Clone)]
pub struct ReportConfig {
    pub ranking: RankingConfig,
    pub silence_secs: u64,
    pub tz: Tz,
    /// EMC_CHROMIUM: the browser that prints the PDF.
    pub chromium: String,
}

/// The printable page's address for a period (`/reports/monthly?…`, or the agency page for a week).
pub fn link(base: &str, agency: &str, p: &ReportPeriod) -> String {
    let a: String = form_urlencoded::byte_serialize(agency.as_bytes()).collect();
    match p.period {
        Period::Monthly => format!("{base}/reports/monthly?agency={a}&month={}", p.key()),
        Period::Weekly => format!("{base}/agencies/{a}?from={}&to={}", p.from, p.to),
    }
}

/// The email of a report: HTML (the printable page) and text parts, CSV and PDF attachments.
/// Without Chromium the mail still goes, without the PDF, and says so.
pub async fn mail(d: &Digest, base: &str, chromium: &str) -> anyhow::Result<Mail> {
    let html = render::html(d, true)?;
    let mut text = render::text(d, &link(base, &d.agency_id, &d.period));
    let stem = format!("emc-{}-{}", d.agency_id, d.period.key());
    let mut attachments = vec![Attachment {
        filename: format!("{stem}.csv"),
        content_type: "text/csv; charset=utf-8".into(),
        bytes: render::csv(d).into_bytes(),
    }];
    match pdf::render(&html, chromium).await {
        Ok(bytes) => attachments.push(Attachment {
            filename: format!("{stem}.pdf"),
            content_type: "application/pdf".into(),
            bytes,
        }),
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "printing the report to PDF failed; mailing it without"
            );
            text.push_str("\n(Không tạo được bản PDF / the PDF could not be made this time.)\n");
        }
    }
    Ok(Mail {
        subject: render::subject(&d.period, &d.agency_name),
        text,
        html: Some(html),
        attachments,
    })
}

fn payload(d: &Digest, base: &str) -> serde_json::Value {
    serde_json::json!({
        "event": "report",
        "period": d.period.period.key(),
        "key": d.period.key(),
        "from": d.period.from.to_string(),
        "to": d.period.to.to_string(),
        "agency": d.agency_id,
        "agency_name": d.agency_name,
        "url": link(base, &d.agency_id, &d.period),
        "sites": d.lines.iter().map(|l| serde_json::json!({
            "site": l.current.site,
            "visits": l.current.visits,
            "visits_previous": l.previous.visits,
            "visitors": l.current.visitors,
            "pageviews": l.current.pageviews,
            "rank": l.rank,
            "rank_previous": l.previous_rank,
        })).collect::<Vec<_>>(),
        "silent": d.silent.iter().map(|s| &s.0).collect::<Vec<_>>(),
        "down": d.down.iter().map(|s| &s.0).collect::<Vec<_>>(),
    })
}

/// Sends a built report to each recipient's email and webhook; returns the deliveries made.
pub async fn deliver(notifier: &Notifier, d: &Digest, m: &Mail, to: &[Recipient]) -> usize {
    let body = payload(d, notifier.dashboard_url());
    let mut n = 0;
    for r in to {
        if !r.email.is_empty() {
            let t = To {
                username: &r.username,
                address: &r.email,
            };
            n += usize::from(notifier.email(Kind::Report, t, m).await.delivered);
        }
        if !r.webhook.is_empty() {
            let t = To {
                username: &r.username,
                address: &r.webhook,
            };
            n += usize::from(
                notifier
                    .webhook(Kind::Report, t, &m.subject, &body)
                    .await
                    .delivered,
            );
        }
    }
    n
}

/// `report send --agency ID --month YYYY-MM`: builds the report now and mails it to every
/// subscriber of monthly reports whose scope covers the agency. Returns (recipients, delivered).
pub async fn send_agency(
    notifier: &Notifier,
    cfg: &ReportConfig,
    agency: &str,
    period: ReportPeriod,
    now: u32,
) -> anyhow::Result<(usize, usize)> {
    let audience = Audience::load(notifier.db())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if audience.registry.agency(agency).is_none() {
        anyhow::bail!("agency {agency} does not exist");
    }
    let to = audience.for_report(period.period, agency);
    let d = gather(
        notifier.db(),
        &audience.registry,
        agency,
        period,
        &cfg.ranking,
        cfg.silence_secs,
        now,
    )
    .await?;
    let m = mail(&d, notifier.dashboard_url(), &cfg.chromium).await?;
    Ok((to.len(), deliver(notifier, &d, &m, &to).await))
}

/// Each subscriber's due reports: for every period they subscribed to, the last whole period
/// before `today`, for each agency listed on their user (admins, who have none, get none).
fn due(audience: &Audience, reg: &Registry) -> Vec<(Period, String, Recipient)> {
    let mut out = vec![];
    for s in &audience.subs {
        let Some(u) = audience.users.iter().find(|u| u.username == s.username) else {
            continue;
        };
        for p in s.reports.iter().filter_map(|k| Period::parse(k)) {
            for a in u.agencies.iter().filter(|a| reg.agency(a).is_some()) {
                // The scope check at delivery: the same rule as `report send`.
                if let Some(r) = audience
                    .for_report(p, a)
                    .into_iter()
                    .find(|r| r.username == u.username)
                {
                    out.push((p, a.clone(), r));
                }
            }
        }
    }
    out
}

/// One pass of the schedule at `now`: mails every due report not yet sent to its recipient
/// (the delivery log says what was). Returns the deliveries made.
pub async fn run_due(notifier: &Notifier, cfg: &ReportConfig, now: i64) -> anyhow::Result<usize> {
    let db = notifier.db();
    let audience = Audience::load(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .with_timezone(&cfg.tz)
        .date_naive();
    let mut built: BTreeMap<(String, String), (Digest, Mail)> = BTreeMap::new();
    let mut n = 0;
    for (p, agency, r) in due(&audience, &audience.registry) {
        let period = ReportPeriod::before(p, today, cfg.tz);
        let name = audience
            .registry
            .agency(&agency)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        if log::was_sent(db, &r.username, &render::subject(&period, &name)).await? {
            continue;
        }
        let key = (agency.clone(), period.key());
        if !built.contains_key(&key) {
            let d = gather(
                db,
                &audience.registry,
                &agency,
                period,
                &cfg.ranking,
                cfg.silence_secs,
                now as u32,
            )
            .await?;
            let m = mail(&d, notifier.dashboard_url(), &cfg.chromium).await?;
            built.insert(key.clone(), (d, m));
        }
        let (d, m) = &built[&key];
        n += deliver(notifier, d, m, std::slice::from_ref(&r)).await;
    }
    Ok(n)
}

/// `serve`'s report schedule: checks hourly (first at once).
pub fn spawn(notifier: Notifier, cfg: ReportConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3_600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_due(&notifier, &cfg, chrono::Utc::now().timestamp()).await {
                Ok(n) => tracing::info!(deliveries = n, "scheduled reports checked"),
                Err(e) => tracing::error!(error = format!("{e:#}"), "scheduled reports failed"),
            }
        }
    })
}
