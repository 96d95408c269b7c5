//! The default command: register, probe, drive, wait for the flush, verify, report.
use crate::cli::{DbArgs, RunArgs, TrafficArgs};
use crate::driver::{self, DriveConfig, Pace};
use crate::model::{self, Model, Params, SiteModel};
use crate::report::{Report, RunInfo, ServerUsage};
use crate::verify::{self, Scope, Wait};
use crate::{procstat, sites};
use anyhow::Context;
use emc_sql::{Db, DbTarget, MigrateOptions, Topology};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// A fresh run id: `YYYYMMDDTHHMMSS-xxxx`.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        rand::random::<u16>()
    )
}

pub fn model(traffic: &TrafficArgs, run_id: &str) -> anyhow::Result<(Model, u64)> {
    let seed = traffic.seed.unwrap_or_else(rand::random);
    let params = Params {
        bounce: traffic.bounce_rate,
        engagement: traffic.engagement_rate,
        ..Params::default()
    };
    anyhow::ensure!(
        (0.0..=1.0).contains(&params.bounce) && (0.0..=1.0).contains(&params.engagement),
        "rates are shares between 0 and 1"
    );
    anyhow::ensure!(
        traffic.visitors >= 1 && traffic.visitors <= model::population::Population::MAX,
        "--visitors between 1 and {}",
        model::population::Population::MAX
    );
    let sites = model::site_models(&traffic.site_prefix, traffic.sites);
    Ok((Model::new(sites, params, seed, run_id.to_owned())?, seed))
}

pub async fn open_db(db: &DbArgs) -> anyhow::Result<Db> {
    // A relative data dir is fine: the managed server resolves it (emc_sql::db).
    std::fs::create_dir_all(&db.data_dir)
        .with_context(|| format!("creating {}", db.data_dir.display()))?;
    let target = DbTarget::from_config(db.clickhouse_url.as_deref(), &db.data_dir);
    let opts = MigrateOptions {
        timezone: db.timezone.clone(),
        topology: Topology::Single,
    };
    Db::open(&target, &db.clickhouse_db, &opts)
        .await
        .with_context(|| format!("opening ClickHouse database {}", db.clickhouse_db))
}

/// `http://host:port` → the socket address and the Host header.
pub fn resolve(target: &str) -> anyhow::Result<(SocketAddr, String)> {
    let url =
        url::Url::parse(target).with_context(|| format!("--target {target:?} is not a URL"))?;
    anyhow::ensure!(
        url.scheme() == "http",
        "--target: only http:// (the generator stands where a TLS-terminating proxy would)"
    );
    let host = url.host_str().context("--target has no host")?.to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("{host} does not resolve"))?;
    Ok((addr, format!("{host}:{port}")))
}

/// `GET /healthz` → `open_sessions`, when the server says.
pub async fn open_sessions(base: &str) -> Option<u64> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let v: serde_json::Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    v.get("open_sessions")?.as_u64()
}

/// Everything one `emc-loadtest` run does; the report says whether it passed.
pub async fn execute(args: &RunArgs) -> anyhow::Result<Report> {
    let run_id = new_run_id();
    let (model, seed) = model(&args.traffic, &run_id)?;
    let model = Arc::new(model);
    let (addr, host) = resolve(&args.target)?;
    let base = args.target.trim_end_matches('/').to_owned();
    let db = if args.no_verify && args.no_register {
        None
    } else {
        Some(open_db(&args.db).await?)
    };
    if let (Some(db), false) = (&db, args.no_register) {
        let added = sites::ensure_registered(db, &model.sites).await?;
        if added > 0 {
            tracing::info!(added, "registered sites");
        }
    }
    sites::wait_known(&base, &model.sites, Duration::from_secs(30)).await?;

    let pace = match (args.rate, args.concurrency) {
        (Some(rate), _) => Pace::Open { rate },
        (None, c) => Pace::Closed {
            concurrency: c.unwrap_or(64),
        },
    };
    let connections = args.connections.unwrap_or(match pace {
        Pace::Open { .. } => 256,
        Pace::Closed { concurrency } => concurrency,
    });
    check_connections(connections)?;
    let duration = match (args.duration, args.requests) {
        (None, None) => Some(Duration::from_secs(30)),
        (d, _) => d,
    };
    let cfg = DriveConfig {
        addr,
        host,
        protocol: args.protocol,
        pace,
        connections,
        requests: args.requests,
        duration,
        warmup: args.warmup,
        profile: args.profile,
        visitors: args.traffic.visitors,
        active_per_conn: args.active_visits,
        session_timeout: args.traffic.session_timeout,
        seed,
        progress: !args.quiet,
    };
    let before = Probe::take(args.server_pid, &base).await;
    let my_cpu = procstat::cpu_secs(std::process::id());
    let ch_cpu = args.clickhouse_pid.and_then(procstat::cpu_secs);
    let machine = procstat::machine_busy_secs();
    let wall = std::time::Instant::now();
    let watch = QueueWatch::start(&base);
    let result = driver::drive(cfg, model.clone()).await?;
    let queue = watch.stop().await;
    let mut report = Report::new(
        RunInfo {
            run_id: &run_id,
            target: &base,
            protocol: args.protocol,
            profile: args.profile,
            pace,
            connections,
        },
        &result,
    );
    report.queue = queue;
    if let (Some(a), Some(b)) = (my_cpu, procstat::cpu_secs(std::process::id())) {
        report.generator_cpu_us_per_request = Some((b - a) * 1e6 / result.sent.max(1) as f64);
    }
    if let Some(db) = db.as_ref().filter(|_| !args.no_verify) {
        let scope = Scope {
            run_id: run_id.clone(),
            sites: model.sites.iter().map(|s| s.code.clone()).collect(),
            since: (result.started.timestamp() - 300).max(0) as u32,
            until: None,
            by_marker: args.protocol == crate::wire::Protocol::Json,
            since_ms: result.started.timestamp_millis().max(0) as u64,
        };
        let wait = Wait {
            settle: args.settle,
            timeout: args.flush_timeout,
            drained: Some(format!("{base}/metrics")),
        };
        report.set_landed(
            verify::wait_landed(db, &scope, result.accepted, result.unknown, &wait).await?,
        );
        let codes: Vec<String> = model
            .sites
            .iter()
            .map(|s: &SiteModel| s.code.clone())
            .collect();
        let checks = verify::check_sites(db, &scope, &codes, &result.tallies, false).await?;
        let exact =
            result.unknown == 0 && result.started.date_naive() == result.finished.date_naive();
        report.set_sites(checks, exact);
    }
    if let (Some(a), Some(b)) = (ch_cpu, args.clickhouse_pid.and_then(procstat::cpu_secs)) {
        // Measured after the flush: the inserts of the run are in.
        report.clickhouse_cpu_us_per_request = Some((b - a) * 1e6 / result.sent.max(1) as f64);
    }
    if let Some(before) = before {
        let after = Probe::take(Some(before.pid), &base).await;
        report.server = after.map(|a| before.usage(&a, result.sent));
    }
    // What the rest of the machine did meanwhile: the processes measured here (server,
    // ClickHouse, generator) against all busy CPU time since the load started.
    let wall = wall.elapsed().as_secs_f64();
    let all_measured = report.server.is_some()
        && (args.no_verify || report.clickhouse_cpu_us_per_request.is_some());
    if let (Some(m0), Some(m1), true) = (machine, procstat::machine_busy_secs(), all_measured) {
        let ours = [
            report.server.as_ref().map(|s| s.cpu_us_per_request),
            report.clickhouse_cpu_us_per_request,
            report.generator_cpu_us_per_request,
        ]
        .iter()
        .flatten()
        .sum::<f64>()
            * result.sent as f64
            / 1e6;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        report.other_cpu_share = Some(((m1 - m0 - ours) / (wall * cores)).clamp(0.0, 1.0));
    }
    Ok(report)
}

/// Samples the collector's backlog during the run: request groups accepted and not yet
/// acknowledged by ClickHouse (`emc_spool_pending_groups`, or `emc_queue_depth` for a
/// collector without a spool). A backlog that keeps growing means the intake outruns the
/// inserts: not sustained.
pub struct QueueWatch {
    task: tokio::task::JoinHandle<Option<QueueDepth>>,
    stop: tokio::sync::watch::Sender<bool>,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct QueueDepth {
    pub max: u64,
    pub mean: f64,
    pub last: u64,
}

impl QueueWatch {
    pub fn start(base: &str) -> QueueWatch {
        let url = format!("{base}/metrics");
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()
                .ok()?;
            let mut samples: Vec<u64> = Vec::new();
            loop {
                let text = verify::scrape(&client, &url).await?;
                let depth = verify::gauge(&text, "emc_spool_pending_groups")
                    .or_else(|| verify::gauge(&text, "emc_queue_depth"))?;
                samples.push(depth as u64);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                    _ = stopped.changed() => break,
                }
            }
            let n = samples.len().max(1) as f64;
            Some(QueueDepth {
                max: samples.iter().copied().max()?,
                mean: samples.iter().sum::<u64>() as f64 / n,
                last: *samples.last()?,
            })
        });
        QueueWatch { task, stop }
    }

    pub async fn stop(self) -> Option<QueueDepth> {
        let _ = self.stop.send(true);
        self.task.await.ok().flatten()
    }
}

fn check_connections(n: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=10_000).contains(&n),
        "--connections between 1 and 10000"
    );
    let limit = procstat::raise_nofile_limit();
    anyhow::ensure!(
        limit == 0 || n as u64 + 64 <= limit,
        "{n} connections need more open files than the limit {limit} (ulimit -n)"
    );
    Ok(())
}

/// The server's memory, CPU and open sessions at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    pub pid: u32,
    pub sample: procstat::Sample,
    pub open_sessions: Option<u64>,
}

impl Probe {
    pub async fn take(pid: Option<u32>, base: &str) -> Option<Probe> {
        let pid = pid?;
        let sample = procstat::sample(pid)?;
        Some(Probe {
            pid,
            sample,
            open_sessions: open_sessions(base).await,
        })
    }

    pub fn usage(&self, after: &Probe, requests: u64) -> ServerUsage {
        let growth = after.sample.rss_bytes as i64 - self.sample.rss_bytes as i64;
        let opened = match (self.open_sessions, after.open_sessions) {
            (Some(a), Some(b)) if b > a => Some(b - a),
            _ => None,
        };
        ServerUsage {
            pid: self.pid,
            before: self.sample,
            after: after.sample,
            cpu_us_per_request: (after.sample.cpu_secs - self.sample.cpu_secs) * 1e6
                / requests.max(1) as f64,
            rss_growth_bytes: growth,
            open_sessions_before: self.open_sessions,
            open_sessions_after: after.open_sessions,
            bytes_per_open_session: opened.map(|n| growth as f64 / n as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve() {
        let (addr, host) = resolve("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (addr.to_string(), host.as_str()),
            ("127.0.0.1:8080".into(), "127.0.0.1:8080")
        );
        assert!(resolve("https://x.gov.vn").is_err());
        assert!(resolve("nonsense").is_err());
    }
}
