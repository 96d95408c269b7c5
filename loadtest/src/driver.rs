//! Drives the load: `connections` keep-alive connections, each a task that owns its slice of
//! the visitor population (so a visitor's hits go out in order, one after the other, as a
//! browser's would), paced either
//! - open-loop: request `k` is due at `t0 + k / rate`, whoever is free sends it; when every
//!   connection is busy it goes out late and its latency counts from when it was due (no
//!   coordinated omission), or
//! - closed-loop: `concurrency` requests in flight, each sent as soon as the last returned.
//!
//! Latencies go to HDR histograms (µs), the accepted hits to each task's [`Ledger`].
use crate::client::Conn;
use crate::ledger::{self, Ledger, SiteTally};
use crate::model::{Model, SessionPlan};
use crate::wire::{self, Protocol};
use hdrhistogram::Histogram;
use hyper::header::HeaderValue;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "mode")]
pub enum Pace {
    Open { rate: f64 },
    Closed { concurrency: usize },
}

/// Which visits to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Visits of a returning population: bounces, several pages, engagement, downloads.
    Realistic,
    /// Every request is the single page view of a visitor never seen before: each one opens
    /// a session in the collector (the memory probe).
    NewSessions,
}

#[derive(Debug, Clone)]
pub struct DriveConfig {
    pub addr: SocketAddr,
    pub host: String,
    pub protocol: Protocol,
    pub pace: Pace,
    pub connections: usize,
    pub requests: Option<u64>,
    pub duration: Option<Duration>,
    /// Sent but not measured (latency, throughput); still accepted and counted.
    pub warmup: Duration,
    pub profile: Profile,
    pub visitors: u64,
    /// Visits each connection interleaves.
    pub active_per_conn: usize,
    pub session_timeout: u32,
    pub seed: u64,
    pub progress: bool,
}

/// What the run did, as the generator saw it.
#[derive(Debug)]
pub struct DriveResult {
    pub sent: u64,
    pub accepted: u64,
    /// Non-accepted answers by status.
    pub rejected: BTreeMap<u16, u64>,
    /// Requests whose connection failed: the server may or may not have taken them.
    pub unknown: u64,
    pub first_error: Option<String>,
    /// Open-loop requests that went out more than 1 ms after they were due.
    pub late: u64,
    pub measured_requests: u64,
    pub measured_secs: f64,
    pub histogram: Histogram<u64>,
    pub tallies: Vec<SiteTally>,
    pub started: chrono::DateTime<chrono::Utc>,
    pub finished: chrono::DateTime<chrono::Utc>,
}

struct Shared {
    cfg: DriveConfig,
    model: Arc<Model>,
    host: HeaderValue,
    next: AtomicU64,
    sent: AtomicU64,
    done: AtomicU64,
    accepted: AtomicU64,
    failed: AtomicU64,
    start: watch::Receiver<Option<Instant>>,
    permits: Option<Semaphore>,
    histograms: Vec<Mutex<Histogram<u64>>>,
    connected: AtomicU64,
}

struct WorkerOut {
    tallies: Vec<SiteTally>,
    rejected: BTreeMap<u16, u64>,
    unknown: u64,
    first_error: Option<String>,
    late: u64,
    measured: u64,
    last_done: Option<Instant>,
}

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// Runs the load and returns what happened. Fails only when no connection can be opened.
pub async fn drive(cfg: DriveConfig, model: Arc<Model>) -> anyhow::Result<DriveResult> {
    anyhow::ensure!(cfg.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(
        cfg.requests.is_some() || cfg.duration.is_some(),
        "give --requests or --duration"
    );
    let permits = match cfg.pace {
        Pace::Closed { concurrency } if concurrency < cfg.connections => {
            Some(Semaphore::new(concurrency.max(1)))
        }
        _ => None,
    };
    let (start_tx, start_rx) = watch::channel(None);
    let shards = 32.min(cfg.connections);
    let shared = Arc::new(Shared {
        host: HeaderValue::from_str(&cfg.host)?,
        next: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        done: AtomicU64::new(0),
        accepted: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        start: start_rx,
        permits,
        histograms: (0..shards).map(|_| Mutex::new(new_histogram())).collect(),
        connected: AtomicU64::new(0),
        cfg,
        model,
    });
    let n = shared.cfg.connections;
    let mut tasks = Vec::with_capacity(n);
    for id in 0..n {
        let conn = open_with_retry(shared.cfg.addr).await?;
        shared.connected.fetch_add(1, Relaxed);
        tasks.push(tokio::spawn(worker(id, conn, shared.clone())));
    }
    let t0 = Instant::now();
    let started = chrono::Utc::now();
    let _ = start_tx.send(Some(t0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let ticker = tokio::spawn(progress(shared.clone(), t0, stop_rx));
    let mut outs = Vec::with_capacity(n);
    for t in tasks {
        outs.push(t.await?);
    }
    let _ = stop_tx.send(true);
    let _ = ticker.await;
    let finished = chrono::Utc::now();
    let measure_from = t0 + shared.cfg.warmup;
    let last_done = outs
        .iter()
        .filter_map(|o| o.last_done)
        .max()
        .unwrap_or(measure_from);
    let mut histogram = new_histogram();
    for h in &shared.histograms {
        histogram.add(&*h.lock().unwrap_or_else(|p| p.into_inner()))?;
    }
    let mut rejected = BTreeMap::new();
    for o in &outs {
        for (s, c) in &o.rejected {
            *rejected.entry(*s).or_insert(0) += c;
        }
    }
    let sites = shared.model.sites.len();
    Ok(DriveResult {
        sent: shared.sent.load(Relaxed),
        accepted: shared.accepted.load(Relaxed),
        rejected,
        unknown: outs.iter().map(|o| o.unknown).sum(),
        first_error: outs.iter().find_map(|o| o.first_error.clone()),
        late: outs.iter().map(|o| o.late).sum(),
        measured_requests: outs.iter().map(|o| o.measured).sum(),
        measured_secs: last_done
            .saturating_duration_since(measure_from)
            .as_secs_f64(),
        histogram,
        tallies: ledger::merge(outs.into_iter().map(|o| o.tallies), sites),
        started,
        finished,
    })
}

async fn open_with_retry(addr: SocketAddr) -> anyhow::Result<Conn> {
    let mut last = None;
    for attempt in 0..5u64 {
        match Conn::open(addr).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    Err(anyhow::anyhow!(
        "{}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// The visits one connection interleaves, and the visitors it owns.
struct Planner {
    rng: SmallRng,
    active: Vec<Option<(SessionPlan, usize)>>,
    cursor: usize,
    /// Realistic: visitors `[first, first + count)`. New sessions: `first + k·stride`.
    first: u64,
    count: u64,
    stride: u64,
    fresh: u64,
}

impl Planner {
    fn new(id: usize, cfg: &DriveConfig) -> Planner {
        let n = cfg.connections as u64;
        let per = (cfg.visitors / n).max(1);
        let (first, count, stride) = match cfg.profile {
            Profile::Realistic => (id as u64 * per, per, 0),
            Profile::NewSessions => (id as u64, 0, n),
        };
        let slots = if cfg.profile == Profile::NewSessions {
            1
        } else {
            cfg.active_per_conn.max(1)
        };
        Planner {
            rng: SmallRng::seed_from_u64(crate::model::population::mix(cfg.seed ^ id as u64)),
            active: vec![None; slots],
            cursor: 0,
            first,
            count,
            stride,
            fresh: 0,
        }
    }

    /// The slot whose visit sends next, starting a visit there if it is empty.
    fn next_slot(&mut self, model: &Model, ledger: &Ledger, profile: Profile, now: u32) -> usize {
        self.cursor = (self.cursor + 1) % self.active.len();
        if self.active[self.cursor].is_none() {
            let plan = match profile {
                Profile::NewSessions => {
                    let visitor = self.first + self.fresh * self.stride;
                    self.fresh += 1;
                    let site = model.pick_site(&mut self.rng);
                    let mut plan = model.plan(&mut self.rng, site, visitor);
                    plan.steps.truncate(1);
                    plan
                }
                Profile::Realistic => {
                    let site = model.pick_site(&mut self.rng);
                    let mut visitor = self.first + self.rng.random_range(0..self.count);
                    // A visit starting within seconds of the timeout after the visitor's last
                    // hit could be cut either way by the collector's clock: pick someone else.
                    for _ in 0..8 {
                        if !ledger.near_timeout(site, visitor, now) {
                            break;
                        }
                        visitor = self.first + self.rng.random_range(0..self.count);
                    }
                    model.plan(&mut self.rng, site, visitor)
                }
            };
            self.active[self.cursor] = Some((plan, 0));
        }
        self.cursor
    }

    fn advance(&mut self, slot: usize) {
        if let Some((plan, next)) = &mut self.active[slot] {
            *next += 1;
            if *next >= plan.steps.len() {
                self.active[slot] = None;
            }
        }
    }
}

async fn worker(id: usize, mut conn: Conn, shared: Arc<Shared>) -> WorkerOut {
    let cfg = &shared.cfg;
    let model = &shared.model;
    let mut start_rx = shared.start.clone();
    let t0 = match start_rx.wait_for(Option::is_some).await {
        Ok(t) => t.unwrap_or_else(Instant::now),
        Err(_) => Instant::now(),
    };
    let measure_from = t0 + cfg.warmup;
    let deadline = cfg.duration.map(|d| measure_from + d);
    let mut ledger = Ledger::new(model.sites.len(), cfg.session_timeout);
    let mut planner = Planner::new(id, cfg);
    let mut out = WorkerOut {
        tallies: Vec::new(),
        rejected: BTreeMap::new(),
        unknown: 0,
        first_error: None,
        late: 0,
        measured: 0,
        last_done: None,
    };
    let histogram = &shared.histograms[id % shared.histograms.len()];
    let mut nonce: u32 = id as u32;
    loop {
        let ticket = shared.next.fetch_add(1, Relaxed);
        if cfg.requests.is_some_and(|max| ticket >= max) {
            break;
        }
        let (start, _permit) = match cfg.pace {
            Pace::Open { rate } => {
                let due = t0 + Duration::from_secs_f64(ticket as f64 / rate);
                if deadline.is_some_and(|d| due >= d) {
                    break;
                }
                let now = Instant::now();
                if now < due {
                    tokio::time::sleep_until(due.into()).await;
                    (Instant::now(), None)
                } else {
                    // Every connection was busy when it fell due: the wait is the server's.
                    out.late += u64::from(now - due > Duration::from_millis(1));
                    (due, None)
                }
            }
            Pace::Closed { .. } => {
                let permit = match &shared.permits {
                    Some(s) => s.acquire().await.ok(),
                    None => None,
                };
                let now = Instant::now();
                if deadline.is_some_and(|d| now >= d) {
                    break;
                }
                (now, permit)
            }
        };
        let unix_now = chrono::Utc::now().timestamp() as u32;
        let slot = planner.next_slot(model, &ledger, cfg.profile, unix_now);
        let Some((plan, step)) = &planner.active[slot] else {
            continue;
        };
        let hit = model.hit(plan, *step);
        nonce = nonce.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let req = match cfg.protocol {
            Protocol::Json => wire::json(&hit),
            Protocol::Matomo => wire::matomo(&hit, nonce),
        };
        shared.sent.fetch_add(1, Relaxed);
        let result = conn
            .send(&shared.host, &req, hit.visitor.ip, hit.visitor.ua.ua)
            .await;
        let done = Instant::now();
        shared.done.fetch_add(1, Relaxed);
        match result {
            Ok(status) if cfg.protocol.accepted(status) => {
                shared.accepted.fetch_add(1, Relaxed);
                ledger.record(hit.site_idx, hit.visitor_idx, hit.kind, hit.class, unix_now);
            }
            Ok(status) => {
                shared.failed.fetch_add(1, Relaxed);
                *out.rejected.entry(status).or_insert(0) += 1;
            }
            Err(e) => {
                shared.failed.fetch_add(1, Relaxed);
                out.unknown += 1;
                out.first_error.get_or_insert_with(|| e.to_string());
                match open_with_retry(cfg.addr).await {
                    Ok(c) => conn = c,
                    Err(_) => break,
                }
            }
        }
        planner.advance(slot);
        if start >= measure_from {
            out.measured += 1;
            out.last_done = Some(done);
            let us = done
                .saturating_duration_since(start)
                .as_micros()
                .clamp(1, 120_000_000) as u64;
            if let Ok(mut h) = histogram.lock() {
                let _ = h.record(us);
            }
        }
    }
    out.tallies = ledger.finish();
    out
}

/// The progress bar: requests per second over the last tick, accepted, failed.
async fn progress(shared: Arc<Shared>, t0: Instant, mut stop: watch::Receiver<bool>) {
    let cfg = &shared.cfg;
    if !cfg.progress || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return;
    }
    let total_secs = cfg.warmup + cfg.duration.unwrap_or_default();
    let bar = match cfg.requests {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new(total_secs.as_secs().max(1)),
    };
    let unit = if cfg.requests.is_some() {
        "{pos}/{len} req"
    } else {
        "{pos}/{len} s"
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{elapsed_precise}} [{{bar:30}}] {unit} {{msg}}"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last = (Instant::now(), 0u64);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {
                bar.finish_and_clear();
                return;
            }
        }
        let done = shared.done.load(Relaxed);
        let now = Instant::now();
        let rps = (done - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-3);
        last = (now, done);
        bar.set_position(if cfg.requests.is_some() {
            done
        } else {
            now.duration_since(t0).as_secs()
        });
        bar.set_message(format!(
            "{rps:>8.0} req/s  accepted {}  failed {}",
            shared.accepted.load(Relaxed),
            shared.failed.load(Relaxed)
        ));
    }
}
