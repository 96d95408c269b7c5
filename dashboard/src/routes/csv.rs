//! `GET /api/v1/export.csv?report=stats|breakdown|timeseries|goals|overview|ranking|compliance|failing_pages&…`:
//! any report as CSV, behind the same parameters and the same authorization as the JSON API
//! (`ranking` takes `/api/v1/ranking`'s parameters, `compliance` and `failing_pages`
//! `/api/v1/compliance`'s).
use super::compliance::ComplianceReport;
use super::report;
use crate::auth::Caller;
use crate::compliance::{self, FailingPage};
use crate::error::{ApiError, ApiErrors};
use crate::openapi::query::ExportQuery;
use crate::params;
use crate::ranking::Criterion;
use crate::reports;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;

/// One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is
/// prefixed with `'`.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// A report as CSV (`report=`, then that report's parameters).
#[utoipa::path(get, path = "/api/v1/export.csv", tag = "reports", operation_id = "export_csv", params(ExportQuery),
    responses((status = 200, description = "The report's rows", content_type = "text/csv", body = String), ApiErrors))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let kind = params::pairs(q.as_deref())
        .into_iter()
        .find(|(k, _)| k == "report")
        .map(|(_, v)| v)
        .unwrap_or_else(|| "stats".into());
    let mut out = String::new();
    let name;
    match kind.as_str() {
        "overview" => {
            let (p, rows) = super::pages::overview_rows(&state, &caller, q.as_deref()).await?;
            name = format!("overview_{}_{}", p.from_str(), p.to_str());
            line(&mut out, &["site", "name", "visits", "visitors", "pageviews", "hits", "bounce_rate", "avg_session_duration"].map(String::from));
            for r in rows {
                let cells = [cell(&r.site), cell(&r.name), r.visits.to_string(), r.visitors.to_string(), r.pageviews.to_string(), r.hits.to_string(), format!("{:.4}", r.bounce_rate), format!("{:.1}", r.avg_session_duration)];
                line(&mut out, &cells);
            }
        }
        "goals" => {
            let r = report(&state, &caller, q.as_deref(), None).await?;
            let range = r.params.range;
            name = format!("goals_{}_{}", range.from_str(), range.to_str());
            let st = reports::stats(&state.db, &r.scope()).await?;
            let defined = crate::goals::for_target(&state.db, &r.registry, &r.params.target).await?;
            line(&mut out, &["goal", "name", "kind", "event", "page", "conversions", "unique_converters", "completions", "conversion_rate"].map(String::from));
            for g in crate::goals::figures(&state.db, &r.scope(), &defined, st.visits).await? {
                let (o, f) = (&g.goal, &g.figures);
                line(&mut out, &[cell(&o.id), cell(&o.name), o.kind.to_owned(), cell(&o.event), cell(&o.page), f.conversions.to_string(), f.unique_converters.to_string(), f.completions.to_string(), format!("{:.4}", f.conversion_rate)]);
            }
        }
        "stats" | "breakdown" | "timeseries" => {
            let r = report(&state, &caller, q.as_deref(), None).await?;
            let s = r.scope();
            let range = r.params.range;
            name = format!("{kind}_{}_{}", range.from_str(), range.to_str());
            match kind.as_str() {
                "stats" => {
                    let st = reports::stats(&state.db, &s).await?;
                    line(&mut out, &["metric", "value"].map(String::from));
                    let rows: [(&str, String); 12] = [
                        ("visits", st.visits.to_string()),
                        ("sessions", st.sessions.to_string()),
                        ("pageviews", st.pageviews.to_string()),
                        ("visitors", st.visitors.to_string()),
                        ("bounce_rate", format!("{:.4}", st.bounce_rate)),
                        ("avg_session_duration", format!("{:.1}", st.avg_session_duration)),
                        ("hits", st.hits.to_string()),
                        ("direct", st.sources.direct.to_string()),
                        ("organic", st.sources.organic.to_string()),
                        ("social", st.sources.social.to_string()),
                        ("referral", st.sources.referral.to_string()),
                        ("campaign", st.sources.campaign.to_string()),
                    ];
                    for (k, v) in rows {
                        line(&mut out, &[k.to_owned(), v]);
                    }
                }
                "breakdown" => match r.params.by {
                    params::By::SearchKeyword => {
                        line(&mut out, &["search_keyword", "category", "searches", "visits", "no_result", "exits", "exit_share"].map(String::from));
                        for k in reports::site_search::keywords(&state.db, &s, r.params.limit).await? {
                            line(&mut out, &[cell(&k.key), cell(&k.category), k.searches.to_string(), k.visits.to_string(), k.no_result.to_string(), k.exits.to_string(), format!("{:.4}", k.exit_share)]);
                        }
                    }
                    params::By::Dimension(by) => {
                        line(&mut out, &[by.key(), "visits", "visitors", "pageviews", "bounce_rate"].map(String::from));
                        for b in reports::breakdown(&state.db, &s, by, r.params.limit).await? {
                            line(&mut out, &[cell(&b.key), b.visits.to_string(), b.visitors.to_string(), b.pageviews.to_string(), format!("{:.4}", b.bounce_rate)]);
                        }
                    }
                },
                _ => {
                    line(&mut out, &["t", "visits", "visitors", "pageviews"].map(String::from));
                    for p in reports::timeseries(&state.db, &s, r.params.interval).await? {
                        line(&mut out, &[cell(&p.t), p.visits.to_string(), p.visitors.to_string(), p.pageviews.to_string()]);
                    }
                }
            }
        }
        "ranking" => {
            let (r, _) = super::ranking::ranked(&state, &caller, q.as_deref()).await?;
            name = format!("ranking_{}_{}_{}", r.group.key().replace(':', "-"), r.from, r.to);
            ranking_csv(&mut out, &super::ranking::rows(&r));
        }
        "compliance" | "failing_pages" => {
            let (r, _) = super::compliance::report(&state, &caller, q.as_deref()).await?;
            name = format!("{kind}_{}_{}", r.from, r.to);
            if kind == "compliance" {
                compliance_csv(&mut out, &r);
            } else {
                failing_pages_csv(&mut out, &r.failing_pages);
            }
        }
        other => return Err(ApiError::bad("report", format!("{other:?}: use stats, breakdown, timeseries, goals, overview, ranking, compliance or failing_pages"))),
    }
    let disposition = format!("attachment; filename=\"emc_{name}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        out,
    ))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn share(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// The ranking as the page shows it: every criterion (0–100) beside the score.
fn ranking_csv(out: &mut String, rows: &[super::ranking::RankRow<'_>]) {
    let mut head: Vec<String> = ["rank", "site", "name", "score", "grade"]
        .map(String::from)
        .to_vec();
    head.extend(Criterion::ALL.iter().map(|c| c.as_str().to_owned()));
    head.extend(["visits", "visitors", "previous_rank", "rank_change"].map(String::from));
    line(out, &head);
    for r in rows {
        let mut cells = vec![
            r.rank.to_string(),
            cell(r.site),
            cell(r.name),
            format!("{:.2}", r.score),
            opt(r.grade.map(|g| g.as_str())),
        ];
        cells.extend(
            Criterion::ALL
                .iter()
                .map(|c| format!("{:.1}", r.components.get(*c))),
        );
        cells.extend([
            r.visits.to_string(),
            r.visitors.to_string(),
            opt(r.previous_rank),
            opt(r.rank_change),
        ]);
        line(out, &cells);
    }
}

/// One row per site, then the total of the report's scope (`site` = `*`).
fn compliance_csv(out: &mut String, r: &ComplianceReport) {
    let mut head: Vec<String> = ["site", "name", "page_loads"].map(String::from).to_vec();
    for t in compliance::TIMINGS {
        head.extend([format!("{}_share", t.name), format!("{}_p75_ms", t.name)]);
    }
    head.extend(
        [
            "pageviews",
            "dc_share",
            "label_share",
            "https_share",
            "all_domains_gov_vn",
            "days_reporting",
            "days_in_range",
            "last_seen",
            "silent",
        ]
        .map(String::from),
    );
    line(out, &head);
    for (s, code) in r
        .sites
        .iter()
        .map(|s| (s, cell(&s.compliance.site)))
        .chain(std::iter::once((&r.total, "*".to_owned())))
    {
        let c = &s.compliance;
        let mut cells = vec![code, cell(&s.name), c.page_loads.to_string()];
        for t in &c.timings {
            cells.extend([
                share(t.share),
                t.p75_ms.map(|v| format!("{v:.0}")).unwrap_or_default(),
            ]);
        }
        cells.extend([
            c.pageviews.to_string(),
            share(c.dc_share),
            share(c.label_share),
            share(c.https_share),
            c.all_domains_gov_vn.to_string(),
            s.days_reporting.to_string(),
            s.days_in_range.to_string(),
            opt(s
                .last_seen
                .and_then(|t| chrono::DateTime::from_timestamp(i64::from(t), 0))
                .map(|t| t.to_rfc3339())),
            s.silent.to_string(),
        ]);
        line(out, &cells);
    }
}

/// The pages that fail most, worst first: what an owner fixes first.
fn failing_pages_csv(out: &mut String, pages: &[FailingPage]) {
    line(
        out,
        &[
            "site",
            "pathname",
            "page_loads",
            "slow_loads",
            "pageviews",
            "missing_dc",
            "unlabelled",
            "insecure",
            "failures",
        ]
        .map(String::from),
    );
    for p in pages {
        let cells = [
            cell(&p.site),
            cell(&p.pathname),
            p.page_loads.to_string(),
            p.slow_loads.to_string(),
            p.pageviews.to_string(),
            p.missing_dc.to_string(),
            p.unlabelled.to_string(),
            p.insecure.to_string(),
            p.failures().to_string(),
        ];
        line(out, &cells);
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells() {
        for (input, want) in [
            ("a", "a"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=1+1", "'=1+1"),
            ("/tin-tuc", "/tin-tuc"),
        ] {
            assert_eq!(cell(input), want);
        }
    }
}
