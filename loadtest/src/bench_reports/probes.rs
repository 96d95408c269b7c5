//! What is timed: each figure is one or more HTTP requests made one after another (a sample
//! is their total time, bodies read to the end), repeated after an untimed warm-up.
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Breakdown dimensions of `GET /api/v1/breakdown?by=` (README).
pub const BREAKDOWNS: [&str; 12] = [
    "page",
    "entry_page",
    "exit_page",
    "source",
    "referrer",
    "utm_campaign",
    "country",
    "region",
    "city",
    "browser",
    "os",
    "device",
];

/// Which figure of reports.json a measurement is, and its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Report,
    SitePage,
    Overview,
    Ranking,
    ComplianceFleet,
    OpenData,
}

impl Kind {
    /// The p95 it should stay under, milliseconds (none for the open-data files).
    pub fn target_ms(self) -> Option<f64> {
        match self {
            Kind::Report => Some(100.0),
            Kind::SitePage | Kind::Overview => Some(300.0),
            Kind::Ranking | Kind::ComplianceFleet => Some(1000.0),
            Kind::OpenData => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub kind: Kind,
    pub paths: Vec<String>,
}

/// The sites and the range the figures are about.
#[derive(Debug, Clone)]
pub struct Plan {
    pub large: String,
    pub typical: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Plan {
    fn range(&self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }

    /// Every report of one site (`role` names it in the figure).
    fn site_reports(&self, role: &str, site: &str) -> Vec<Figure> {
        let r = self.range();
        let week = format!(
            "from={}&to={}",
            self.to - chrono::Duration::days(6),
            self.to
        );
        let mut out: Vec<(String, String)> = vec![
            ("stats".into(), format!("/api/v1/stats?site={site}&{r}")),
            (
                "stats filter=source:organic".into(),
                format!("/api/v1/stats?site={site}&{r}&filter=source:organic"),
            ),
            (
                "stats filter=country:VN".into(),
                format!("/api/v1/stats?site={site}&{r}&filter=country:VN"),
            ),
            (
                "stats filter=page:/".into(),
                format!("/api/v1/stats?site={site}&{r}&filter=page:/"),
            ),
        ];
        for interval in ["day", "month"] {
            out.push((
                format!("timeseries {interval}"),
                format!("/api/v1/timeseries?site={site}&{r}&interval={interval}"),
            ));
        }
        out.push((
            "timeseries hour (7 days)".into(),
            format!("/api/v1/timeseries?site={site}&{week}&interval=hour"),
        ));
        out.push((
            "timeseries day filter=source:organic".into(),
            format!("/api/v1/timeseries?site={site}&{r}&interval=day&filter=source:organic"),
        ));
        for by in BREAKDOWNS {
            out.push((
                format!("breakdown {by}"),
                format!("/api/v1/breakdown?site={site}&{r}&by={by}&limit=10"),
            ));
        }
        out.push((
            "breakdown page filter=source:organic".into(),
            format!("/api/v1/breakdown?site={site}&{r}&by=page&limit=10&filter=source:organic"),
        ));
        out.push((
            "compliance".into(),
            format!("/api/v1/compliance?site={site}&{r}"),
        ));
        out.push(("health".into(), format!("/api/v1/health?site={site}&{r}")));
        out.into_iter()
            .map(|(name, path)| Figure {
                name: format!("{role}/{name}"),
                kind: Kind::Report,
                paths: vec![path],
            })
            .collect()
    }

    /// Every figure, reports first.
    pub fn figures(&self) -> Vec<Figure> {
        let r = self.range();
        let mut out = self.site_reports("large", &self.large);
        out.extend(self.site_reports("typical", &self.typical));
        let one = |name: &str, kind, path: String| Figure {
            name: name.into(),
            kind,
            paths: vec![path],
        };
        out.push(one(
            "site page",
            Kind::SitePage,
            format!("/sites/{}?{r}", self.large),
        ));
        out.push(one("overview", Kind::Overview, format!("/?{r}")));
        out.push(Figure {
            name: "ranking of every portal".into(),
            kind: Kind::Ranking,
            paths: ["ministry", "province", "other"]
                .iter()
                .map(|g| format!("/api/v1/ranking?{r}&group={g}"))
                .collect(),
        });
        out.push(one(
            "fleet compliance",
            Kind::ComplianceFleet,
            format!("/api/v1/compliance?{r}"),
        ));
        let y = self.to.year();
        out.push(Figure {
            name: "open data year files".into(),
            kind: Kind::OpenData,
            paths: vec![
                format!("/open-data/ranking-{y}.csv"),
                format!("/open-data/monthly-{y}.csv"),
            ],
        });
        out
    }
}

/// p50 and p95 of one figure, milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub runs: usize,
}

/// Nearest-rank percentile (`p` in 0–1) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub struct Timer {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
    pub runs: usize,
    pub budget: Duration,
}

impl Timer {
    async fn once(&self, f: &Figure) -> anyhow::Result<f64> {
        let started = Instant::now();
        for path in &f.paths {
            let res = self
                .client
                .get(format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await?;
            let status = res.status();
            let body = res.bytes().await?;
            anyhow::ensure!(
                status.is_success(),
                "{}: GET {path} answered {status}: {}",
                f.name,
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        Ok(started.elapsed().as_secs_f64() * 1e3)
    }

    /// One warm-up, then `runs` timed runs or as many as the budget allows (at least 3).
    pub async fn time(&self, f: &Figure) -> anyhow::Result<Percentiles> {
        self.once(f).await?;
        let started = Instant::now();
        let mut samples = Vec::with_capacity(self.runs);
        while samples.len() < self.runs.max(1)
            && (samples.len() < 3 || started.elapsed() < self.budget)
        {
            samples.push(self.once(f).await?);
        }
        samples.sort_by(f64::total_cmp);
        Ok(Percentiles {
            p50: percentile(&samples, 0.5),
            p95: percentile(&samples, 0.95),
            runs: samples.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!((percentile(&s, 0.5), percentile(&s, 0.95)), (10.0, 19.0));
        assert_eq!(percentile(&[7.0], 0.95), 7.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 0.5), 2.0);
    }

    #[test]
    fn every_figure_kind_is_planned_once_and_reports_cover_both_sites() {
        let p = Plan {
            large: "br-001".into(),
            typical: "br-500".into(),
            from: NaiveDate::from_ymd_opt(2025, 12, 7).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        };
        let f = p.figures();
        for k in [
            Kind::SitePage,
            Kind::Overview,
            Kind::Ranking,
            Kind::ComplianceFleet,
            Kind::OpenData,
        ] {
            assert_eq!(f.iter().filter(|x| x.kind == k).count(), 1, "{k:?}");
        }
        let reports: Vec<&Figure> = f.iter().filter(|x| x.kind == Kind::Report).collect();
        assert_eq!(reports.len() % 2, 0);
        assert!(reports.iter().any(|r| r.name == "typical/breakdown device"));
        assert!(reports
            .iter()
            .all(|r| r.paths[0].contains("site=br-001") == r.name.starts_with("large/")));
        let open = f.iter().find(|x| x.kind == Kind::OpenData).unwrap();
        assert_eq!(open.paths[0], "/open-data/ranking-2026.csv");
    }
}
