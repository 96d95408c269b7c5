//! Channels that tell people: email over SMTP ([`email`]) and signed webhooks ([`webhook`]);
//! every delivery, sent or given up on, is a row of `deliveries` ([`log`]). Who receives what
//! is decided by [`subscriptions`] (what a user asked for, within the user's scope).
pub mod email;
pub mod log;
pub mod subscriptions;
pub mod webhook;

use email::{Mail, MailError, Mailer};
use emc_sql::Db;
use log::DeliveryRow;
use webhook::{Attempt, Retry};

/// The channels' settings, parsed once in `main`.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `EMC_SMTP_URL`; unset: email deliveries are logged as failed with that reason.
    pub smtp_url: Option<String>,
    /// `EMC_MAIL_FROM`.
    pub mail_from: String,
    /// `EMC_WEBHOOK_SECRET`; unset: webhook deliveries are logged as failed with that reason.
    pub webhook_secret: Option<String>,
    pub retry: Retry,
    /// `EMC_DASHBOARD_PUBLIC_URL`: the dashboard's address in links of messages.
    pub dashboard_url: String,
}

pub const DEFAULT_DASHBOARD_URL: &str = "http://127.0.0.1:3000";
pub const DEFAULT_MAIL_FROM: &str = "EMC <emc@localhost>";

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.into(),
            webhook_secret: None,
            retry: Retry::default(),
            dashboard_url: DEFAULT_DASHBOARD_URL.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn key(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

/// What a delivery carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Alert,
    Recovery,
    Report,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Alert => "alert",
            Kind::Recovery => "recovery",
            Kind::Report => "report",
        }
    }
}

/// How a delivery ended (it is in the log either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub delivered: bool,
    pub attempts: u32,
    /// The last error; empty when delivered.
    pub error: String,
}

/// Whom a delivery is for: the user (for the log) and their address or URL.
#[derive(Debug, Clone, Copy)]
pub struct To<'a> {
    pub username: &'a str,
    pub address: &'a str,
}

#[derive(Clone)]
pub struct Notifier {
    db: Db,
    mailer: Option<Mailer>,
    secret: Option<String>,
    retry: Retry,
    http: reqwest::Client,
    dashboard_url: String,
}

impl Notifier {
    /// Checks `EMC_SMTP_URL` and `EMC_MAIL_FROM` (an error names the variable).
    pub fn new(db: Db, cfg: &NotifyConfig) -> Result<Notifier, MailError> {
        let mailer = match cfg.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => Some(Mailer::new(url, &cfg.mail_from)?),
            None => None,
        };
        Ok(Notifier {
            db,
            mailer,
            secret: cfg.webhook_secret.clone().filter(|s| !s.is_empty()),
            retry: cfg.retry,
            http: reqwest::Client::new(),
            dashboard_url: cfg.dashboard_url.trim_end_matches('/').to_owned(),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The dashboard's public base URL, without a trailing slash.
    pub fn dashboard_url(&self) -> &str {
        &self.dashboard_url
    }

    /// Sends `mail` to `to.address`, retrying transient SMTP failures; logs the outcome.
    pub async fn email(&self, kind: Kind, to: To<'_>, mail: &Mail) -> Outcome {
        let outcome = match &self.mailer {
            None => failed(0, "EMC_SMTP_URL is not set"),
            Some(mailer) => {
                let mut n = 0;
                loop {
                    n += 1;
                    match mailer.send(to.address, mail).await {
                        Ok(()) => break delivered(n),
                        Err(e) if e.is_transient() && n < self.retry.attempts => {
                            tracing::warn!(attempt = n, error = %e, "email failed; retrying");
                            tokio::time::sleep(self.retry.backoff(n)).await;
                        }
                        Err(e) => break failed(n, &e.to_string()),
                    }
                }
            }
        };
        self.log(Channel::Email, kind, to, &mail.subject, &outcome)
            .await;
        outcome
    }

    /// POSTs `payload` to `to.address`, signed, retrying transient failures; logs the outcome.
    pub async fn webhook(
        &self,
        kind: Kind,
        to: To<'_>,
        subject: &str,
        payload: &serde_json::Value,
    ) -> Outcome {
        let outcome = match &self.secret {
            None => failed(0, "EMC_WEBHOOK_SECRET is not set"),
            Some(secret) => self.post(to.address, secret, payload).await,
        };
        self.log(Channel::Webhook, kind, to, subject, &outcome)
            .await;
        outcome
    }

    async fn post(&self, url: &str, secret: &str, payload: &serde_json::Value) -> Outcome {
        if let Err(e) = webhook::check_url(url) {
            return failed(0, &e);
        }
        let body = payload.to_string().into_bytes();
        let timeout = std::time::Duration::from_millis(self.retry.timeout_ms);
        let mut n = 0;
        loop {
            n += 1;
            let now = chrono::Utc::now().timestamp();
            match webhook::attempt(&self.http, url, secret, &body, now, timeout).await {
                Attempt::Delivered => return delivered(n),
                Attempt::Transient(e) if n < self.retry.attempts => {
                    tracing::warn!(attempt = n, error = %e, "webhook failed; retrying");
                    tokio::time::sleep(self.retry.backoff(n)).await;
                }
                Attempt::Transient(e) | Attempt::Refused(e) => return failed(n, &e),
            }
        }
    }

    async fn log(&self, channel: Channel, kind: Kind, to: To<'_>, subject: &str, o: &Outcome) {
        let row = DeliveryRow {
            at: chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32,
            channel: channel.key().into(),
            kind: kind.key().into(),
            username: to.username.into(),
            recipient: to.address.into(),
            subject: subject.into(),
            outcome: if o.delivered { "sent" } else { "failed" }.into(),
            attempts: o.attempts.min(255) as u8,
            error: o.error.chars().take(500).collect(),
        };
        if !o.delivered {
            tracing::warn!(channel = channel.key(), recipient = to.address, error = %o.error, "delivery failed");
        }
        if let Err(e) = log::record(&self.db, &row).await {
            tracing::error!(error = %e, "writing the delivery log failed");
        }
    }
}

fn delivered(attempts: u32) -> Outcome {
    Outcome {
        delivered: true,
        attempts,
        error: String::new(),
    }
}

fn failed(attempts: u32, error: &str) -> Outcome {
    Outcome {
        delivered: false,
        attempts,
        error: error.to_owned(),
    }
}
