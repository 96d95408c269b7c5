//! Reads of what users subscribed to (`subscriptions`, latest version per user). Rows are
//! written by [`crate::notify::subscriptions::put`].
use super::statement::{binds, NoBinds, Sampled, Statement};
use crate::notify::subscriptions::SubscriptionRow;
use emc_sql::Db;

binds! {
    pub struct Username { username: String }
}

pub const SUBSCRIPTION_OF: Statement<Username> = Statement::fixed(
    "notify.subscription_of",
    "SELECT username, alerts, reports, webhook, version, deleted \
     FROM subscriptions FINAL WHERE username = :username AND deleted = 0",
);

pub const LIST_SUBSCRIPTIONS: Statement<NoBinds> = Statement::fixed(
    "notify.list_subscriptions",
    "SELECT username, alerts, reports, webhook, version, deleted \
     FROM subscriptions FINAL WHERE deleted = 0 ORDER BY username",
);

/// A user's subscription row, if any.
pub async fn subscription_of(
    db: &Db,
    username: &str,
) -> Result<Option<SubscriptionRow>, clickhouse::error::Error> {
    let p = Username {
        username: username.to_owned(),
    };
    SUBSCRIPTION_OF
        .query(db, &p)?
        .fetch_optional::<SubscriptionRow>()
        .await
}

pub async fn list(db: &Db) -> Result<Vec<SubscriptionRow>, clickhouse::error::Error> {
    LIST_SUBSCRIPTIONS
        .query(db, &NoBinds {})?
        .fetch_all::<SubscriptionRow>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        SUBSCRIPTION_OF.sampled(Username {
            username: "analyst-a".into(),
        }),
        LIST_SUBSCRIPTIONS.sampled(NoBinds {}),
    ]
}
