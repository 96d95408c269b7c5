//! `/ranking` and `GET /api/v1/ranking`: a group ranked over a range (see README, Ranking).
//!
//! Ranks are computed over the whole group, so a rank means the same to everyone; the caller
//! then sees only the rows of the sites in their scope (`Target::Fleet` through
//! [`scope::authorize`]): an admin every row, an analyst or owner the rows of their sites.
use super::PageCaller;
use crate::auth::Caller;
use crate::charts;
use crate::error::{ApiError, ApiErrors, PageError};
use crate::openapi::query::RankingQuery;
use crate::pages::Chrome;
use crate::params::{self, parse_bool, parse_date, Range};
use crate::ranking::{self, Criteria, Criterion, Grade, Group, Method, Ranking, RankingRequest};
use crate::scope::{self, Registry, Target};
use crate::state::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

/// `year` or `from`/`to` (default: this year to today), `group` (default `ministry`),
/// `method` (`weighted`|`visits`), `include_components`.
pub fn parse(
    pairs: &[(String, String)],
    tz: Tz,
    today: NaiveDate,
) -> Result<RankingRequest, ApiError> {
    let (mut from, mut to, mut year) = (None, None, None);
    let (mut group, mut method, mut include_components) =
        (Group::Ministry, Method::Weighted, false);
    for (k, v) in pairs {
        match k.as_str() {
            "from" => from = Some(parse_date("from", v)?),
            "to" => to = Some(parse_date("to", v)?),
            "year" if !v.is_empty() => year = Some(year_range(v, today)?),
            "group" => {
                group = Group::parse(v).ok_or_else(|| {
                    ApiError::bad(
                        "group",
                        format!("{v:?}: use ministry, province, other or components:CODE"),
                    )
                })?
            }
            "method" => {
                method = match v.as_str() {
                    "weighted" => Method::Weighted,
                    "visits" => Method::Visits,
                    _ => {
                        return Err(ApiError::bad(
                            "method",
                            format!("{v:?}: use weighted or visits"),
                        ))
                    }
                }
            }
            "include_components" => include_components = parse_bool("include_components", v)?,
            _ => {}
        }
    }
    let (from, to) = match (year, from, to) {
        (Some(y), None, None) => y,
        (Some(_), _, _) => return Err(ApiError::bad("year", "give year or from/to, not both")),
        (None, f, t) => {
            let to = t.unwrap_or(today);
            (
                f.unwrap_or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to)),
                to,
            )
        }
    };
    if from > to {
        return Err(ApiError::bad("from", "is after to"));
    }
    if (to - from).num_days() > 3 * 366 {
        return Err(ApiError::bad(
            "from",
            "the range is longer than three years",
        ));
    }
    Ok(RankingRequest {
        range: Range { from, to, tz },
        group,
        method,
        include_components,
        with_previous: true,
    })
}

/// A calendar year, cut at today when it is not over.
pub fn year_range(v: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let bad = || {
        ApiError::bad(
            "year",
            format!("{v:?}: a year from 2000 to {}", today.year()),
        )
    };
    let y: i32 = v.parse().map_err(|_| bad())?;
    if !(2000..=today.year()).contains(&y) {
        return Err(bad());
    }
    let from = NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(bad)?;
    let to = NaiveDate::from_ymd_opt(y, 12, 31)
        .ok_or_else(bad)?
        .min(today);
    Ok((from, to))
}

/// One row of `GET /api/v1/ranking` (CONTRACT keys, then the rest).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RankRow<'a> {
    pub rank: u32,
    pub site: &'a str,
    pub name: &'a str,
    pub score: f64,
    pub grade: Option<Grade>,
    pub components: &'a Criteria,
    pub visits: i64,
    pub visitors: u64,
    pub previous_rank: Option<u32>,
    pub rank_change: Option<i64>,
}

impl RankRow<'_> {
    /// A criterion by key, one decimal (for the page).
    pub fn cell(&self, key: &str) -> String {
        Criterion::ALL
            .iter()
            .find(|c| c.as_str() == key)
            .map_or_else(String::new, |c| format!("{:.1}", self.components.get(*c)))
    }
}

pub fn rows(r: &Ranking) -> Vec<RankRow<'_>> {
    r.sites
        .iter()
        .map(|s| RankRow {
            rank: s.rank,
            site: &s.site,
            name: &s.name,
            score: s.score,
            grade: s.grade,
            components: &s.criteria,
            visits: s.visits,
            visitors: s.visitors,
            previous_rank: s.previous_rank,
            rank_change: s.rank_change,
        })
        .collect()
}

/// Parameters (`400`), the scope (`Target::Fleet`), then the ranking with out-of-scope rows removed.
pub(crate) async fn ranked(
    state: &AppState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<(Ranking, Registry), ApiError> {
    let tz = state.cfg.tz;
    let req = parse(&params::pairs(query), tz, params::today(tz))?;
    let reg = Registry::load(&state.db).await?;
    let allowed = scope::authorize(&caller.who, &reg, &Target::Fleet)?.sites;
    if let Group::Components(portal) = &req.group {
        if reg.site(portal).is_none_or(|s| s.kind != "portal") {
            return Err(ApiError::NotFound(format!("portal {portal}")));
        }
    }
    let mut r = ranking::compute(&state.db, &reg, &req, &state.cfg.ranking).await?;
    r.sites.retain(|s| allowed.contains(&s.site));
    Ok((r, reg))
}

/// The ranking of a group of sites over a range; rows outside the caller's scope removed.
#[utoipa::path(get, path = "/api/v1/ranking", tag = "monitoring", operation_id = "ranking", params(RankingQuery),
    responses((status = 200, description = "Best first", body = Vec<RankRow>), ApiErrors))]
pub async fn api(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let (r, _) = ranked(&state, &caller, q.as_deref()).await?;
    Ok(Json(rows(&r)).into_response())
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct RankingPage<'a> {
    c: Chrome,
    from: String,
    to: String,
    /// (value, label, selected)
    groups: Vec<(String, String, bool)>,
    criteria: Vec<&'static str>,
    weighted: bool,
    include_components: bool,
    rows: Vec<RankRow<'a>>,
    chart: String,
    api: String,
    csv: String,
}

pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let (r, reg) = ranked(&state, &caller, uri.query()).await?;
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let bars: Vec<(String, f64)> = r
        .sites
        .iter()
        .map(|s| (format!("{}. {}", s.rank, s.name), s.score))
        .collect();
    let chart = charts::bars_svg(&bars, c.t.word("ranking"));
    let group = r.group.key();
    let t = c.t;
    let mut groups: Vec<(String, String, bool)> = ["ministry", "province", "other"]
        .iter()
        .map(|g| (g.to_string(), t.word(g).to_owned(), false))
        .collect();
    groups.extend(reg.sites.iter().filter(|s| s.kind == "portal").map(|s| {
        (
            format!("components:{}", s.code),
            format!("{} {}", t.word("components"), s.name),
            false,
        )
    }));
    for g in groups.iter_mut() {
        g.2 = g.0 == group;
    }
    let page = RankingPage {
        c,
        from: r.from.to_string(),
        to: r.to.to_string(),
        groups,
        criteria: Criterion::ALL.iter().map(|c| c.as_str()).collect(),
        weighted: r.method == Method::Weighted,
        include_components: r.include_components,
        rows: rows(&r),
        chart,
        api: super::with_query("/api/v1/ranking", uri.query()),
        csv: super::with_query("/api/v1/export.csv?report=ranking", uri.query()),
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parameters() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let today = d("2026-11-25");
        let p = |q: &str| parse(&params::pairs(Some(q)), tz, today).map_err(|e| e.to_string());
        let r = p("year=2025&group=province&method=visits").unwrap();
        assert_eq!(
            (r.range.from, r.range.to, r.group, r.method),
            (
                d("2025-01-01"),
                d("2025-12-31"),
                Group::Province,
                Method::Visits
            )
        );
        let r = p("").unwrap();
        assert_eq!(
            (r.range.from, r.range.to, r.group, r.method),
            (d("2026-01-01"), today, Group::Ministry, Method::Weighted)
        );
        assert_eq!(p("year=2026").unwrap().range.to, today);
        assert_eq!(
            p("group=components:227&include_components=true")
                .unwrap()
                .group,
            Group::Components("227".into())
        );
        for bad in [
            "group=x",
            "method=best",
            "year=1999",
            "year=2027",
            "from=2025-02-01&to=2025-01-01",
            "year=2025&from=2025-01-01",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
