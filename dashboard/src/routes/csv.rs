//! `GET /api/v1/export.csv?report=stats|breakdown|timeseries|overview&…`: any report as CSV,
//! behind the same parameters and the same authorization as the JSON API.
use super::report;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::params;
use crate::queries;
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;

/// One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is
/// prefixed with `'`.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

pub async fn export(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> Result<impl IntoResponse, ApiError> {
    let kind = params::pairs(q.as_deref()).into_iter().find(|(k, _)| k == "report").map(|(_, v)| v).unwrap_or_else(|| "stats".into());
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
        "stats" | "breakdown" | "timeseries" => {
            let r = report(&state, &caller, q.as_deref(), None).await?;
            let s = r.scope();
            let range = r.params.range;
            name = format!("{kind}_{}_{}", range.from_str(), range.to_str());
            match kind.as_str() {
                "stats" => {
                    let st = queries::stats(&state.db, &s).await?;
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
                "breakdown" => {
                    line(&mut out, &[r.params.by, "visits", "visitors", "pageviews", "bounce_rate"].map(String::from));
                    for b in queries::breakdown(&state.db, &s, r.params.by, r.params.limit).await? {
                        line(&mut out, &[cell(&b.key), b.visits.to_string(), b.visitors.to_string(), b.pageviews.to_string(), format!("{:.4}", b.bounce_rate)]);
                    }
                }
                _ => {
                    line(&mut out, &["t", "visits", "visitors", "pageviews"].map(String::from));
                    for p in queries::timeseries(&state.db, &s, r.params.interval).await? {
                        line(&mut out, &[cell(&p.t), p.visits.to_string(), p.visitors.to_string(), p.pageviews.to_string()]);
                    }
                }
            }
        }
        other => return Err(ApiError::bad("report", format!("{other:?}: use stats, breakdown, timeseries or overview"))),
    }
    let disposition = format!("attachment; filename=\"emc_{name}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], out))
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells() {
        for (input, want) in [("a", "a"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("=1+1", "'=1+1"), ("/tin-tuc", "/tin-tuc")] {
            assert_eq!(cell(input), want);
        }
    }
}
