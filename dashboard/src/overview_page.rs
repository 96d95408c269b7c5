//! The overview (`/`) for the national authority: the fleet at a glance — what needs
//! attention as counts linking to the lists (silent, down, untagged, wrongly tagged), each
//! group's totals with their change and trend, the national map of visits by province, the
//! top movers against the previous period, then every site in a sortable table.
use crate::charts;
use crate::error::{ApiError, PageError};
use crate::map;
use crate::pages::{Chrome, SortHeader};
use crate::params::{self, Filters, Interval, Range};
use crate::reports::{self, Dimension, Scope, SiteFigures, Stats};
use crate::routes::{compliance, scans, PageCaller};
use crate::scope::Registry;
use crate::site_page::metric::{count, delta};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};

/// The agency groups, in the order the page lists them.
pub const GROUPS: [&str; 3] = ["ministry", "province", "other"];
/// Movers shown each way.
pub const MOVERS: usize = 5;

/// A count of sites needing attention, linking to their list.
pub struct Attention {
    pub key: &'static str,
    pub count: usize,
    pub href: String,
}

/// One group's totals.
pub struct Group {
    pub key: &'static str,
    pub sites: usize,
    pub visits: String,
    pub visitors: String,
    pub pageviews: String,
    pub delta: String,
    pub tone: &'static str,
    pub spark: String,
}

/// A site whose visits changed most against the previous period.
pub struct Mover {
    pub site: String,
    pub name: String,
    pub now: String,
    pub before: String,
    /// `+120` visits, and `+35%` when there was a previous figure.
    pub change: String,
    pub pct: String,
    pub tone: &'static str,
}

#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    pub c: Chrome,
    pub from: String,
    pub to: String,
    pub attention: Vec<Attention>,
    pub groups: Vec<Group>,
    pub map: Option<(String, String)>,
    pub risers: Vec<Mover>,
    pub fallers: Vec<Mover>,
    pub headers: Vec<SortHeader>,
    pub rows: Vec<SiteFigures>,
    pub agencies: Vec<(String, String)>,
}

pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, PageError> {
    let (range, rows) = crate::routes::pages::overview_rows(&state, &caller, uri.query()).await?;
    let c = Chrome::new(&headers, &uri, Some(&caller));
    let t = c.t;
    let reg = Registry::load(&state.db).await?;
    let in_scope: Vec<_> = reg
        .sites_in_scope(&caller.who)
        .into_iter()
        .cloned()
        .collect();
    let codes: Vec<String> = in_scope.iter().map(|s| s.code.clone()).collect();
    let names: Vec<(String, String)> = in_scope
        .iter()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let group_sites: Vec<(&'static str, Vec<String>)> = GROUPS
        .iter()
        .map(|g| {
            let sites = in_scope
                .iter()
                .filter(|s| reg.agency(&s.agency).is_some_and(|a| a.group_kind == *g))
                .map(|s| s.code.clone())
                .collect();
            (*g, sites)
        })
        .filter(|(_, s): &(_, Vec<String>)| !s.is_empty())
        .collect();
    let prev_range = range.previous();
    let db = &state.db;
    let no_filter = Filters::default();
    let interval = if range.days() > 120 {
        Interval::Month
    } else {
        Interval::Day
    };
    let group_figures = futures::future::try_join_all(group_sites.iter().map(|(_, sites)| {
        let scope = |range| Scope {
            sites,
            range,
            filters: &no_filter,
        };
        async move {
            let (now, before) = (scope(range), scope(prev_range));
            tokio::try_join!(
                reports::stats(db, &now),
                reports::stats(db, &before),
                reports::timeseries(db, &now, interval)
            )
        }
    }));
    let all = Scope {
        sites: &codes,
        range,
        filters: &no_filter,
    };
    let (figures, before, regions, silent, flags) = tokio::try_join!(
        async { Ok::<_, ApiError>(group_figures.await?) },
        async { Ok(reports::overview(db, &names, prev_range).await?) },
        async { Ok(reports::breakdown(db, &all, Dimension::Region, 500).await?) },
        compliance::silent(&state, &in_scope),
        scans::overview_flags(&state, &in_scope),
    )?;
    let mut attention = vec![Attention {
        key: "silent_sites",
        count: silent.len(),
        href: format!(
            "/compliance?from={}&to={}#silent",
            range.from_str(),
            range.to_str()
        ),
    }];
    for (key, check) in [
        ("scan_down", "http"),
        ("scan_untagged", "tag_present"),
        ("scan_wrong_tag", "tag_site_id"),
    ] {
        attention.push(Attention {
            key,
            count: flags
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(0, |(_, s)| s.len()),
            href: format!("/scans?check={check}"),
        });
    }
    let groups = group_sites
        .iter()
        .zip(figures)
        .map(|((key, sites), (now, prev, points))| group(t, key, sites.len(), &now, &prev, &points))
        .collect();
    let (risers, fallers) = movers(t, &rows, &before);
    let map = national_map(t, &regions);
    let headers_out = sort_headers(t, &uri, &range);
    let agencies = reg
        .agencies_in_scope(&caller.who)
        .into_iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let page = OverviewPage {
        from: range.from_str(),
        to: range.to_str(),
        attention,
        groups,
        map,
        risers,
        fallers,
        headers: headers_out,
        rows,
        agencies,
        c,
    };
    Ok(Html(page.render()?).into_response())
}

fn tone(d: Option<f64>) -> &'static str {
    match d {
        Some(x) if x >= 0.5 => "good",
        Some(x) if x <= -0.5 => "bad",
        _ => "",
    }
}

fn group(
    t: &crate::i18n::Texts,
    key: &'static str,
    sites: usize,
    now: &Stats,
    prev: &Stats,
    points: &[reports::Point],
) -> Group {
    let d = delta(now.visits as f64, prev.visits as f64);
    let values: Vec<f64> = points.iter().map(|p| p.visits as f64).collect();
    Group {
        key,
        sites,
        visits: count(now.visits, t),
        visitors: count(now.visitors, t),
        pageviews: count(now.pageviews, t),
        delta: d.map(|x| format!("{x:+.0}%")).unwrap_or_default(),
        tone: tone(d),
        spark: charts::sparkline_svg(&values),
    }
}

/// The sites whose visits rose most and fell most, by the change in visits (ties by name).
pub fn movers(
    t: &crate::i18n::Texts,
    now: &[SiteFigures],
    before: &[SiteFigures],
) -> (Vec<Mover>, Vec<Mover>) {
    let mut changes: Vec<(&SiteFigures, i64)> = now
        .iter()
        .map(|s| {
            let b = before
                .iter()
                .find(|x| x.site == s.site)
                .map_or(0, |x| x.visits);
            (s, b)
        })
        .filter(|(s, b)| s.visits != *b)
        .collect();
    changes.sort_by(|a, b| {
        (b.0.visits - b.1)
            .cmp(&(a.0.visits - a.1))
            .then_with(|| a.0.name.cmp(&b.0.name))
    });
    let mover = |(s, b): &(&SiteFigures, i64)| {
        let d = delta(s.visits as f64, *b as f64);
        let diff = s.visits - b;
        Mover {
            site: s.site.clone(),
            name: s.name.clone(),
            now: count(s.visits, t),
            before: count(*b, t),
            change: format!("{}{}", if diff > 0 { "+" } else { "" }, count(diff, t)),
            pct: d.map(|x| format!("{x:+.0}%")).unwrap_or_default(),
            tone: if diff > 0 { "good" } else { "bad" },
        }
    };
    let risers = changes
        .iter()
        .filter(|(s, b)| s.visits > *b)
        .take(MOVERS)
        .map(mover)
        .collect();
    let fallers = changes
        .iter()
        .rev()
        .filter(|(s, b)| s.visits < *b)
        .take(MOVERS)
        .map(mover)
        .collect();
    (risers, fallers)
}

fn national_map(
    t: &'static crate::i18n::Texts,
    regions: &[reports::BreakdownRow],
) -> Option<(String, String)> {
    if regions.is_empty() {
        return None;
    }
    let (values, outside) = map::by_province(
        regions
            .iter()
            .map(|b| (b.key.as_str(), b.visits.max(0) as u64)),
    );
    let text = crate::site_page::map_text(t);
    let svg = map::choropleth_svg(&values, &text, |_| None);
    let outside = format!(
        "{}: {}",
        t.word("map_outside"),
        map::svg::group_digits(outside, text.thousands)
    );
    Some((svg, outside))
}

fn sort_headers(t: &crate::i18n::Texts, uri: &Uri, range: &Range) -> Vec<SortHeader> {
    let pairs = params::pairs(uri.query());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let cur_sort = match get("sort") {
        "" => "visits",
        s => s,
    };
    let cur_dir = get("dir");
    let cols: [(&str, &'static str); 6] = [
        ("name", t.site),
        ("visits", t.visits),
        ("visitors", t.visitors),
        ("pageviews", t.pageviews),
        ("bounce_rate", t.bounce_rate),
        ("avg_session_duration", t.avg_duration),
    ];
    cols.iter()
        .map(|(key, label)| {
            let active = *key == cur_sort;
            let desc = if active {
                cur_dir != "asc"
            } else {
                *key != "name"
            };
            let next = if active ^ desc { "desc" } else { "asc" };
            SortHeader {
                label,
                href: format!(
                    "/?from={}&to={}&sort={key}&dir={next}#sites",
                    range.from_str(),
                    range.to_str()
                ),
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
        .collect()
}
