//! Goals (migration `goals`): their definitions, and the conversions of a report's scope.
//!
//! | figure | definition |
//! |---|---|
//! | `conversions` | visits with at least one hit that completes the goal |
//! | `unique_converters` | distinct visitors of those visits (the one definition of visitors) |
//! | `completions` | hits that complete the goal |
//! | `conversion_rate` | `conversions / visits` of the same scope |
//!
//! A hit completes an event goal when its `name` is the goal's event; a page goal when it is a
//! page view whose path matches the goal's pattern. Unfiltered, the hits of the range count (by
//! hit time, as the unfiltered hits and visitors); filtered, the hits of the visits that
//! started in the range and match every filter (as every filtered figure).
use super::samples;
use super::scope::{sessions_where, Filtered, Scope, Window, SITES_IN};
use super::statement::{binds, NoBinds, Sampled, Statement, With};
use super::visitors::distinct;
use emc_sql::Db;
use serde::{Deserialize, Serialize};

/// A goal as stored (latest version wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct GoalRow {
    pub id: String,
    /// The site it belongs to, or `""` for an agency's goal.
    pub site: String,
    /// The agency it belongs to (its sites and those beneath it), or `""` for a site's goal.
    pub agency: String,
    pub name: String,
    /// The custom event that completes it (an event goal), or `""`.
    pub event_name: String,
    /// The page-path pattern that completes it (a page goal), or `""`.
    pub page_pattern: String,
    pub created_by: String,
    pub created_at: u32,
    pub version: u64,
    pub deleted: u8,
}

const COLUMNS: &str =
    "id, site, agency, name, event_name, page_pattern, created_by, created_at, version, deleted";

binds! {
    pub struct GoalId { id: String }
}

binds! {
    /// What completes a goal: an event name, or an anchored regular expression of paths.
    pub struct Matcher { event_name: String, path_regex: String }
}

pub fn list_statement() -> Statement<NoBinds> {
    Statement::built(
        "dashboard.goals_list",
        format!("SELECT {COLUMNS} FROM goals FINAL WHERE deleted = 0 ORDER BY name, id"),
    )
}

/// One goal by id, deleted or not (a second delete finds its tombstone).
pub fn by_id_statement() -> Statement<GoalId> {
    Statement::built(
        "dashboard.goal_by_id",
        format!("SELECT {COLUMNS} FROM goals FINAL WHERE id = :id"),
    )
}

const MATCHES: &str = "((:event_name != '' AND name = :event_name) OR \
     (:path_regex != '' AND name = 'pageview' AND match(pathname, :path_regex)))";

/// Unfiltered: the goal's hits of the range, per visit, then counted.
pub fn unfiltered() -> Statement<With<Window, Matcher>> {
    Statement::built(
        "dashboard.goal_conversions",
        format!(
            "SELECT toInt64(count()), toInt64(sum(hits)), {v} FROM (\
             SELECT session_id, any(visitor_id) AS visitor_id, count() AS hits FROM events \
             WHERE {SITES_IN} AND timestamp >= toDateTime(:start) AND timestamp < toDateTime(:end) \
             AND session_id != 0 AND {MATCHES} GROUP BY session_id)",
            v = distinct!("visitor_id")
        ),
    )
}

/// Filtered: the goal's hits of the visits that match the filters.
pub fn filtered() -> Statement<With<Filtered, Matcher>> {
    Statement::built(
        "dashboard.goal_conversions_filtered",
        format!(
            "SELECT toInt64(count()), toInt64(sum(hits)), {v} FROM (\
             SELECT session_id, any(visitor_id) AS visitor_id, count() AS hits FROM events \
             WHERE {SITES_IN} AND timestamp >= toDateTime(:start) AND timestamp < toDateTime(:end_events) \
             AND session_id != 0 AND {MATCHES} \
             AND session_id IN (SELECT session_id FROM sessions WHERE {s} \
             GROUP BY session_id HAVING sum(sign) > 0) \
             GROUP BY session_id)",
            v = distinct!("visitor_id"),
            s = sessions_where()
        ),
    )
}

/// `*` stands for any run of characters; everything else is literal. The whole path must match.
pub fn path_regex(pattern: &str) -> String {
    let parts: Vec<String> = pattern.split('*').map(regex::escape).collect();
    format!("^{}$", parts.join(".*"))
}

impl GoalRow {
    pub fn matcher(&self) -> Matcher {
        Matcher {
            event_name: self.event_name.clone(),
            path_regex: if self.page_pattern.is_empty() {
                String::new()
            } else {
                path_regex(&self.page_pattern)
            },
        }
    }
}

/// A goal's figures over a scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Conversions {
    pub conversions: i64,
    pub unique_converters: i64,
    pub completions: i64,
    pub conversion_rate: f64,
}

pub async fn list(db: &Db) -> Result<Vec<GoalRow>, clickhouse::error::Error> {
    list_statement().query(db, &NoBinds {})?.fetch_all().await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<GoalRow>, clickhouse::error::Error> {
    let p = GoalId { id: id.to_owned() };
    by_id_statement().query(db, &p)?.fetch_optional().await
}

/// Writes a version of a goal (a new one, or a tombstone with `deleted = 1`).
pub async fn write(db: &Db, row: &GoalRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db.client().insert::<GoalRow>("goals").await?;
    ins.write(row).await?;
    ins.end().await
}

/// `goal`'s figures over the scope; `visits` is the scope's visits (the rate's denominator).
pub async fn conversions(
    db: &Db,
    s: &Scope<'_>,
    goal: &GoalRow,
    visits: i64,
) -> Result<Conversions, clickhouse::error::Error> {
    if s.sites.is_empty() {
        return Ok(Conversions::default());
    }
    let m = goal.matcher();
    let (conversions, completions, unique_converters): (i64, i64, i64) = if s.filters.is_empty() {
        unfiltered()
            .query(db, &With(s.window(), m))?
            .fetch_one()
            .await?
    } else {
        filtered()
            .query(db, &With(s.filtered(), m))?
            .fetch_one()
            .await?
    };
    Ok(Conversions {
        conversions,
        unique_converters,
        completions,
        conversion_rate: super::ratio(conversions, visits),
    })
}

pub fn catalog() -> Vec<Sampled> {
    let m = || Matcher {
        event_name: "dvc".into(),
        path_regex: path_regex("/thu-tuc/*"),
    };
    vec![
        list_statement().sampled(NoBinds {}),
        by_id_statement().sampled(GoalId { id: "g1".into() }),
        unfiltered().sampled(With(samples::window(), m())),
        filtered().sampled(With(samples::filtered(), m())),
    ]
}

#[cfg(test)]
mod tests {
    use super::path_regex;

    #[test]
    fn patterns_become_anchored_regexes() {
        for (pattern, path, hit) in [
            ("/thu-tuc/*", "/thu-tuc/cap-phep", true),
            ("/thu-tuc/*", "/thu-tuc/", true),
            ("/thu-tuc/*", "/thu-tuc", false),
            ("/thu-tuc/*", "/a/thu-tuc/x", false),
            ("/nop-ho-so", "/nop-ho-so", true),
            ("/nop-ho-so", "/nop-ho-so/2", false),
            ("/*/xong", "/dvc/a/xong", true),
            ("/a.b(c)", "/a.b(c)", true),
            ("/a.b(c)", "/axb(c)", false),
        ] {
            let re = regex::Regex::new(&path_regex(pattern)).unwrap();
            assert_eq!(re.is_match(path), hit, "{pattern} {path}");
        }
    }
}
