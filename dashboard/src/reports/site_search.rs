//! The site-search report (`GET /api/v1/breakdown?by=search_keyword`, its CSV, the site
//! page): what visitors searched for on the portal, per keyword and category, from the
//! `site_search` hits of `events` (migration `site_search`).
//!
//! | column | definition |
//! |---|---|
//! | `searches` | site-search hits with this keyword and category |
//! | `visits` | distinct visits with at least one of them |
//! | `no_result` | those searches whose result count was reported as 0 |
//! | `exits` | visits whose last page view or search in the range was a search for it |
//! | `exit_share` | `exits / visits`: the share of visits that left after searching |
use super::breakdown::Limit;
use super::scope::{Scope, Window};
use super::statement::{Sampled, Statement, With};
use super::{ratio, samples};
use emc_sql::Db;
use serde::Serialize;

/// The keyword breakdown's name in `by=`.
pub const BY: &str = "search_keyword";

/// Searches per (keyword, category); exits from each visit's last page view or search.
pub const KEYWORDS: Statement<With<Window, Limit>> = Statement::fixed(
    "dashboard.site_search_keywords",
    "SELECT k, c, toInt64(searches), toInt64(visits), toInt64(no_result), toInt64(exits) FROM (\
     SELECT search_keyword AS k, search_category AS c, count() AS searches, \
     uniqCombined(session_id) AS visits, \
     countIf(isNotNull(search_count) AND assumeNotNull(search_count) = 0) AS no_result \
     FROM events \
     WHERE site IN (SELECT arrayJoin(:sites)) AND timestamp >= toDateTime(:start) AND timestamp < toDateTime(:end) \
     AND name = 'site_search' AND session_id != 0 \
     GROUP BY k, c) AS searched \
     ANY LEFT JOIN (\
     SELECT k, c, count() AS exits FROM (\
     SELECT session_id, \
     argMax(search_keyword, toUInt64(timestamp) * 1000 + timestamp_ms) AS k, \
     argMax(search_category, toUInt64(timestamp) * 1000 + timestamp_ms) AS c, \
     argMax(name, toUInt64(timestamp) * 1000 + timestamp_ms) AS last \
     FROM events \
     WHERE site IN (SELECT arrayJoin(:sites)) AND timestamp >= toDateTime(:start) AND timestamp < toDateTime(:end) \
     AND name IN ('pageview', 'site_search') AND session_id != 0 \
     GROUP BY session_id) AS last_actions \
     WHERE last = 'site_search' GROUP BY k, c) AS left_after USING (k, c) \
     ORDER BY searches DESC, visits DESC, k, c LIMIT :limit",
);

/// One row of the site-search report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchRow {
    /// The keyword as searched (trimmed; Matomo lower-cases it, we keep what was typed).
    pub key: String,
    pub category: String,
    pub searches: i64,
    pub visits: i64,
    pub no_result: i64,
    pub exits: i64,
    pub exit_share: f64,
}

/// The top `limit` (keyword, category) pairs of the scope's sites over its range.
pub async fn keywords(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<SearchRow>, clickhouse::error::Error> {
    if s.sites.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<(String, String, i64, i64, i64, i64)> = KEYWORDS
        .query(db, &With(s.window(), Limit { limit }))?
        .fetch_all()
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(key, category, searches, visits, no_result, exits)| SearchRow {
                key,
                category,
                searches,
                visits,
                no_result,
                exits,
                exit_share: ratio(exits, visits),
            },
        )
        .collect())
}

pub fn catalog() -> Vec<Sampled> {
    vec![KEYWORDS.sampled(With(samples::window(), Limit { limit: 10 }))]
}
