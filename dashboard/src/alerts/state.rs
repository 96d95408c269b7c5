//! Alerts as rows (`alerts`, one version per change) and the pure step that turns the rules'
//! findings into changes: open, announce, resolve.
//!
//! - **Dedupe**: at most one open alert per (rule, site); a finding that holds again only
//!   keeps it open.
//! - **Cooldown**: at most one opening message per (rule, site) per cooldown (12 h unless the
//!   site overrides it, see [`super::rules::COOLDOWN_SECS`]). An
//!   alert opened inside the cooldown is recorded silently and announced when the cooldown
//!   ends, if it is still open then.
//! - **Recovery**: an announced alert whose condition no longer holds is resolved with a
//!   recovery message; one never announced is resolved silently.
//! - A rule whose facts could not be read (`None`) changes nothing: no resolution by outage.
use super::detect::Finding;
use super::rules::Rule;
use emc_sql::Db;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: String,
    pub rule: String,
    pub site: String,
    pub opened_at: u32,
    /// 0 while open.
    pub resolved_at: u32,
    /// 0 until announced.
    pub notified_at: u32,
    pub recovery_sent: u8,
    pub detail: String,
    pub version: u64,
}

impl AlertRow {
    pub fn is_open(&self) -> bool {
        self.resolved_at == 0
    }
    pub fn rule(&self) -> Option<Rule> {
        Rule::parse(&self.rule)
    }
}

/// What a change asks to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    Nothing,
    Opened,
    Recovered,
}

/// A new version of an alert row, and the message it calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub row: AlertRow,
    pub send: Send,
}

/// The changes at `now` (pure). `observed` holds, per evaluated rule, its findings (or `None`
/// when its facts could not be read); `open` the open alerts; `last_notified` the newest
/// opening message per (rule key, site); `cooldown` the cooldown of a (rule, site) in
/// seconds; `new_id` names new alerts.
pub fn plan(
    now: u32,
    observed: &[(Rule, Option<Vec<Finding>>)],
    open: &[AlertRow],
    last_notified: &BTreeMap<(String, String), u32>,
    cooldown: impl Fn(Rule, &str) -> u32,
    mut new_id: impl FnMut() -> String,
) -> Vec<Change> {
    let cooled = |rule: Rule, site: &str| {
        last_notified
            .get(&(rule.key().to_owned(), site.to_owned()))
            .is_none_or(|t| now.saturating_sub(*t) >= cooldown(rule, site))
    };
    let mut out = vec![];
    for (rule, findings) in observed {
        let Some(findings) = findings else { continue };
        let of_rule: Vec<&AlertRow> = open.iter().filter(|a| a.rule == rule.key()).collect();
        for f in findings {
            match of_rule.iter().find(|a| a.site == f.site) {
                Some(a) if a.notified_at == 0 && cooled(*rule, &f.site) => out.push(Change {
                    row: AlertRow {
                        notified_at: now,
                        detail: f.detail.clone(),
                        ..(*a).clone()
                    },
                    send: Send::Opened,
                }),
                Some(_) => {}
                None => {
                    let announce = cooled(*rule, &f.site);
                    out.push(Change {
                        row: AlertRow {
                            id: new_id(),
                            rule: rule.key().into(),
                            site: f.site.clone(),
                            opened_at: now,
                            resolved_at: 0,
                            notified_at: if announce { now } else { 0 },
                            recovery_sent: 0,
                            detail: f.detail.clone(),
                            version: 0,
                        },
                        send: if announce {
                            Send::Opened
                        } else {
                            Send::Nothing
                        },
                    });
                }
            }
        }
        for a in of_rule {
            if findings.iter().any(|f| f.site == a.site) {
                continue;
            }
            let announced = a.notified_at != 0;
            out.push(Change {
                row: AlertRow {
                    resolved_at: now,
                    recovery_sent: u8::from(announced),
                    ..a.clone()
                },
                send: if announced {
                    Send::Recovered
                } else {
                    Send::Nothing
                },
            });
        }
    }
    out
}

pub use crate::reports::alerts::{last_notified, open, recent};

/// Writes the changes as new versions (microsecond versions, increasing within the batch).
pub async fn write(db: &Db, changes: &mut [Change]) -> Result<(), clickhouse::error::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let base = chrono::Utc::now().timestamp_micros().max(0) as u64;
    let mut ins = db.client().insert::<AlertRow>("alerts").await?;
    for (i, c) in changes.iter_mut().enumerate() {
        c.row.version = base + i as u64;
        ins.write(&c.row).await?;
    }
    ins.end().await
}
