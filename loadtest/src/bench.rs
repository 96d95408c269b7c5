//! `emc-loadtest bench` (what `make bench` runs), in one run on this machine:
//! 1. the baseline server's maximum throughput (closed loop);
//! 2. the collector's maximum sustained throughput, ClickHouse on the same machine, every
//!    accepted event checked in ClickHouse;
//! 3. the collector's latency in open loop at half that maximum;
//! 4. its memory per open session: RSS growth while `--sessions` new visitors each open one;
//!
//! then a table and `target/bench/*.json`. ClickHouse is the one at EMC_CLICKHOUSE_URL, else
//! one started under `--data-dir` on free ports and stopped at the end.
//! The collector and the baseline are started here, so their pids are known and the
//! collector trusts the generator's X-Forwarded-For.
use crate::cli::{BenchArgs, DbArgs, RunArgs, TrafficArgs};
use crate::driver::Profile;
use crate::report::{write_json, Report};
use crate::wire::Protocol;
use crate::{procstat, run};
use anyhow::Context;
use emc_sql::server::{LocalServer, Ports, ServerSpec};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The figures `make bench` is about.
#[derive(Debug, Serialize)]
pub struct BenchSummary {
    pub machine: Machine,
    pub collector_env: Vec<String>,
    pub baseline_rps: f64,
    pub collector_max_rps: f64,
    pub ratio: f64,
    pub half_rate_rps: f64,
    pub latency_at_half_ms: crate::report::Latency,
    /// The spool's group commits (write + fdatasync) during the half-rate run: each 202 waits for one.
    pub spool_commits_at_half: Option<crate::commits::CommitLatency>,
    pub landed: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub sessions_opened: Option<u64>,
    pub bytes_per_open_session: Option<f64>,
    pub baseline_cpu_us_per_request: Option<f64>,
    pub collector_cpu_us_per_request: Option<f64>,
    pub clickhouse_cpu_us_per_request: Option<f64>,
    pub targets: Targets,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub clickhouse: String,
}

#[derive(Debug, Serialize)]
pub struct Targets {
    pub ratio_at_least_half: bool,
    pub p99_under_5ms_at_half: bool,
    pub at_most_200_bytes_per_session: Option<bool>,
    pub every_accepted_event_landed: bool,
}

struct Stack {
    db_args: DbArgs,
    clickhouse_pid: Option<u32>,
    out: PathBuf,
    threads: Option<usize>,
    sites: usize,
}

impl Stack {
    fn run_args(&self, name: &str, target: &str) -> RunArgs {
        RunArgs {
            target: target.to_owned(),
            protocol: Protocol::Json,
            rate: None,
            concurrency: None,
            connections: None,
            duration: None,
            requests: None,
            warmup: Duration::ZERO,
            profile: Profile::Realistic,
            active_visits: 4,
            traffic: TrafficArgs {
                sites: self.sites,
                site_prefix: "bench".into(),
                visitors: 200_000,
                bounce_rate: 0.55,
                engagement_rate: 0.6,
                seed: None,
                session_timeout: 1800,
            },
            db: self.db_args.clone(),
            no_verify: false,
            no_register: false,
            settle: Duration::from_millis(2500),
            flush_timeout: Duration::from_secs(180),
            server_pid: None,
            clickhouse_pid: self.clickhouse_pid,
            json_out: self.out.join(format!("{name}.json")),
            quiet: false,
            threads: self.threads,
        }
    }

    async fn phase(&self, name: &str, args: RunArgs) -> anyhow::Result<Report> {
        eprintln!("== {name}");
        quiesce(&self.db_args).await;
        let report = run::execute(&args)
            .await
            .with_context(|| format!("bench phase {name}"))?;
        eprint!("{}", report.table());
        write_json(&args.json_out, &report)?;
        Ok(report)
    }
}

/// Waits (30 s at most) until ClickHouse runs no merge, so each phase starts from the same state.
async fn quiesce(db: &DbArgs) {
    let Some(url) = db.clickhouse_url.as_deref() else {
        return;
    };
    let client = emc_sql::db::client(url);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match client
            .query("SELECT count() FROM system.merges")
            .fetch_one::<u64>()
            .await
        {
            Ok(0) | Err(_) => return,
            Ok(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

pub(crate) fn free_addr() -> anyhow::Result<String> {
    Ok(format!("127.0.0.1:{}", emc_sql::server::free_port()?))
}

pub(crate) async fn wait_healthy(
    base: &str,
    child: &mut Child,
    what: &str,
    log: &Path,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{what} exited with {status}; see {}", log.display());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{what} is not healthy after 60 s; see {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn spawn(
    bin: &Path,
    args: &[&str],
    env: &[(&str, String)],
    log: &Path,
) -> anyhow::Result<Child> {
    let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// SIGTERM, then waits for the exit (the collector flushes what it accepted first).
pub(crate) async fn stop(child: &mut Child) {
    if let Some(pid) = child.id() {
        procstat::terminate(pid);
        if tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}

pub async fn main(a: &BenchArgs) -> anyhow::Result<bool> {
    let started = Instant::now();
    std::fs::create_dir_all(&a.out)?;
    procstat::raise_nofile_limit();
    anyhow::ensure!(
        a.clickhouse_db != "emc",
        "the bench writes synthetic traffic: give it its own database, not `emc`"
    );
    // A running ClickHouse (EMC_CLICKHOUSE_URL), or one of the bench's own on free ports (the
    // managed server's usual ports may belong to another stack on this machine), stopped at
    // the end.
    let (ch_url, server) = match a
        .clickhouse_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let spec = ServerSpec {
                dir: std::path::absolute(a.data_dir.join("clickhouse"))?,
                ports: Ports::free()?,
                binary: PathBuf::from(emc_sql::server::DEFAULT_BINARY),
                die_with_parent: true,
            };
            let server = LocalServer::start(spec)
                .await
                .context("starting ClickHouse for the bench")?;
            (server.url(), Some(server))
        }
    };
    let db_args = DbArgs {
        clickhouse_url: Some(ch_url.clone()),
        clickhouse_db: a.clickhouse_db.clone(),
        data_dir: a.data_dir.clone(),
        timezone: "Asia/Ho_Chi_Minh".into(),
    };
    if !a.keep_db {
        let name = emc_sql::db::quote_ident(&a.clickhouse_db)?;
        emc_sql::db::client(&ch_url)
            .query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute()
            .await?;
    }
    run::open_db(&db_args).await?;
    let clickhouse_pid = server.as_ref().and_then(LocalServer::pid);
    eprintln!(
        "ClickHouse {ch_url} (database {}){}",
        a.clickhouse_db,
        if server.is_some() {
            ", started for the bench"
        } else {
            ""
        }
    );
    let stack = Stack {
        db_args,
        clickhouse_pid,
        out: a.out.clone(),
        threads: a.threads,
        sites: a.sites,
    };

    // 1. The baseline's maximum.
    let me = std::env::current_exe()?;
    let addr = free_addr()?;
    let log = a.out.join("baseline.log");
    let mut baseline = spawn(&me, &["baseline-server", "--addr", &addr], &[], &log)?;
    let base = format!("http://{addr}");
    wait_healthy(&base, &mut baseline, "the baseline server", &log).await?;
    let mut args = stack.run_args("baseline", &base);
    (args.concurrency, args.warmup, args.duration) =
        (Some(a.concurrency), a.warmup, Some(a.max_duration));
    (args.no_verify, args.no_register, args.server_pid) = (true, true, baseline.id());
    let baseline_report = stack.phase("baseline", args).await?;
    stop(&mut baseline).await;

    // 2. The collector's maximum.
    let collector_bin = a
        .collector_bin
        .clone()
        .unwrap_or_else(|| me.with_file_name("emc-collector"));
    let addr = free_addr()?;
    let log = a.out.join("collector.log");
    let data_dir = std::path::absolute(a.data_dir.join("collector"))?;
    if !a.keep_db {
        // A spool left by an earlier run would replay its rows into the fresh database.
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    std::fs::create_dir_all(&data_dir)?;
    let env = [
        ("EMC_CLICKHOUSE_URL", ch_url.clone()),
        ("EMC_CLICKHOUSE_DB", a.clickhouse_db.clone()),
        ("EMC_DATA_DIR", data_dir.display().to_string()),
        ("EMC_COLLECTOR_ADDR", addr.clone()),
        ("EMC_TRUSTED_PROXIES", "127.0.0.1".into()),
        (
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ];
    let mut env: Vec<(&str, String)> = env.to_vec();
    for kv in &a.collector_env {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--collector-env {kv:?}: write KEY=VALUE"))?;
        env.push((k, v.to_owned()));
    }
    let mut collector = spawn(&collector_bin, &["serve"], &env, &log)?;
    let base = format!("http://{addr}");
    wait_healthy(&base, &mut collector, "the collector", &log).await?;
    let pid = collector.id();
    let mut args = stack.run_args("collector-max", &base);
    (
        args.concurrency,
        args.warmup,
        args.duration,
        args.server_pid,
    ) = (Some(a.concurrency), a.warmup, Some(a.max_duration), pid);
    let max = stack.phase("collector-max", args).await?;

    // 3. Latency at half the maximum, open loop.
    let half_rate = (max.throughput_rps / 2.0).max(1.0);
    let mut args = stack.run_args("collector-half", &base);
    (
        args.rate,
        args.connections,
        args.warmup,
        args.duration,
        args.server_pid,
    ) = (
        Some(half_rate),
        Some(a.half_connections),
        Duration::from_secs(2),
        Some(a.half_duration),
        pid,
    );
    let commits_before = crate::commits::scrape(&base).await;
    let half = stack.phase("collector-half", args).await?;
    let commits = match (commits_before, crate::commits::scrape(&base).await) {
        (Some(b), Some(a)) => crate::commits::between(&b, &a),
        _ => None,
    };

    // 4. Memory per open session: a first tenth of the sessions brings the allocator to its
    //    steady state (queue, batches); the growth over the next `--sessions` is the sessions'.
    let mut args = stack.run_args("collector-sessions-prime", &base);
    (args.profile, args.concurrency, args.requests) = (
        Profile::NewSessions,
        Some(a.concurrency),
        Some((a.sessions / 10).max(1)),
    );
    stack.phase("collector-sessions-prime", args).await?;
    let mut args = stack.run_args("collector-sessions", &base);
    (
        args.profile,
        args.concurrency,
        args.requests,
        args.server_pid,
    ) = (
        Profile::NewSessions,
        Some(a.concurrency),
        Some(a.sessions),
        pid,
    );
    let sessions = stack.phase("collector-sessions", args).await?;
    stop(&mut collector).await;
    drop(server);

    let mut summary = summarize(&baseline_report, &max, &half, &sessions, &ch_url);
    summary.collector_env = a.collector_env.clone();
    summary.spool_commits_at_half = commits;
    write_json(&a.out.join("summary.json"), &summary)?;
    print!(
        "{}",
        table(&summary, &[&baseline_report, &max, &half, &sessions])
    );
    println!(
        "  (bench took {:.0} s; JSON in {})",
        started.elapsed().as_secs_f64(),
        a.out.display()
    );
    Ok(summary.problems.is_empty())
}

fn summarize(
    baseline: &Report,
    max: &Report,
    half: &Report,
    sessions: &Report,
    ch_url: &str,
) -> BenchSummary {
    let checked = [max, half, sessions];
    let landed: u64 = checked
        .iter()
        .filter_map(|r| r.landed.as_ref())
        .map(|l| l.landed)
        .sum();
    let accepted: u64 = checked
        .iter()
        .filter_map(|r| r.landed.as_ref())
        .map(|l| l.accepted)
        .sum();
    let duplicates: u64 = checked
        .iter()
        .filter_map(|r| r.landed.as_ref())
        .map(|l| l.duplicates)
        .sum();
    let mem = sessions.server.as_ref();
    let opened = mem.and_then(|s| {
        Some(
            s.open_sessions_after?
                .saturating_sub(s.open_sessions_before?),
        )
    });
    let per_session = mem.and_then(|s| s.bytes_per_open_session);
    let ratio = if baseline.throughput_rps > 0.0 {
        max.throughput_rps / baseline.throughput_rps
    } else {
        0.0
    };
    let mut problems: Vec<String> = [baseline, max, half, sessions]
        .iter()
        .flat_map(|r| r.problems.iter().map(|p| format!("{}: {p}", r.run_id)))
        .collect();
    if landed != accepted || duplicates != 0 {
        problems.push(format!(
            "landed {landed} of {accepted} accepted, {duplicates} duplicates"
        ));
    }
    BenchSummary {
        collector_env: Vec::new(),
        machine: Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            clickhouse: ch_url.to_owned(),
        },
        baseline_rps: baseline.throughput_rps,
        collector_max_rps: max.throughput_rps,
        ratio,
        half_rate_rps: half.throughput_rps,
        latency_at_half_ms: half.latency_ms,
        spool_commits_at_half: None,
        landed,
        accepted,
        duplicates,
        sessions_opened: opened,
        bytes_per_open_session: per_session,
        baseline_cpu_us_per_request: baseline.server.as_ref().map(|s| s.cpu_us_per_request),
        collector_cpu_us_per_request: max.server.as_ref().map(|s| s.cpu_us_per_request),
        clickhouse_cpu_us_per_request: max.clickhouse_cpu_us_per_request,
        targets: Targets {
            ratio_at_least_half: ratio >= 0.5,
            p99_under_5ms_at_half: half.latency_ms.p99 < 5.0,
            at_most_200_bytes_per_session: per_session.map(|b| b <= 200.0),
            every_accepted_event_landed: landed == accepted && duplicates == 0,
        },
        problems,
    }
}

fn table(s: &BenchSummary, phases: &[&Report]) -> String {
    let mut t = String::from("\nmake bench — one run on this machine\n");
    t += &format!(
        "  {:<20} {:>8} {:>7} {:>7} {:>7} {:>8} {:>16} {:>7} {:>7} {:>7} {:>7} {:>6}\n",
        "phase",
        "req/s",
        "p50",
        "p90",
        "p99",
        "p99.9",
        "landed/accepted",
        "server",
        "CH",
        "gen",
        "backlog",
        "other"
    );
    t += &format!(
        "  {:<20} {:>8} {:>7} {:>7} {:>7} {:>8} {:>16} {:>23} {:>7} {:>6}\n",
        "", "", "ms", "ms", "ms", "ms", "", "CPU µs per request", "max", "CPU"
    );
    let us = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.0}"));
    for r in phases {
        let landed = r
            .landed
            .as_ref()
            .map_or("-".to_owned(), |l| format!("{}/{}", l.landed, l.accepted));
        let fail = r.problems.first().map_or("", |_| " (FAIL)");
        let l = &r.latency_ms;
        t += &format!(
            "  {:<20} {:>8.0} {:>7.2} {:>7.2} {:>7.2} {:>8.2} {:>16} {:>7} {:>7} {:>7} {:>7} {:>6}{fail}\n",
            phase_name(r),
            r.throughput_rps,
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            landed,
            us(r.server.as_ref().map(|s| s.cpu_us_per_request)),
            us(r.clickhouse_cpu_us_per_request),
            us(r.generator_cpu_us_per_request),
            r.queue.map_or("-".to_owned(), |q| q.max.to_string()),
            r.other_cpu_share.map_or("-".to_owned(), |o| format!("{:.0}%", o * 100.0)),
        );
    }
    if phases
        .iter()
        .any(|r| r.other_cpu_share.is_some_and(|o| o > 0.05))
    {
        t += "  (other: CPU share of processes outside the bench; above a few % the figures are low)\n";
    }
    let yes = |b: bool| if b { "yes" } else { "NO" };
    t += &format!(
        "\n  {:<44} {:.0} req/s\n",
        "baseline maximum", s.baseline_rps
    );
    t += &format!(
        "  {:<44} {:.0} req/s\n",
        "collector maximum (ClickHouse on this machine)", s.collector_max_rps
    );
    t += &format!(
        "  {:<44} {:.2}  (target ≥ 0.5: {})\n",
        "ratio collector / baseline",
        s.ratio,
        yes(s.targets.ratio_at_least_half)
    );
    t += &format!(
        "  {:<44} {:.2} ms at {:.0} req/s  (target < 5 ms: {})\n",
        "collector p99 at half its maximum",
        s.latency_at_half_ms.p99,
        s.half_rate_rps,
        yes(s.targets.p99_under_5ms_at_half)
    );
    if let Some(c) = s.spool_commits_at_half {
        t += &format!(
            "  {:<44} p50 ≤ {} ms, p99 ≤ {} ms over {} commits\n",
            "spool commit (write + fdatasync) at half",
            c.p50_ms_at_most,
            c.p99_ms_at_most,
            c.commits
        );
    }
    t += &format!(
        "  {:<44} {} / {}, {} duplicates  ({})\n",
        "landed / accepted",
        s.landed,
        s.accepted,
        s.duplicates,
        yes(s.targets.every_accepted_event_landed)
    );
    if let Some(b) = s.bytes_per_open_session {
        t += &format!(
            "  {:<44} {b:.0} bytes over {} sessions  (target ≤ 200: {})\n",
            "collector memory per open session",
            s.sessions_opened.unwrap_or(0),
            yes(b <= 200.0)
        );
    }
    for p in &s.problems {
        t += &format!("  FAIL {p}\n");
    }
    t
}

fn phase_name(r: &Report) -> String {
    match (r.profile, r.pace) {
        (Profile::NewSessions, _) => "collector sessions".into(),
        (_, crate::driver::Pace::Open { .. }) => "collector at half".into(),
        _ if r.landed.is_none() => "baseline max".into(),
        _ => "collector max".into(),
    }
}
