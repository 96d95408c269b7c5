//! `emc-dashboard bench-reports`: times every report query against a live database and
//! prints p50/p95 per report (target: every report under 100 ms at p95).
use crate::params::{Filters, Interval, Range};
use crate::reports::{self, Dimension, Scope};
use emc_sql::Db;
use std::time::{Duration, Instant};

/// One report's latencies.
#[derive(Debug, Clone)]
pub struct Timing {
    pub report: String,
    pub p50: Duration,
    pub p95: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn time<F, Fut, T>(name: String, runs: usize, mut f: F) -> anyhow::Result<Timing>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, clickhouse::error::Error>>,
{
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f().await?;
        samples.push(t.elapsed());
    }
    samples.sort();
    Ok(Timing {
        report: name,
        p50: percentile(&samples, 0.5),
        p95: percentile(&samples, 0.95),
    })
}

/// Runs every report `runs` times over `sites` and `range`; `overview_sites` for the overview.
pub async fn run(
    db: &Db,
    sites: &[String],
    overview_sites: &[(String, String)],
    range: Range,
    runs: usize,
) -> anyhow::Result<Vec<Timing>> {
    let none = Filters::default();
    let mut organic = Filters::default();
    organic
        .set(Dimension::Source, "organic")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let plain = Scope {
        sites,
        range,
        filters: &none,
    };
    let filtered = Scope {
        sites,
        range,
        filters: &organic,
    };
    let mut out = vec![
        time("stats".into(), runs, || reports::stats(db, &plain)).await?,
        time("stats filter=source:organic".into(), runs, || {
            reports::stats(db, &filtered)
        })
        .await?,
        time("timeseries day".into(), runs, || {
            reports::timeseries(db, &plain, Interval::Day)
        })
        .await?,
        time("timeseries month".into(), runs, || {
            reports::timeseries(db, &plain, Interval::Month)
        })
        .await?,
        time("timeseries day filter=source:organic".into(), runs, || {
            reports::timeseries(db, &filtered, Interval::Day)
        })
        .await?,
    ];
    for dim in Dimension::ALL {
        out.push(
            time(format!("breakdown {}", dim.key()), runs, || {
                reports::breakdown(db, &plain, dim, 10)
            })
            .await?,
        );
    }
    out.push(
        time("overview".into(), runs, || {
            reports::overview(db, overview_sites, range)
        })
        .await?,
    );
    let now = chrono::Utc::now().timestamp() as u32;
    out.push(
        time("realtime".into(), runs, || {
            reports::realtime(db, sites, now)
        })
        .await?,
    );
    Ok(out)
}

pub fn render(timings: &[Timing]) -> String {
    let mut s = format!("{:<40} {:>10} {:>10}\n", "report", "p50 ms", "p95 ms");
    for t in timings {
        let flag = if t.p95 > Duration::from_millis(100) {
            "  > 100 ms"
        } else {
            ""
        };
        s.push_str(&format!(
            "{:<40} {:>10.1} {:>10.1}{flag}\n",
            t.report,
            t.p50.as_secs_f64() * 1e3,
            t.p95.as_secs_f64() * 1e3
        ));
    }
    s
}
