//! The unfiltered exit-page breakdown: `sessions_dims_daily` ranks the pages and gives visits,
//! page views and bounces; the visitors of the pages shown come from `exit_visitors_daily` (a
//! sketch cannot forget a superseded exit, a sum can), in a second query bound to exactly those
//! pages.
use super::breakdown::{BreakdownRow, Dim, Limit};
use super::scope::{daily_where, Daily, Scope};
use super::statement::{binds, Sampled, Statement, With};
use super::visitors::distinct_if;
use super::{ratio, samples};
use emc_sql::Db;
use std::collections::BTreeMap;

binds! {
    /// The exit pages shown.
    pub struct Pages { pages: Vec<String> }
}

/// Rollup: top exit pages by visits (visits, page views, bounces; no visitors, see 0007).
pub const SUMS_DAILY: Statement<With<Daily, With<Dim, Limit>>> = Statement::fixed(
    "dashboard.breakdown_dims_sums",
    concat!(
        "SELECT value, toInt64(sum(visits)) AS v, toInt64(sum(pageviews)), toInt64(sum(bounces)) ",
        "FROM sessions_dims_daily WHERE ",
        daily_where!(),
        " AND dim = :dim GROUP BY value HAVING v > 0 ORDER BY v DESC, value LIMIT :limit"
    ),
);

/// Rollup: visitors whose visits (started in the range) ended on each of `:pages`, from
/// `exit_visitors_daily` (migration 0012): a visitor counts for a page when the sign-weighted
/// sum of their rows on it is positive, exact whatever the background merges did. Only the rows
/// of the shown pages are read (the sort key starts with site and page), and the page is
/// grouped as its 1-based position in the array (a small integer key, cheaper to hash).
pub const VISITORS_DAILY: Statement<With<Pages, Daily>> = Statement::fixed(
    "dashboard.exit_visitors_daily",
    concat!(
        "SELECT toInt64(p), ",
        distinct_if!("visitor_id", "n > 0"),
        " FROM (SELECT indexOf(:pages, exit_page) AS p, visitor_id, sum(visits) AS n ",
        "FROM exit_visitors_daily PREWHERE site IN (SELECT arrayJoin(:sites)) ",
        "AND exit_page IN (SELECT arrayJoin(:pages)) AND day >= toDate(:from) AND day <= toDate(:to) ",
        "GROUP BY p, visitor_id) GROUP BY p"
    ),
);

pub async fn daily(
    db: &Db,
    s: &Scope<'_>,
    limit: u32,
) -> Result<Vec<BreakdownRow>, clickhouse::error::Error> {
    let p = With(
        s.daily(),
        With(
            Dim {
                dim: super::dimension::Dimension::ExitPage.key(),
            },
            Limit { limit },
        ),
    );
    let rows: Vec<(String, i64, i64, i64)> = SUMS_DAILY.query(db, &p)?.fetch_all().await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let pages = Pages {
        pages: rows.iter().map(|r| r.0.clone()).collect(),
    };
    let counted: Vec<(i64, i64)> = VISITORS_DAILY
        .query(db, &With(pages, s.daily()))?
        .fetch_all()
        .await?;
    // p is the page's 1-based position in `pages`.
    let visitors: BTreeMap<usize, i64> = counted
        .into_iter()
        .filter_map(|(p, n)| usize::try_from(p - 1).ok().map(|i| (i, n)))
        .collect();
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, (key, visits, pageviews, bounces))| BreakdownRow {
            key,
            visits,
            visitors: visitors.get(&i).copied().unwrap_or(0),
            pageviews,
            bounce_rate: ratio(bounces, visits),
        })
        .collect())
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        SUMS_DAILY.sampled(With(
            samples::daily(),
            With(Dim { dim: "exit_page" }, Limit { limit: 10 }),
        )),
        VISITORS_DAILY.sampled(With(
            Pages {
                pages: vec!["/".into(), "/tin-tuc".into()],
            },
            samples::daily(),
        )),
    ]
}
