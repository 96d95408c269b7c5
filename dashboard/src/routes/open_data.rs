//! `/open-data` (public, no sign-in): the yearly ranking and monthly figures per site as CSV
//! and JSON, and the DCAT-AP catalog. Deliberately outside the scope check: only per-site
//! aggregates are published, as the national ranking itself is.
use super::csv::cell;
use super::ranking::year_range;
use crate::error::{ApiError, PageError};
use crate::open_data::{self, MONTHLY_HEADER, RANKING_HEADER};
use crate::pages::{Chrome, DcMeta};
use crate::params::{self, Range};
use crate::ranking::{Group, Method};
use crate::reports;
use crate::scope::Registry;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;

/// The years the page and the catalog list: this year and the two before.
fn years(state: &AppState) -> Vec<i32> {
    let y = params::today(state.cfg.tz).year();
    (y - 2..=y).collect()
}

/// `scheme://host` of this request (`X-Forwarded-Proto`, `Host`; a doubtful host is replaced).
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = !host.is_empty()
        && host.len() < 256
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    let host = if ok { host } else { "localhost" };
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    c: Chrome,
    dc: DcMeta,
    /// (year, [(group key, label)])
    years: Vec<i32>,
    groups: Vec<(&'static str, &'static str)>,
    license: &'static str,
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let c = Chrome::new(&headers, &uri, None);
    let t = c.t;
    let dc = DcMeta::new(
        t.word("open_data"),
        "Dữ liệu mở của EMC: xếp hạng cổng thông tin điện tử theo năm và số liệu truy cập hằng tháng (CSV, JSON, DCAT-AP).",
        &format!("{}/open-data", base_url(&headers)),
        params::today(state.cfg.tz),
    );
    let groups = ["ministry", "province", "other"]
        .into_iter()
        .map(|g| (g, t.word(g)))
        .collect();
    let page = OpenDataPage {
        c,
        dc,
        years: years(&state),
        groups,
        license: open_data::LICENSE,
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn catalog(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = open_data::catalog(
        &base_url(&headers),
        &years(&state),
        params::today(state.cfg.tz),
    );
    (
        [(header::CONTENT_TYPE, "application/ld+json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// `ranking-YYYY.csv|json[?group=][&method=]` or `monthly-YYYY.csv|json`.
pub async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("open data file {name}"));
    let (stem, ext) = name.rsplit_once('.').ok_or_else(not_found)?;
    let (kind, year) = stem.split_once('-').ok_or_else(not_found)?;
    if !matches!(ext, "csv" | "json") || !matches!(kind, "ranking" | "monthly" | "scans") {
        return Err(not_found());
    }
    if kind == "scans" {
        // The latest scan of every registered site (`scans-latest.csv|json`).
        if year != "latest" {
            return Err(not_found());
        }
        let reg = Registry::load(&state.db).await?;
        let codes: Vec<String> = reg.sites.iter().map(|s| s.code.clone()).collect();
        let latest = crate::scans::latest(&state.db, &codes).await?;
        let (body, media) = if ext == "json" {
            (
                serde_json::to_string(&latest).map_err(anyhow::Error::from)?,
                "application/json",
            )
        } else {
            (crate::scans::csv(&latest), "text/csv; charset=utf-8")
        };
        return Ok(([(header::CONTENT_TYPE, media)], body).into_response());
    }
    let today = params::today(state.cfg.tz);
    let (from, to) = year_range(year, today).map_err(|_| not_found())?;
    let y = from.year();
    let range = Range {
        from,
        to,
        tz: state.cfg.tz,
    };
    let reg = Registry::load(&state.db).await?;
    let (body, media) = if kind == "ranking" {
        let (groups, methods) = ranking_filters(uri.query())?;
        let rows = open_data::ranking(
            &state.db,
            &reg,
            &state.cfg.ranking,
            y,
            &range,
            &groups,
            &methods,
        )
        .await?;
        if ext == "json" {
            (
                serde_json::to_string(&rows).map_err(anyhow::Error::from)?,
                "application/json",
            )
        } else {
            (ranking_csv(&rows), "text/csv; charset=utf-8")
        }
    } else {
        let rows = reports::open_data::monthly(&state.db, &reg, &range).await?;
        if ext == "json" {
            (
                serde_json::to_string(&rows).map_err(anyhow::Error::from)?,
                "application/json",
            )
        } else {
            (monthly_csv(&rows), "text/csv; charset=utf-8")
        }
    };
    let disposition = format!("inline; filename=\"emc_{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
        ],
        body,
    )
        .into_response())
}

fn ranking_filters(query: Option<&str>) -> Result<(Vec<Group>, Vec<Method>), ApiError> {
    let mut groups = vec![Group::Ministry, Group::Province, Group::Other];
    let mut methods = vec![Method::Weighted, Method::Visits];
    for (k, v) in params::pairs(query) {
        match k.as_str() {
            "group" => {
                groups = vec![Group::parse(&v).ok_or_else(|| {
                    ApiError::bad(
                        "group",
                        format!("{v:?}: use ministry, province, other or components:CODE"),
                    )
                })?]
            }
            "method" => {
                methods = vec![match v.as_str() {
                    "weighted" => Method::Weighted,
                    "visits" => Method::Visits,
                    _ => {
                        return Err(ApiError::bad(
                            "method",
                            format!("{v:?}: use weighted or visits"),
                        ))
                    }
                }]
            }
            _ => {}
        }
    }
    Ok((groups, methods))
}

fn csv_line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

pub fn ranking_csv(rows: &[open_data::PublicRank]) -> String {
    let mut out = String::new();
    csv_line(&mut out, &RANKING_HEADER.map(String::from));
    for r in rows {
        let method = if r.method == Method::Weighted {
            "weighted"
        } else {
            "visits"
        };
        let c = &r.components;
        let mut cells = vec![
            r.year.to_string(),
            cell(&r.group),
            method.to_owned(),
            r.rank.to_string(),
            cell(&r.site),
            cell(&r.name),
            format!("{:.2}", r.score),
        ];
        cells.push(r.grade.map(|g| g.as_str().to_owned()).unwrap_or_default());
        cells.extend([r.visits.to_string(), r.visitors.to_string()]);
        cells.extend(
            [
                c.traffic,
                c.engagement,
                c.connection,
                c.label,
                c.metadata,
                c.domain,
                c.speed,
                c.security,
            ]
            .map(|x| format!("{x:.2}")),
        );
        csv_line(&mut out, &cells);
    }
    out
}

pub fn monthly_csv(rows: &[reports::open_data::MonthFigures]) -> String {
    let mut out = String::new();
    csv_line(&mut out, &MONTHLY_HEADER.map(String::from));
    for r in rows {
        let cells = [
            r.month.clone(),
            cell(&r.site),
            cell(&r.name),
            cell(&r.kind),
            r.visits.to_string(),
            r.pageviews.to_string(),
            r.visitors.to_string(),
            format!("{:.4}", r.bounce_rate),
            format!("{:.1}", r.avg_session_duration),
        ];
        csv_line(&mut out, &cells);
    }
    out
}
