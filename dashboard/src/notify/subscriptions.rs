//! What each user asked to receive (`subscriptions`), and who receives a given message:
//! the subscribers to its topic **whose scope covers the site or agency** — checked here, at
//! delivery, with `scope.rs`, whatever was subscribed.
use crate::alerts::rules::Rule;
use crate::auth::{self, UserRow};
use crate::error::ApiError;
use crate::scope::Registry;
use emc_sql::Db;
use serde::{Deserialize, Serialize};

/// Scheduled report periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Weekly,
    Monthly,
}

impl Period {
    pub const ALL: [Period; 2] = [Period::Weekly, Period::Monthly];
    pub fn key(self) -> &'static str {
        match self {
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
        }
    }
    pub fn parse(s: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.key() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub username: String,
    pub alerts: Vec<String>,
    pub reports: Vec<String>,
    /// Empty: none.
    pub webhook: String,
    pub version: u64,
    pub deleted: u8,
}

/// The body of `PUT /api/v1/users/{name}/subscriptions`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// Alert rules to receive (their keys).
    #[serde(default)]
    pub alerts: Vec<String>,
    /// `weekly`, `monthly`.
    #[serde(default)]
    pub reports: Vec<String>,
    /// An `http(s)` URL that receives signed alert deliveries; empty or null: none.
    #[serde(default)]
    pub webhook: Option<String>,
}

/// What a user receives, as `GET|PUT /api/v1/users/{name}/subscriptions` answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Subscriptions {
    pub alerts: Vec<String>,
    pub reports: Vec<String>,
    /// `null` when none.
    pub webhook: Option<String>,
}

impl SubscriptionInput {
    /// Checks every name (`400` naming `alerts`, `reports` or `webhook`); keeps the given order,
    /// drops duplicates.
    pub fn validate(self, username: &str) -> Result<SubscriptionRow, ApiError> {
        let mut alerts: Vec<String> = vec![];
        for a in self.alerts {
            let rule = Rule::parse(&a).ok_or_else(|| {
                let known: Vec<&str> = Rule::ALL.iter().map(|r| r.key()).collect();
                ApiError::bad(
                    "alerts",
                    format!("unknown alert {a:?}; use {}", known.join(", ")),
                )
            })?;
            if !alerts.iter().any(|x| x == rule.key()) {
                alerts.push(rule.key().into());
            }
        }
        let mut reports: Vec<String> = vec![];
        for r in self.reports {
            let p = Period::parse(&r).ok_or_else(|| {
                ApiError::bad(
                    "reports",
                    format!("unknown report {r:?}; use weekly, monthly"),
                )
            })?;
            if !reports.iter().any(|x| x == p.key()) {
                reports.push(p.key().into());
            }
        }
        let webhook = self
            .webhook
            .map(|w| w.trim().to_owned())
            .unwrap_or_default();
        if !webhook.is_empty() {
            super::webhook::check_url(&webhook).map_err(|e| ApiError::bad("webhook", e))?;
        }
        Ok(SubscriptionRow {
            username: username.to_owned(),
            alerts,
            reports,
            webhook,
            version: chrono::Utc::now().timestamp_micros().max(0) as u64,
            deleted: 0,
        })
    }
}

impl SubscriptionRow {
    /// The API's view (`webhook` null when none).
    pub fn view(&self) -> Subscriptions {
        Subscriptions {
            alerts: self.alerts.clone(),
            reports: self.reports.clone(),
            webhook: (!self.webhook.is_empty()).then(|| self.webhook.clone()),
        }
    }
}

pub async fn get(db: &Db, username: &str) -> Result<SubscriptionRow, clickhouse::error::Error> {
    Ok(crate::reports::subscriptions::subscription_of(db, username)
        .await?
        .unwrap_or_else(|| SubscriptionRow {
            username: username.to_owned(),
            ..SubscriptionRow::default()
        }))
}

pub async fn put(db: &Db, row: &SubscriptionRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db
        .client()
        .insert::<SubscriptionRow>("subscriptions")
        .await?;
    ins.write(row).await?;
    ins.end().await
}

pub use crate::reports::subscriptions::list;

/// One person to tell, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub username: String,
    /// Empty: no email.
    pub email: String,
    /// Empty: no webhook.
    pub webhook: String,
}

/// Users, their subscriptions and the registry, read once per evaluation or report run.
pub struct Audience {
    pub users: Vec<UserRow>,
    pub subs: Vec<SubscriptionRow>,
    pub registry: Registry,
}

impl Audience {
    pub async fn load(db: &Db) -> Result<Audience, ApiError> {
        let (users, subs, registry) = tokio::try_join!(
            auth::list_users(db),
            async { Ok(list(db).await?) },
            Registry::load(db)
        )?;
        Ok(Audience {
            users,
            subs,
            registry,
        })
    }

    fn subscribed<'a>(
        &'a self,
        wants: impl Fn(&SubscriptionRow) -> bool + 'a,
    ) -> impl Iterator<Item = (&'a UserRow, &'a SubscriptionRow)> + 'a {
        self.subs.iter().filter(move |s| wants(s)).filter_map(|s| {
            self.users
                .iter()
                .find(|u| u.username == s.username)
                .map(|u| (u, s))
        })
    }

    /// Subscribers to `rule` who may read `site`.
    pub fn for_alert(&self, rule: Rule, site: &str) -> Vec<Recipient> {
        let Some(site_row) = self.registry.site(site) else {
            return vec![];
        };
        self.subscribed(|s| s.alerts.iter().any(|a| a == rule.key()))
            .filter(|(u, _)| {
                auth::principal(u).is_some_and(|p| self.registry.site_in_scope(&p, site_row))
            })
            .map(recipient)
            .collect()
    }

    /// Subscribers to `period` reports who may read agency `agency` as a whole.
    pub fn for_report(&self, period: Period, agency: &str) -> Vec<Recipient> {
        self.subscribed(|s| s.reports.iter().any(|r| r == period.key()))
            .filter(|(u, _)| {
                auth::principal(u).is_some_and(|p| {
                    self.registry
                        .agencies_in_scope(&p)
                        .iter()
                        .any(|a| a.id == agency)
                })
            })
            .map(recipient)
            .collect()
    }
}

fn recipient((u, s): (&UserRow, &SubscriptionRow)) -> Recipient {
    Recipient {
        username: u.username.clone(),
        email: u.email.clone(),
        webhook: s.webhook.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emc_sql::registry::{AgencyRow, SiteRow};

    #[test]
    fn input_is_checked_and_deduplicated() {
        let ok = SubscriptionInput {
            alerts: vec!["silent".into(), "down".into(), "silent".into()],
            reports: vec!["monthly".into()],
            webhook: Some("https://hooks.example.gov.vn/x".into()),
        }
        .validate("u")
        .unwrap();
        assert_eq!(ok.alerts, ["silent", "down"]);
        assert_eq!(
            ok.view().webhook.as_deref(),
            Some("https://hooks.example.gov.vn/x")
        );
        let param = |i: SubscriptionInput| match i.validate("u") {
            Err(ApiError::BadParam { param, .. }) => param,
            other => panic!("{other:?}"),
        };
        let bad_alert = SubscriptionInput {
            alerts: vec!["slient".into()],
            ..Default::default()
        };
        assert_eq!(param(bad_alert), "alerts");
        let bad_report = SubscriptionInput {
            reports: vec!["daily".into()],
            ..Default::default()
        };
        assert_eq!(param(bad_report), "reports");
        let bad_hook = SubscriptionInput {
            webhook: Some("http://hooks.example.gov.vn".into()),
            ..Default::default()
        };
        assert_eq!(param(bad_hook), "webhook");
        let none = SubscriptionInput::default().validate("u").unwrap();
        assert_eq!(none.view().webhook, None);
    }

    fn user(name: &str, role: &str, agencies: &[&str], email: &str) -> UserRow {
        UserRow {
            username: name.into(),
            role: role.into(),
            agencies: agencies.iter().map(|s| s.to_string()).collect(),
            email: email.into(),
            ..UserRow::default()
        }
    }

    fn sub(name: &str, alerts: &[&str], reports: &[&str]) -> SubscriptionRow {
        SubscriptionRow {
            username: name.into(),
            alerts: alerts.iter().map(|s| s.to_string()).collect(),
            reports: reports.iter().map(|s| s.to_string()).collect(),
            ..SubscriptionRow::default()
        }
    }

    /// Subscribing is not enough: the site or agency must be in the user's scope.
    #[test]
    fn recipients_are_subscribers_in_scope() {
        let agency = |id: &str, parent: &str| AgencyRow {
            id: id.into(),
            parent: parent.into(),
            ..AgencyRow::default()
        };
        let site = |code: &str, agency: &str| SiteRow {
            code: code.into(),
            agency: agency.into(),
            ..SiteRow::default()
        };
        let aud = Audience {
            users: vec![
                user("admin", "admin", &[], "admin@x.gov.vn"),
                user("a", "analyst", &["bo-a"], "a@x.gov.vn"),
                user("b", "analyst", &["bo-b"], "b@x.gov.vn"),
                user("a-quiet", "analyst", &["bo-a"], "q@x.gov.vn"),
                user("gone", "analyst", &["bo-a"], "g@x.gov.vn"),
            ],
            subs: vec![
                sub("admin", &["silent"], &[]),
                sub("a", &["silent", "down"], &["monthly"]),
                sub("b", &["silent"], &["monthly"]),
                sub("a-quiet", &["down"], &["weekly"]),
                sub("nobody", &["silent"], &["monthly"]),
            ],
            registry: Registry {
                agencies: vec![
                    agency("bo-a", ""),
                    agency("cuc-a1", "bo-a"),
                    agency("bo-b", ""),
                ],
                sites: vec![
                    site("227", "bo-a"),
                    site("228", "cuc-a1"),
                    site("300", "bo-b"),
                ],
            },
        };
        let names = |r: Vec<Recipient>| r.into_iter().map(|r| r.username).collect::<Vec<_>>();
        assert_eq!(names(aud.for_alert(Rule::Silent, "228")), ["admin", "a"]);
        assert_eq!(names(aud.for_alert(Rule::Silent, "300")), ["admin", "b"]);
        assert_eq!(names(aud.for_alert(Rule::Down, "227")), ["a", "a-quiet"]);
        assert!(aud.for_alert(Rule::Silent, "999").is_empty());
        assert_eq!(names(aud.for_report(Period::Monthly, "bo-a")), ["a"]);
        assert_eq!(names(aud.for_report(Period::Monthly, "cuc-a1")), ["a"]);
        assert_eq!(names(aud.for_report(Period::Monthly, "bo-b")), ["b"]);
        assert_eq!(names(aud.for_report(Period::Weekly, "bo-a")), ["a-quiet"]);
    }
}
