//! Reads of the per-site overrides of the alert rules (`alert_rule_overrides`, newest version
//! per (site, rule)): every site's (the evaluator) and one site's (the API and `/alerts`).
//! Rows are written by [`crate::alerts::overrides::put`].
use super::statement::{binds, NoBinds, Sampled, Statement};
use crate::alerts::overrides::OverrideRow;
use emc_sql::Db;

binds! {
    pub struct Site { site: String }
}

pub const ALL_OVERRIDES: Statement<NoBinds> = Statement::fixed(
    "alerts.overrides",
    "SELECT site, rule, enabled, threshold, floor, cooldown_secs, author, version, deleted \
     FROM alert_rule_overrides FINAL WHERE deleted = 0 ORDER BY site, rule",
);

pub const SITE_OVERRIDES: Statement<Site> = Statement::fixed(
    "alerts.site_overrides",
    "SELECT site, rule, enabled, threshold, floor, cooldown_secs, author, version, deleted \
     FROM alert_rule_overrides FINAL WHERE site = :site AND deleted = 0 ORDER BY rule",
);

pub async fn all(db: &Db) -> Result<Vec<OverrideRow>, clickhouse::error::Error> {
    ALL_OVERRIDES
        .query(db, &NoBinds {})?
        .fetch_all::<OverrideRow>()
        .await
}

pub async fn of_site(db: &Db, site: &str) -> Result<Vec<OverrideRow>, clickhouse::error::Error> {
    SITE_OVERRIDES
        .query(
            db,
            &Site {
                site: site.to_owned(),
            },
        )?
        .fetch_all::<OverrideRow>()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        ALL_OVERRIDES.sampled(NoBinds {}),
        SITE_OVERRIDES.sampled(Site { site: "227".into() }),
    ]
}
