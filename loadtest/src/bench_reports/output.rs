//! `target/bench/reports.json` and the printed table, with the misses against the targets.
use super::data::Built;
use super::probes::{Kind, Percentiles};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Timing {
    pub name: String,
    pub kind: Kind,
    pub ms: Percentiles,
    /// Why the figure could not be measured (its requests failed); its times are then NaN.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportMs {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub runs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Ms {
    pub p50: f64,
    pub p95: f64,
    pub runs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The figures of one deployment (the single node, or the cluster).
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub events: u64,
    pub sites: usize,
    pub reports: BTreeMap<String, ReportMs>,
    pub site_page_ms: Ms,
    pub overview_ms: Ms,
    pub ranking_1000_ms: Ms,
    pub compliance_fleet_ms: Ms,
    pub open_data_year_ms: Ms,
    pub bytes_on_disk: u64,
}

impl Figures {
    pub fn new(events: u64, sites: usize, bytes_on_disk: u64, timings: &[Timing]) -> Figures {
        let mut f = Figures {
            events,
            sites,
            reports: BTreeMap::new(),
            site_page_ms: Ms::default(),
            overview_ms: Ms::default(),
            ranking_1000_ms: Ms::default(),
            compliance_fleet_ms: Ms::default(),
            open_data_year_ms: Ms::default(),
            bytes_on_disk,
        };
        for t in timings {
            let ms = Ms {
                p50: t.ms.p50,
                p95: t.ms.p95,
                runs: t.ms.runs,
                error: t.error.clone(),
            };
            match t.kind {
                Kind::Report => {
                    f.reports.insert(
                        t.name.clone(),
                        ReportMs {
                            p50_ms: ms.p50,
                            p95_ms: ms.p95,
                            runs: ms.runs,
                            error: ms.error,
                        },
                    );
                }
                Kind::SitePage => f.site_page_ms = ms,
                Kind::Overview => f.overview_ms = ms,
                Kind::Ranking => f.ranking_1000_ms = ms,
                Kind::ComplianceFleet => f.compliance_fleet_ms = ms,
                Kind::OpenData => f.open_data_year_ms = ms,
            }
        }
        f
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// All of reports.json: the spec's keys (the single node's figures at the top level), then
/// what the figures were measured on.
#[derive(Debug, Clone, Serialize)]
pub struct ReportsJson {
    #[serde(flatten)]
    pub single: Figures,
    pub cluster: Option<Figures>,
    pub cluster_note: Option<String>,
    pub bytes_per_100m_events: u64,
    pub range: Range,
    pub large_site: String,
    pub typical_site: String,
    pub build: Built,
    pub load_before: String,
    pub load_after: String,
    pub misses: Vec<String>,
    /// The single node's figures in the order they were measured (for the table).
    #[serde(skip)]
    pub timings: Vec<Timing>,
    #[serde(skip)]
    pub cluster_timings: Option<Vec<Timing>>,
}

/// Every figure over its target, and every cluster figure over twice the single node's.
pub fn misses(single: &[Timing], cluster: Option<&[Timing]>) -> Vec<String> {
    let mut out = Vec::new();
    let failed = single.iter().map(|t| (t, "")).chain(
        cluster
            .unwrap_or_default()
            .iter()
            .map(|t| (t, " on the cluster")),
    );
    for (t, on) in failed {
        if let Some(e) = &t.error {
            out.push(format!("{}{on}: failed: {e}", t.name));
        }
    }
    for t in single {
        if let Some(target) = t.kind.target_ms() {
            if t.ms.p95 >= target {
                out.push(format!(
                    "{}: p95 {:.0} ms, target < {target:.0} ms",
                    t.name, t.ms.p95
                ));
            }
        }
    }
    for c in cluster.unwrap_or_default() {
        if let Some(s) = single.iter().find(|s| s.name == c.name) {
            if c.ms.p95 > 2.0 * s.ms.p95 {
                out.push(format!(
                    "{} on the cluster: p95 {:.0} ms, over twice the single node's {:.0} ms",
                    c.name, c.ms.p95, s.ms.p95
                ));
            }
        }
    }
    out
}

/// Bytes on disk scaled to 100 M events.
pub fn per_100m(bytes: u64, events: u64) -> u64 {
    (bytes as f64 * 1e8 / events.max(1) as f64).round() as u64
}

fn gb(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / 1e9)
}

pub fn table_of(j: &ReportsJson) -> String {
    let (single, cluster) = (&j.timings, j.cluster_timings.as_deref());
    let mut t = format!(
        "\nmake bench-reports — {} events, {} sites, {} to {} (large site {}, typical site {})\n",
        j.single.events, j.single.sites, j.range.from, j.range.to, j.large_site, j.typical_site
    );
    t += &format!(
        "  {:<46} {:>9} {:>9} {:>5} {:>8} {:>12}\n",
        "figure", "p50 ms", "p95 ms", "runs", "target", "cluster p95"
    );
    for s in single.iter() {
        let target = s
            .kind
            .target_ms()
            .map_or("-".to_owned(), |v| format!("< {v:.0}"));
        let c = cluster
            .and_then(|c| c.iter().find(|c| c.name == s.name))
            .map_or("-".to_owned(), |c| match c.error {
                Some(_) => "FAILED".to_owned(),
                None => format!("{:.1}", c.ms.p95),
            });
        let miss = s.error.is_some() || s.kind.target_ms().is_some_and(|v| s.ms.p95 >= v);
        t += &format!(
            "  {:<46} {:>9.1} {:>9.1} {:>5} {:>8} {:>12}{}\n",
            s.name,
            s.ms.p50,
            s.ms.p95,
            s.ms.runs,
            target,
            c,
            if miss { "  MISS" } else { "" }
        );
    }
    t += &format!(
        "\n  bytes on disk: {} ({} per 100 M events)\n",
        gb(j.single.bytes_on_disk),
        gb(j.bytes_per_100m_events)
    );
    let b = &j.build;
    t += &if b.reused {
        "  data: reused a complete seed (--reseed builds it again)\n".to_owned()
    } else {
        format!(
            "  data: {} events through the pipeline in {:.0} s ({:.0}/s), {} copies in {:.0} s, rollups merged in {:.0} s\n",
            b.base_events, b.pipeline_secs, b.pipeline_events_per_sec, b.copies, b.copies_secs, b.optimize_secs
        )
    };
    if let Some(note) = &j.cluster_note {
        t += &format!("  cluster: {note}\n");
    }
    t += &format!(
        "  load before: {}\n  load after:  {}\n",
        j.load_before, j.load_after
    );
    if j.misses.is_empty() {
        t += "  every figure within its target\n";
    }
    for m in &j.misses {
        t += &format!("  MISS {m}\n");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(name: &str, kind: Kind, p95: f64) -> Timing {
        Timing {
            name: name.into(),
            kind,
            ms: Percentiles {
                p50: p95 / 2.0,
                p95,
                runs: 5,
            },
            error: None,
        }
    }

    #[test]
    fn misses_are_the_figures_over_target_and_cluster_figures_over_twice() {
        let single = vec![
            timing("large/stats", Kind::Report, 99.0),
            timing("large/breakdown page", Kind::Report, 100.0),
            timing("site page", Kind::SitePage, 250.0),
            timing("ranking of every portal", Kind::Ranking, 1200.0),
            timing("open data year files", Kind::OpenData, 5000.0),
        ];
        let cluster = vec![
            timing("large/stats", Kind::Report, 198.0),
            timing("site page", Kind::SitePage, 501.0),
        ];
        let mut broken = timing("large/stats filter=page:/", Kind::Report, f64::NAN);
        broken.error = Some("answered 500".into());
        let cluster = [cluster, vec![broken]].concat();
        let m = misses(&single, Some(&cluster));
        assert_eq!(m.len(), 4, "{m:?}");
        assert_eq!(
            m[0],
            "large/stats filter=page:/ on the cluster: failed: answered 500"
        );
        assert!(m[1].starts_with("large/breakdown page"));
        assert!(m[2].starts_with("ranking of every portal"));
        assert!(m[3].starts_with("site page on the cluster"));
        let f = Figures::new(10, 2, 7, &single);
        assert_eq!(f.reports.len(), 2);
        assert_eq!((f.site_page_ms.p95, f.ranking_1000_ms.p95), (250.0, 1200.0));
        assert_eq!(per_100m(1_000, 50_000_000), 2_000);
    }
}
