//! "Chi tiết": the full table of one breakdown on its own page
//! (`/sites/CODE/details/BY`, `/agencies/ID/details/BY`): every metric, sort by any column
//! (`order=`, `dir=`), a search in the values (`q=`), pages of [`PAGE_ROWS`] (`page=`) and
//! the CSV. It reads the top [`LIMIT`] values through the same report functions as the page.
use super::cards::row_label;
use super::metric::{count, Metric};
use crate::auth::Caller;
use crate::error::{ApiError, PageError};
use crate::i18n::Texts;
use crate::pages::{Chrome, SortHeader};
use crate::params::{self, By};
use crate::reports::{self, site_search};
use crate::routes::{report, PageCaller};
use crate::scope::Target;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};

/// Values read (the API's largest `limit`).
pub const LIMIT: u32 = 1000;
/// Rows per page.
pub const PAGE_ROWS: usize = 50;

pub struct Line {
    pub label: String,
    /// The report page filtered on this value.
    pub href: Option<String>,
    pub cells: Vec<String>,
    nums: Vec<f64>,
}

#[derive(Template)]
#[template(path = "details.html")]
pub struct DetailsPage {
    pub c: Chrome,
    pub label: String,
    pub title: &'static str,
    pub base: String,
    pub back: String,
    pub hidden: Vec<(&'static str, String)>,
    pub q: String,
    pub headers: Vec<SortHeader>,
    pub lines: Vec<Line>,
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub csv: String,
    pub truncated: bool,
}

pub async fn site(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((code, by)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let target = Target::Site {
        code,
        include_components: false,
    };
    render(state, caller, target, &by, headers, uri).await
}

pub async fn agency(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, by)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    render(state, caller, Target::Agency { id }, &by, headers, uri).await
}

/// Column keys and labels (the first is the value itself).
fn columns(t: &'static Texts, by: By) -> Vec<(&'static str, &'static str)> {
    match by {
        By::Dimension(d) => vec![
            ("key", d.label(t.lang)),
            ("visits", t.visits),
            ("visitors", t.visitors),
            ("pageviews", t.pageviews),
            ("bounce_rate", t.bounce_rate),
        ],
        By::SearchKeyword => vec![
            ("key", t.word("search_keyword")),
            ("category", t.word("search_category")),
            ("searches", t.word("searches")),
            ("visits", t.visits),
            ("no_result", t.word("no_result")),
            ("exit_share", t.word("search_exits")),
        ],
    }
}

async fn render(
    state: AppState,
    caller: Caller,
    target: Target,
    by: &str,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let by = By::parse(by).ok_or_else(|| ApiError::NotFound(format!("details {by:?}")))?;
    let r = report(&state, &caller, uri.query(), Some(target)).await?;
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let t = c.t;
    let p = &r.params;
    let pairs = params::pairs(uri.query());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let path = uri.path().to_owned();
    let report_base = path
        .rsplit_once("/details/")
        .map_or(path.as_str(), |(b, _)| b)
        .to_owned();
    let range_q = super::range_and_filters(p);
    let mut lines = match by {
        By::Dimension(d) => reports::breakdown(&state.db, &r.scope(), d, LIMIT)
            .await?
            .into_iter()
            .map(|b| {
                let mut f = p.filters.clone();
                let href = f.set(d, &b.key).is_ok().then(|| {
                    let mut q = p.clone();
                    q.filters = f;
                    format!("{report_base}?{}", super::range_and_filters(&q))
                });
                Line {
                    label: row_label(t, d, &b.key),
                    href,
                    cells: vec![
                        count(b.visits, t),
                        count(b.visitors, t),
                        count(b.pageviews, t),
                        Metric::BounceRate.format(b.bounce_rate, t),
                    ],
                    nums: vec![
                        b.visits as f64,
                        b.visitors as f64,
                        b.pageviews as f64,
                        b.bounce_rate,
                    ],
                }
            })
            .collect::<Vec<_>>(),
        By::SearchKeyword => site_search::keywords(&state.db, &r.scope(), LIMIT)
            .await?
            .into_iter()
            .map(|s| Line {
                label: s.key,
                href: None,
                cells: vec![
                    s.category,
                    count(s.searches, t),
                    count(s.visits, t),
                    count(s.no_result, t),
                    Metric::BounceRate.format(s.exit_share, t),
                ],
                nums: vec![
                    f64::NAN,
                    s.searches as f64,
                    s.visits as f64,
                    s.no_result as f64,
                    s.exit_share,
                ],
            })
            .collect(),
    };
    let truncated = lines.len() >= LIMIT as usize;
    let q = get("q").trim().to_owned();
    if !q.is_empty() {
        let needle = q.to_lowercase();
        lines.retain(|l| l.label.to_lowercase().contains(&needle));
    }
    let cols = columns(t, by);
    let default_order = if by == By::SearchKeyword {
        "searches"
    } else {
        "visits"
    };
    let order = cols
        .iter()
        .position(|(k, _)| *k == get("order") && *k != "category")
        .unwrap_or_else(|| {
            cols.iter()
                .position(|(k, _)| *k == default_order)
                .unwrap_or(1)
        });
    let desc = get("dir") != "asc";
    sort(&mut lines, order, desc);
    let matching = lines.len();
    let pages = matching.div_ceil(PAGE_ROWS).max(1);
    let page = get("page").parse::<usize>().unwrap_or(1).clamp(1, pages);
    let lines: Vec<Line> = lines
        .into_iter()
        .skip((page - 1) * PAGE_ROWS)
        .take(PAGE_ROWS)
        .collect();
    let link = |order: &str, dir: &str, page: usize| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("order", order).append_pair("dir", dir);
        if !q.is_empty() {
            ser.append_pair("q", &q);
        }
        if page > 1 {
            ser.append_pair("page", &page.to_string());
        }
        format!("{path}?{range_q}&{}", ser.finish())
    };
    let cur = cols[order].0;
    let dir_now = if desc { "desc" } else { "asc" };
    let headers_out = cols
        .iter()
        .enumerate()
        .map(|(i, (key, label))| {
            let active = i == order;
            let sortable = *key != "category";
            // A click on the sorted column flips it; another column starts with its
            // largest values (the label column with A).
            let next = match (active, desc, i == 0) {
                (true, true, _) | (false, _, true) => "asc",
                _ => "desc",
            };
            SortHeader {
                label,
                href: if sortable {
                    link(key, next, 1)
                } else {
                    String::new()
                },
                arrow: match (active, desc) {
                    (false, _) => "",
                    (true, true) => " ▼",
                    (true, false) => " ▲",
                },
                aria: match (active, desc) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
            }
        })
        .collect();
    let mut hidden = vec![
        ("from", p.range.from_str()),
        ("to", p.range.to_str()),
        ("order", cur.to_owned()),
        ("dir", dir_now.to_owned()),
    ];
    for (d, v) in p.filters.active() {
        hidden.push(("filter", format!("{}:{v}", d.key())));
    }
    let title = match by {
        By::Dimension(d) => d.label(t.lang),
        By::SearchKeyword => t.word("site_search"),
    };
    let page_out = DetailsPage {
        label: r.resolved.label.clone(),
        title,
        back: format!("{report_base}?{range_q}"),
        base: path.clone(),
        hidden,
        headers: headers_out,
        lines,
        matching,
        page,
        pages,
        prev: (page > 1).then(|| link(cur, dir_now, page - 1)),
        next: (page < pages).then(|| link(cur, dir_now, page + 1)),
        csv: format!(
            "/api/v1/export.csv?report=breakdown&by={}&limit={LIMIT}&{}&{range_q}",
            by.key(),
            super::target_query(p)
        ),
        truncated,
        q,
        c,
    };
    Ok(Html(page_out.render()?).into_response())
}

/// Sorts by column `order` (0 = the value's label), ties by label.
fn sort(lines: &mut [Line], order: usize, desc: bool) {
    lines.sort_by(|a, b| {
        let o = if order == 0 {
            a.label.cmp(&b.label)
        } else {
            a.nums[order - 1].total_cmp(&b.nums[order - 1])
        };
        let o = if desc { o.reverse() } else { o };
        o.then_with(|| a.label.cmp(&b.label))
    });
}
