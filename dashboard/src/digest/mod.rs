//! Scheduled reports ("digests") of one agency for one week or month: the KPIs of its sites
//! against the previous period, their ranking positions and changes, silent and down sites,
//! the scanner checks that fail most. One [`Digest`] feeds the printable page
//! `/reports/monthly`, the HTML and plain-text email, the CSV attachment and the PDF.
pub mod pdf;
pub mod period;
pub mod render;
pub mod send;

use crate::alerts::state as alert_state;
use crate::health;
use crate::ranking::{self, Group, Method, RankingConfig, RankingRequest};
use crate::reports::overview::{self as overview_report, SiteFigures};
use crate::scope::Registry;
use emc_sql::Db;
use period::ReportPeriod;
use serde::Deserialize;

/// One site's line.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteLine {
    pub current: SiteFigures,
    pub previous: SiteFigures,
    /// Position in the agency's ranking group (weighted criteria), this and the previous period.
    pub rank: Option<u32>,
    pub previous_rank: Option<u32>,
    pub score: Option<f64>,
    pub grade: Option<&'static str>,
}

/// A scanner check failing on the agency's sites in the period.
#[derive(Debug, Clone, PartialEq, Eq, clickhouse::Row, Deserialize)]
pub struct FailingCheck {
    pub check: String,
    pub failures: u64,
    pub sites: u64,
}

#[derive(Debug, Clone)]
pub struct Digest {
    pub agency_id: String,
    pub agency_name: String,
    pub period: ReportPeriod,
    pub lines: Vec<SiteLine>,
    /// Sites ranked in the group.
    pub group_size: usize,
    /// (code, name, last seen in EMC_TIMEZONE or "").
    pub silent: Vec<(String, String, String)>,
    /// (code, detail) of open `down` alerts.
    pub down: Vec<(String, String)>,
    pub failing_checks: Vec<FailingCheck>,
    /// When the scanner's results could not be read (no `scan_checks` yet), why.
    pub checks_note: Option<String>,
}

fn group_of(kind: &str) -> Group {
    Group::parse(kind).unwrap_or(Group::Other)
}

/// Everything the report shows, read at `now` (Unix seconds) for `agency`.
pub async fn gather(
    db: &Db,
    reg: &Registry,
    agency: &str,
    period: ReportPeriod,
    ranking_cfg: &RankingConfig,
    silence_secs: u64,
    now: u32,
) -> anyhow::Result<Digest> {
    let a = reg
        .agency(agency)
        .ok_or_else(|| anyhow::anyhow!("agency {agency} does not exist"))?;
    let tree = reg.subtree(std::slice::from_ref(&a.id));
    let sites: Vec<&emc_sql::registry::SiteRow> = reg
        .sites
        .iter()
        .filter(|s| tree.contains(&s.agency))
        .collect();
    let pairs: Vec<(String, String)> = sites
        .iter()
        .map(|s| (s.code.clone(), s.name.clone()))
        .collect();
    let codes: Vec<String> = pairs.iter().map(|(c, _)| c.clone()).collect();
    let tz = period.tz;
    let cur = period.range();
    let prev = period.previous().range();
    let req = RankingRequest {
        range: cur,
        group: group_of(&a.group_kind),
        method: Method::Weighted,
        include_components: false,
        with_previous: true,
    };
    let owned: Vec<emc_sql::registry::SiteRow> = sites.iter().map(|s| (*s).clone()).collect();
    let (figures, before, ranked, seen, open) = tokio::try_join!(
        async { Ok::<_, anyhow::Error>(overview_report::overview(db, &pairs, cur).await?) },
        async { Ok(overview_report::overview(db, &pairs, prev).await?) },
        ranking::compute(db, reg, &req, ranking_cfg),
        async {
            Ok(
                crate::reports::health::connection_health(db, &owned, now, silence_secs, 35)
                    .await?,
            )
        },
        async { Ok(alert_state::open(db).await?) },
    )?;
    let lines = figures
        .into_iter()
        .map(|f| {
            let previous = before
                .iter()
                .find(|p| p.site == f.site)
                .cloned()
                .unwrap_or_default();
            let r = ranked.sites.iter().find(|r| r.site == f.site);
            SiteLine {
                rank: r.map(|r| r.rank),
                previous_rank: r.and_then(|r| r.previous_rank),
                score: r.map(|r| r.score),
                grade: r.and_then(|r| r.grade).map(|g| g.as_str()),
                previous,
                current: f,
            }
        })
        .collect();
    let silent = health::silent_sites(&seen)
        .into_iter()
        .map(|h| {
            let when = h
                .last_seen
                .map(|t| crate::routes::admin::local_time(t, tz))
                .unwrap_or_default();
            (h.site, h.name, when)
        })
        .collect();
    let down = open
        .into_iter()
        .filter(|x| x.rule == crate::alerts::rules::Rule::Down.key() && codes.contains(&x.site))
        .map(|x| (x.site, x.detail))
        .collect();
    let window = crate::reports::scope::Window {
        sites: codes,
        start: cur.start_ts(),
        end: cur.end_ts(),
    };
    let (failing_checks, checks_note) =
        match crate::reports::digest::failing_checks(db, &window).await {
            Ok(v) => (v, None),
            Err(e) => {
                tracing::warn!(error = %e, "scanner results unreadable for the report");
                (
                    vec![],
                    Some("scanner results unavailable / chưa có kết quả quét".to_owned()),
                )
            }
        };
    Ok(Digest {
        agency_id: a.id.clone(),
        agency_name: a.name.clone(),
        period,
        lines,
        group_size: ranked.sites.len(),
        silent,
        down,
        failing_checks,
        checks_note,
    })
}

/// `(current − previous) / previous`, as a signed percentage text (`+12.5 %`, `—` when no base).
pub fn change(current: f64, previous: f64) -> String {
    if previous == 0.0 {
        return "—".into();
    }
    format!("{:+.1} %", (current - previous) / previous * 100.0)
}

/// Rank movement: `▲ 2` (moved up), `▼ 1`, `=`, `—`.
pub fn rank_change(rank: Option<u32>, previous: Option<u32>) -> String {
    match (rank, previous) {
        (Some(r), Some(p)) if p > r => format!("▲ {}", p - r),
        (Some(r), Some(p)) if r > p => format!("▼ {}", r - p),
        (Some(_), Some(_)) => "=".into(),
        _ => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn changes() {
        assert_eq!(super::change(110.0, 100.0), "+10.0 %");
        assert_eq!(super::change(50.0, 200.0), "-75.0 %");
        assert_eq!(super::change(5.0, 0.0), "—");
        assert_eq!(super::rank_change(Some(2), Some(5)), "▲ 3");
        assert_eq!(super::rank_change(Some(5), Some(2)), "▼ 3");
        assert_eq!(super::rank_change(Some(2), Some(2)), "=");
        assert_eq!(super::rank_change(Some(2), None), "—");
    }
}
