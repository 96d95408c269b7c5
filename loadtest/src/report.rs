//! The summary of a run: a table for people, JSON for scripts.
use crate::driver::{DriveResult, Pace, Profile};
use crate::procstat::Sample;
use crate::verify::{Landed, SiteCheck};
use crate::wire::Protocol;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub samples: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Latency {
    pub fn from_histogram(h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            samples: h.len(),
            mean: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Requests {
    pub sent: u64,
    pub accepted: u64,
    pub rejected: BTreeMap<String, u64>,
    pub unknown: u64,
    pub first_error: Option<String>,
    pub late: u64,
}

/// The server's cost over the run (when its pid is known).
#[derive(Debug, Clone, Serialize)]
pub struct ServerUsage {
    pub pid: u32,
    pub before: Sample,
    pub after: Sample,
    pub cpu_us_per_request: f64,
    pub rss_growth_bytes: i64,
    pub open_sessions_before: Option<u64>,
    pub open_sessions_after: Option<u64>,
    /// RSS growth per session opened during the run.
    pub bytes_per_open_session: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub run_id: String,
    pub target: String,
    pub protocol: Protocol,
    pub profile: Profile,
    pub pace: Pace,
    pub connections: usize,
    pub started: String,
    pub finished: String,
    pub requests: Requests,
    pub measured_secs: f64,
    pub throughput_rps: f64,
    pub latency_ms: Latency,
    pub landed: Option<Landed>,
    pub sites: Option<Vec<SiteCheck>>,
    pub server: Option<ServerUsage>,
    /// The collector's backlog between accept and insert during the run (from /metrics).
    pub queue: Option<crate::run::QueueDepth>,
    /// ClickHouse's CPU per request sent, flush included (when its pid is given).
    pub clickhouse_cpu_us_per_request: Option<f64>,
    /// Share of the machine's CPU that other processes used during the run (the figures of a
    /// busy machine are low; rerun on a quiet one).
    pub other_cpu_share: Option<f64>,
    /// This generator's CPU per request sent (it shares the machine).
    pub generator_cpu_us_per_request: Option<f64>,
    /// Why the run failed (loss, duplicates, wrong figures, errors); empty when it passed.
    pub problems: Vec<String>,
}

pub struct RunInfo<'a> {
    pub run_id: &'a str,
    pub target: &'a str,
    pub protocol: Protocol,
    pub profile: Profile,
    pub pace: Pace,
    pub connections: usize,
}

impl Report {
    pub fn new(info: RunInfo<'_>, r: &DriveResult) -> Report {
        let mut problems = Vec::new();
        if !r.rejected.is_empty() {
            problems.push(format!(
                "{} requests were not accepted: {:?}",
                r.rejected.values().sum::<u64>(),
                r.rejected
            ));
        }
        if r.unknown > 0 {
            problems.push(format!(
                "{} requests broke their connection: {}",
                r.unknown,
                r.first_error.clone().unwrap_or_default()
            ));
        }
        Report {
            run_id: info.run_id.to_owned(),
            target: info.target.to_owned(),
            protocol: info.protocol,
            profile: info.profile,
            pace: info.pace,
            connections: info.connections,
            started: r.started.to_rfc3339(),
            finished: r.finished.to_rfc3339(),
            requests: Requests {
                sent: r.sent,
                accepted: r.accepted,
                rejected: r
                    .rejected
                    .iter()
                    .map(|(k, v)| (k.to_string(), *v))
                    .collect(),
                unknown: r.unknown,
                first_error: r.first_error.clone(),
                late: r.late,
            },
            measured_secs: r.measured_secs,
            throughput_rps: if r.measured_secs > 0.0 {
                r.measured_requests as f64 / r.measured_secs
            } else {
                0.0
            },
            latency_ms: Latency::from_histogram(&r.histogram),
            landed: None,
            sites: None,
            server: None,
            queue: None,
            clickhouse_cpu_us_per_request: None,
            other_cpu_share: None,
            generator_cpu_us_per_request: None,
            problems,
        }
    }

    pub fn set_landed(&mut self, landed: Landed) {
        if landed.duplicates > 0 {
            self.problems
                .push(format!("{} duplicate event rows", landed.duplicates));
        }
        if landed.landed < landed.accepted {
            self.problems
                .push(format!("{} accepted events never landed", landed.missing));
        }
        if landed.landed > landed.accepted + landed.unknown {
            self.problems.push(format!(
                "{} more events landed than were sent",
                landed.landed - landed.accepted - landed.unknown
            ));
        }
        self.landed = Some(landed);
    }

    pub fn set_sites(&mut self, checks: Vec<SiteCheck>, exact: bool) {
        let bad: Vec<&str> = checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.site.as_str())
            .collect();
        if !bad.is_empty() {
            let msg =
                format!("ClickHouse figures differ from the generator's books for sites {bad:?}");
            if exact {
                self.problems.push(msg);
            } else {
                tracing::warn!("{msg} (not an error: some requests have an unknown outcome, or the run crossed midnight UTC)");
            }
        }
        self.sites = Some(checks);
    }

    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn table(&self) -> String {
        let mut t = String::new();
        let pace = match self.pace {
            Pace::Open { rate } => format!("open loop at {rate:.0} req/s"),
            Pace::Closed { concurrency } => format!("closed loop, {concurrency} in flight"),
        };
        let row = |t: &mut String, k: &str, v: String| {
            let _ = writeln!(t, "  {k:<22} {v}");
        };
        let _ = writeln!(
            t,
            "emc-loadtest {} → {} ({:?}, {pace}, {} connections)",
            self.run_id, self.target, self.protocol, self.connections
        );
        let r = &self.requests;
        row(
            &mut t,
            "requests",
            format!(
                "{} sent, {} accepted, {} rejected, {} unknown",
                r.sent,
                r.accepted,
                r.rejected.values().sum::<u64>(),
                r.unknown
            ),
        );
        row(
            &mut t,
            "throughput",
            format!(
                "{:.0} req/s over {:.1} s",
                self.throughput_rps, self.measured_secs
            ),
        );
        let l = &self.latency_ms;
        row(
            &mut t,
            "latency ms",
            format!(
                "p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
                l.p50, l.p90, l.p99, l.p999, l.max
            ),
        );
        if r.late > 0 {
            row(
                &mut t,
                "late sends",
                format!("{} (every connection busy when due)", r.late),
            );
        }
        if let Some(d) = &self.landed {
            row(
                &mut t,
                "landed / accepted",
                format!(
                    "{} / {} ({} missing, {} duplicates, flushed in {} ms)",
                    d.landed, d.accepted, d.missing, d.duplicates, d.flush_wait_ms
                ),
            );
        }
        if let Some(sites) = &self.sites {
            let ok = sites.iter().filter(|s| s.ok).count();
            let (pv, visits, visitors) = sites.iter().fold((0, 0, 0), |a, s| {
                (
                    a.0 + s.expected.pageviews,
                    a.1 + s.expected.visits,
                    a.2 + s.expected.visitors,
                )
            });
            row(
                &mut t,
                "per-site figures",
                format!(
                    "{ok}/{} sites match ({pv} page views, {visits} visits, {visitors} visitors)",
                    sites.len()
                ),
            );
        }
        if let Some(s) = &self.server {
            row(
                &mut t,
                "server cpu",
                format!("{:.1} µs per request", s.cpu_us_per_request),
            );
            row(
                &mut t,
                "server rss",
                format!(
                    "{:.1} → {:.1} MiB",
                    s.before.rss_bytes as f64 / 1048576.0,
                    s.after.rss_bytes as f64 / 1048576.0
                ),
            );
            if let Some(b) = s.bytes_per_open_session {
                row(
                    &mut t,
                    "memory per session",
                    format!(
                        "{b:.0} bytes ({} → {} open)",
                        s.open_sessions_before.unwrap_or(0),
                        s.open_sessions_after.unwrap_or(0)
                    ),
                );
            }
        }
        if let Some(q) = &self.queue {
            row(
                &mut t,
                "collector backlog",
                format!(
                    "max {} groups not yet in ClickHouse, mean {:.0}, {} at the end",
                    q.max, q.mean, q.last
                ),
            );
        }
        if let Some(c) = self.clickhouse_cpu_us_per_request {
            row(&mut t, "clickhouse cpu", format!("{c:.1} µs per request"));
        }
        if let Some(c) = self.generator_cpu_us_per_request {
            row(&mut t, "generator cpu", format!("{c:.1} µs per request"));
        }
        if let Some(o) = self.other_cpu_share.filter(|o| *o > 0.05) {
            row(
                &mut t,
                "other processes",
                format!(
                    "{:.0}% of the machine's CPU during the run: the figures are low",
                    o * 100.0
                ),
            );
        }
        if self.problems.is_empty() {
            row(&mut t, "result", "PASS".into());
        } else {
            for p in &self.problems {
                row(&mut t, "FAIL", p.clone());
            }
        }
        t
    }
}

/// `30s`, `2m`, `500ms`, `1h`, or bare seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (30s, 2m, 500ms)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Writes `value` as pretty JSON, creating the folder.
pub fn write_json(path: &std::path::Path, value: &impl Serialize) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_vec_pretty(value)?)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_parse() {
        for (s, want) in [
            ("30s", 30_000),
            ("2m", 120_000),
            ("500ms", 500),
            ("45", 45_000),
            ("1.5s", 1500),
        ] {
            assert_eq!(
                parse_duration(s).unwrap(),
                Duration::from_millis(want),
                "{s}"
            );
        }
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let mut h = crate::driver::new_histogram();
        for us in 1..=1000u64 {
            h.record(us * 10).unwrap();
        }
        let l = Latency::from_histogram(&h);
        assert_eq!(l.samples, 1000);
        assert!((l.p50 - 5.0).abs() < 0.01, "{l:?}");
        assert!((l.p99 - 9.9).abs() < 0.02, "{l:?}");
        assert!((l.max - 10.0).abs() < 0.01, "{l:?}");
    }
}
