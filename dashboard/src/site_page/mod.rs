//! The report page of a site or an agency (`/sites/CODE`, `/agencies/ID`), laid out as
//! analysts expect from Plausible: a KPI row with the change against the previous period
//! and a trend, one main chart whose metric is chosen (`?metric=`), four cards with tabs
//! (`?tab=`) whose rows link to a filter, and a details page per breakdown
//! ([`details`]). Every query of the page runs at once (`gather`).
pub mod cards;
pub mod details;
pub mod metric;
pub mod view;

use crate::auth::Caller;
use crate::charts;
use crate::error::{ApiError, PageError};
use crate::i18n::Texts;
use crate::map;
use crate::pages::{ActiveFilter, Chrome, Manage};
use crate::params::{Filters, ReportParams};
use crate::reports::site_search::{self, SearchRow};
use crate::reports::{self, BreakdownRow, Dimension, Point, Stats};
use crate::routes::{compliance, report, Report};
use crate::scope::{self, Target};
use crate::state::AppState;
use askama::Template;
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Response};
use cards::Card;
use metric::Metric;
use view::View;

/// One figure of the KPI row.
pub struct Kpi {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub previous: String,
    /// `+12%`, empty without a previous value.
    pub delta: String,
    /// `good`, `bad` or `` (for the colour; the sign is in the text).
    pub tone: &'static str,
    pub spark: String,
    /// This view with the chart showing this metric.
    pub href: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub c: Chrome,
    pub label: String,
    pub base: String,
    pub from: String,
    pub to: String,
    pub interval: &'static str,
    pub metric: &'static str,
    pub is_portal: bool,
    pub include_components: bool,
    pub filters: Vec<ActiveFilter>,
    pub realtime: i64,
    pub kpis: Vec<Kpi>,
    pub chart_title: String,
    pub chart: String,
    /// The chart's points as a table (for screen readers and without a mouse).
    pub points: Vec<(String, String)>,
    pub csv_timeseries: String,
    pub csv_stats: String,
    pub cards: Vec<Card>,
    pub manage: Option<Manage>,
    /// The tag's connection (a site's report only).
    pub connection: Option<compliance::Connection>,
    /// The goals card (`_goals.html`).
    pub goals: crate::routes::goals::GoalsCard,
    /// The notes under the chart (`_annotations.html`), numbered as its markers.
    pub annotations: crate::routes::annotations::AnnotationsCard,
    /// The site's shared links (`_shares.html`): a site's page for a signed-in user only.
    pub shares: Option<crate::routes::shares::SharesCard>,
    /// A shared link's view: no forms, no CSV, details or API links.
    pub read_only: bool,
}

/// Everything the page reads, fetched concurrently.
struct Gathered {
    now: Stats,
    prev: Stats,
    points: Vec<Point>,
    realtime: i64,
    dims: Vec<(Dimension, Vec<BreakdownRow>)>,
    regions: Vec<BreakdownRow>,
    searches: Vec<SearchRow>,
    connection: Option<compliance::Connection>,
}

async fn gather(state: &AppState, r: &Report) -> Result<Gathered, ApiError> {
    let db = &state.db;
    let (scope, prev_scope) = (r.scope(), r.previous_scope());
    let dims = cards::dimensions();
    let breakdowns = futures::future::try_join_all(
        dims.iter()
            .map(|d| reports::breakdown(db, &scope, *d, cards::ROWS as u32)),
    );
    let site = match &r.params.target {
        Target::Site { code, .. } => r.registry.site(code),
        _ => None,
    };
    let connection = async {
        match site {
            Some(s) => compliance::connection(state, s, &r.params.range)
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let now_ts = chrono::Utc::now().timestamp() as u32;
    let (now, prev, points, rt, rows, regions, searches, connection) = tokio::try_join!(
        async { Ok::<_, ApiError>(reports::stats(db, &scope).await?) },
        async { Ok(reports::stats(db, &prev_scope).await?) },
        async { Ok(reports::timeseries(db, &scope, r.params.interval).await?) },
        async { Ok(reports::realtime(db, &r.resolved.sites, now_ts).await?) },
        async { Ok(breakdowns.await?) },
        async { Ok(reports::breakdown(db, &scope, Dimension::Region, 500).await?) },
        async { Ok(site_search::keywords(db, &scope, cards::ROWS as u32).await?) },
        connection,
    )?;
    Ok(Gathered {
        now,
        prev,
        points,
        realtime: rt.visitors,
        dims: dims.into_iter().zip(rows).collect(),
        regions,
        searches,
        connection,
    })
}

/// A site's or agency's report. `read_only` (a shared link): exactly the route's site, no
/// components, no user chrome, no forms, no CSV, details or API links, no management.
pub async fn render(
    state: AppState,
    caller: Caller,
    target: Target,
    headers: HeaderMap,
    uri: Uri,
    read_only: bool,
) -> Result<Response, PageError> {
    let mut r = report(&state, &caller, uri.query(), Some(target.clone())).await?;
    if read_only {
        let Target::Site { code, .. } = &target else {
            return Err(crate::error::ApiError::Forbidden.into());
        };
        r.params.target = target.clone();
        r.resolved.sites = vec![code.clone()];
    }
    let c = Chrome::new(&headers, &uri, (!read_only).then_some(&caller));
    let t = c.t;
    let p = &r.params;
    let pairs = crate::params::pairs(uri.query());
    let values = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let base = uri.path().to_owned();
    let view = View {
        base: &base,
        p,
        metric: Metric::parse(values("metric").first().map_or("", String::as_str)),
        tabs: values("tab"),
    };
    let g = gather(&state, &r).await?;
    let links = cards::Links {
        base: &base,
        query: range_and_filters(p),
        target: target_query(p),
    };
    let goals_query = format!("{}&{}", links.target, links.query);
    let shares = async {
        match &p.target {
            Target::Site { code, .. } if !read_only => {
                crate::routes::shares::card(&state, &r.registry, &caller, code)
                    .await
                    .map(Some)
            }
            _ => Ok(None),
        }
    };
    let ((annotations, markers), goals, shares) = tokio::try_join!(
        crate::routes::annotations::notes(&state, &r, base.clone()),
        crate::routes::goals::card(&state, &r, g.now.visits, t.lang, base.clone(), &goals_query),
        shares,
    )?;
    let map = province_map(&r, &g.regions, &view, t);
    let data = cards::CardData {
        dims: &g.dims,
        regions: &g.regions,
        searches: &g.searches,
        map,
    };
    let cards = cards::build(t, &view, &data, &links);
    let m = view.metric;
    let series = charts::Series {
        title: m.label(t),
        labels: g.points.iter().map(|x| x.t.clone()).collect(),
        values: g.points.iter().map(|x| m.of_point(x)).collect(),
        written: g
            .points
            .iter()
            .map(|x| m.format(m.of_point(x), t))
            .collect(),
    };
    let chart = charts::metric_svg(&series, &markers);
    let points = series.labels.into_iter().zip(series.written).collect();
    let (is_portal, include_components, manage) = match &p.target {
        Target::Site {
            code,
            include_components,
        } => {
            let site = r.registry.site(code);
            let manage = site
                .filter(|s| !read_only && scope::may_manage_site(&caller.who, s))
                .map(|s| crate::routes::pages::manage(&state, t, s));
            (
                site.is_some_and(|s| s.kind == "portal"),
                *include_components,
                manage,
            )
        }
        _ => (false, false, None),
    };
    let csv = |report: &str| {
        format!(
            "/api/v1/export.csv?report={report}&{}&{}&interval={}",
            links.target,
            links.query,
            p.interval.as_str()
        )
    };
    let page = ReportPage {
        label: r.resolved.label.clone(),
        from: p.range.from_str(),
        to: p.range.to_str(),
        interval: p.interval.as_str(),
        metric: m.key(),
        is_portal,
        include_components,
        filters: active_filters(t, &view),
        realtime: g.realtime,
        kpis: kpis(t, &view, &g),
        chart_title: format!("{} {}", m.label(t), t.word("over_time")),
        chart,
        points,
        csv_timeseries: csv("timeseries"),
        csv_stats: csv("stats"),
        cards,
        manage,
        connection: g.connection.filter(|_| !read_only),
        goals,
        annotations,
        shares,
        read_only,
        base: base.clone(),
        c,
    };
    Ok(Html(page.render()?).into_response())
}

fn kpis(t: &'static Texts, view: &View, g: &Gathered) -> Vec<Kpi> {
    Metric::ALL
        .into_iter()
        .map(|m| {
            let (a, b) = (m.of_stats(&g.now), m.of_stats(&g.prev));
            let d = metric::delta(a, b);
            let tone = match d {
                Some(x) if x.abs() >= 0.5 => {
                    if (x > 0.0) ^ m.lower_is_better() {
                        "good"
                    } else {
                        "bad"
                    }
                }
                _ => "",
            };
            let values: Vec<f64> = g.points.iter().map(|p| m.of_point(p)).collect();
            Kpi {
                key: m.key(),
                label: m.label(t),
                value: m.format(a, t),
                previous: m.format(b, t),
                delta: d.map(|x| format!("{x:+.0}%")).unwrap_or_default(),
                tone,
                spark: charts::sparkline_svg(&values),
                href: view.with_metric(m),
                selected: m == view.metric,
            }
        })
        .collect()
}

fn active_filters(t: &'static Texts, view: &View) -> Vec<ActiveFilter> {
    let f = &view.p.filters;
    f.active()
        .into_iter()
        .map(|(k, v)| {
            let mut rest = Filters::default();
            for (k2, v2) in f.active() {
                if k2 != k {
                    let _ = rest.set(k2, v2);
                }
            }
            ActiveFilter {
                label: k.label(t.lang),
                value: v.to_owned(),
                raw: format!("{}:{v}", k.key()),
                remove_href: view.with_filters(&rest),
            }
        })
        .collect()
}

/// `from=…&to=…[&filter=…]`.
pub fn range_and_filters(p: &ReportParams) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("from", &p.range.from_str())
        .append_pair("to", &p.range.to_str());
    let f = p.filters.to_query();
    let q = ser.finish();
    if f.is_empty() {
        q
    } else {
        format!("{q}&{f}")
    }
}

/// The target as the API's parameters: `site=…&include_components=…` or `agency=…`.
pub fn target_query(p: &ReportParams) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    match &p.target {
        Target::Site {
            code,
            include_components,
        } => format!("site={}&include_components={include_components}", enc(code)),
        Target::Agency { id } => format!("agency={}", enc(id)),
        Target::Fleet | Target::Admin => String::new(),
    }
}

/// Visits by province on the map of the 34 units. A unit links to the region filter when
/// its visits come from one region name; a merged unit whose visits carry several former
/// names has no single filter (its title says so).
fn province_map(
    r: &Report,
    rows: &[BreakdownRow],
    view: &View,
    t: &'static Texts,
) -> Option<(String, String)> {
    if rows.is_empty() {
        return None;
    }
    let (values, outside) = map::by_province(
        rows.iter()
            .map(|b| (b.key.as_str(), b.visits.max(0) as u64)),
    );
    let text = map_text(t);
    let svg = map::choropleth_svg(&values, &text, |unit| {
        let mut names = rows
            .iter()
            .filter(|b| map::Province::of_region(&b.key) == Some(unit))
            .map(|b| b.key.as_str());
        let (one, more) = (names.next()?, names.next());
        let mut f = r.params.filters.clone();
        (more.is_none() && f.set(Dimension::Region, one).is_ok()).then(|| view.with_filters(&f))
    });
    let outside = format!(
        "{}: {}",
        t.word("map_outside"),
        map::svg::group_digits(outside, text.thousands)
    );
    Some((svg, outside))
}

/// The map's words in the page's language.
pub fn map_text(t: &'static Texts) -> map::MapText<'static> {
    let english = t.lang == "en";
    map::MapText {
        title: t.word("map_title"),
        none: t.word("map_none"),
        thousands: if english { ',' } else { '.' },
        english,
    }
}
