//! `emc-loadtest seed --events N --days D`: historical traffic in event time, through the
//! collector's own pipeline library (validate, enrich, sessionize, batch insert), so the
//! sessions are computed and the rollups fed exactly as for live beacons. For dashboard
//! benchmarks at 10 M–100 M events.
//!
//! Each worker owns a slice of the visitors and, day by day, plans that day's visits
//! (start times follow the daily curve of Vietnamese traffic), sorts their hits by time and
//! feeds them to the shared pipeline; the workers meet at every hour so idle sessions can be
//! swept without cutting a visit another worker is still on. The generator's books are kept
//! from the same hits in the same order, so the per-site figures are checked exactly,
//! durations included.
use crate::cli::SeedArgs;
use crate::ledger::{self, Ledger, SiteTally};
use crate::model::{HitSpec, Kind, Model, SessionPlan, RUN_PROP};
use crate::report::write_json;
use crate::run::{model, new_run_id, open_db};
use crate::verify::{self, Scope, SiteCheck, Wait};
use crate::{sites, wire};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use emc_collector::beacon::{Meta, Timing};
use emc_collector::ingest::offline::{Offline, OfflineConfig};
use emc_collector::ingest::{Accepted, Ingest};
use emc_collector::pipeline::{Hit, Origin};
use emc_collector::sink::SinkConfig;
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// Share of a UTC day's visits starting in each UTC hour: Vietnamese office hours and
/// evenings (local time is UTC+7), quiet nights.
const UTC_HOUR_WEIGHTS: [u32; 24] = [
    60, 75, 75, 65, 40, 50, 70, 75, 65, 45, 30, 35, 45, 45, 30, 18, 10, 6, 4, 3, 4, 8, 18, 35,
];

#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    pub run_id: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub generated: u64,
    pub accepted: u64,
    pub dropped: BTreeMap<String, u64>,
    pub elapsed_secs: f64,
    pub events_per_sec: f64,
    pub landed: Option<verify::Landed>,
    pub sites: Option<Vec<SiteCheck>>,
    pub problems: Vec<String>,
}

/// One worker's share.
struct Share {
    id: usize,
    workers: usize,
    first_visitor: u64,
    visitors: u64,
    seed: u64,
}

struct Ctx {
    model: Arc<Model>,
    ingest: Ingest,
    barrier: Arc<Barrier>,
    days: Vec<NaiveDate>,
    per_day: Vec<u64>,
    done: Arc<AtomicU64>,
}

struct WorkerOut {
    tallies: Vec<SiteTally>,
    generated: u64,
    accepted: u64,
    dropped: BTreeMap<String, u64>,
}

pub async fn main(a: &SeedArgs) -> anyhow::Result<bool> {
    let report = seed(a).await?;
    print!("{}", table(&report));
    write_json(&a.json_out, &report)?;
    Ok(report.problems.is_empty())
}

pub async fn seed(a: &SeedArgs) -> anyhow::Result<SeedReport> {
    seed_as(a, &sites::LOADTEST).await
}

/// [`seed`] with the sites registered under `owner` (the demo agency, say).
pub async fn seed_as(a: &SeedArgs, owner: &sites::Owner) -> anyhow::Result<SeedReport> {
    anyhow::ensure!(
        a.days >= 1 && a.events >= 1,
        "--events and --days must be positive"
    );
    let run_id = new_run_id();
    let (model, seed) = model(&a.traffic, &run_id)?;
    let model = Arc::new(model);
    let db = open_db(&a.db).await?;
    sites::ensure_registered_as(&db, &model.sites, owner).await?;
    let offline = Offline::start(
        &db,
        OfflineConfig {
            geoip_db: a.geoip_db.clone(),
            session_timeout: a.traffic.session_timeout,
            // Seeded traffic sends no public-service (DVC) events; a key that lives this run.
            dvc: emc_collector::dvc::DvcKey::ephemeral(),
            sink: SinkConfig {
                batch_rows: a.batch_rows.max(1),
                flush_ms: 2000,
                dead_letter_dir: a.db.data_dir.join("dead-letter"),
                refusals: None,
            },
            queue_groups: 4096,
        },
    )
    .await?;

    let last = a
        .end
        .unwrap_or_else(|| Utc::now().date_naive().pred_opt().unwrap_or_default());
    let first = last - chrono::Duration::days(i64::from(a.days) - 1);
    let days: Vec<NaiveDate> = first.iter_days().take(a.days as usize).collect();
    let per_day: Vec<u64> = (0..u64::from(a.days))
        .map(|d| a.events / u64::from(a.days) + u64::from(d < a.events % u64::from(a.days)))
        .collect();
    let workers = a
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let done = Arc::new(AtomicU64::new(0));
    let ctx = Arc::new(Ctx {
        model: model.clone(),
        ingest: offline.ingest.clone(),
        barrier: Arc::new(Barrier::new(workers)),
        days,
        per_day,
        done: done.clone(),
    });
    let bar = progress(a.events, a.quiet, done.clone());
    let started = Instant::now();
    let per = (a.traffic.visitors / workers as u64).max(1);
    let tasks: Vec<_> = (0..workers)
        .map(|id| {
            let share = Share {
                id,
                workers,
                first_visitor: id as u64 * per,
                visitors: per,
                seed: crate::model::population::mix(seed ^ (id as u64 + 1)),
            };
            tokio::spawn(worker(ctx.clone(), share))
        })
        .collect();
    drop(ctx);
    let mut outs = Vec::new();
    for t in tasks {
        outs.push(t.await?);
    }
    offline.finish().await?;
    bar.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let mut report = SeedReport {
        run_id: run_id.clone(),
        first_day: first,
        last_day: last,
        generated: outs.iter().map(|o| o.generated).sum(),
        accepted: outs.iter().map(|o| o.accepted).sum(),
        dropped: BTreeMap::new(),
        elapsed_secs: elapsed,
        events_per_sec: 0.0,
        landed: None,
        sites: None,
        problems: Vec::new(),
    };
    report.events_per_sec = report.accepted as f64 / elapsed.max(1e-9);
    for o in &outs {
        for (k, v) in &o.dropped {
            *report.dropped.entry(k.clone()).or_insert(0) += v;
        }
    }
    if !report.dropped.is_empty() {
        report
            .problems
            .push(format!("the pipeline dropped hits: {:?}", report.dropped));
    }
    let tallies = ledger::merge(outs.into_iter().map(|o| o.tallies), model.sites.len());
    if !a.no_verify {
        check(&db, &model, &run_id, first, last, &tallies, &mut report).await?;
    }
    Ok(report)
}

fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
}

/// Landed versus accepted day by day (duplicates by event id need memory per row), then the
/// per-site figures over the whole range, durations included (event times are exact here).
async fn check(
    db: &emc_sql::Db,
    model: &Model,
    run_id: &str,
    first: NaiveDate,
    last: NaiveDate,
    tallies: &[SiteTally],
    report: &mut SeedReport,
) -> anyhow::Result<()> {
    let codes: Vec<String> = model.sites.iter().map(|s| s.code.clone()).collect();
    let whole = Scope {
        run_id: run_id.into(),
        sites: codes.clone(),
        since: day_start(first) as u32,
        until: None,
        by_marker: true,
        since_ms: 0,
    };
    let mut total = verify::Landed {
        accepted: report.accepted,
        landed: 0,
        distinct_event_ids: 0,
        duplicates: 0,
        missing: 0,
        unknown: 0,
        flush_wait_ms: 0,
        settled: true,
    };
    // Visits may run past the last day's midnight: the last slice is open-ended.
    for d in first.iter_days().take_while(|d| *d <= last) {
        let until = if d == last {
            None
        } else {
            Some(day_start(d) as u32 + 86_400)
        };
        let slice = Scope {
            since: day_start(d) as u32,
            until,
            ..whole.clone()
        };
        let l = verify::wait_landed(
            db,
            &slice,
            0,
            0,
            &Wait {
                settle: Duration::ZERO,
                timeout: Duration::from_secs(60),
                drained: None,
            },
        )
        .await?;
        total.landed += l.landed;
        total.distinct_event_ids += l.distinct_event_ids;
    }
    total.duplicates = total.landed - total.distinct_event_ids.min(total.landed);
    total.missing = total.accepted.saturating_sub(total.landed);
    if !total.ok() {
        report.problems.push(format!(
            "landed {} of {} accepted, {} duplicates",
            total.landed, total.accepted, total.duplicates
        ));
    }
    report.landed = Some(total);
    let checks = verify::check_sites(db, &whole, &codes, tallies, true).await?;
    let bad: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.site.as_str())
        .collect();
    if !bad.is_empty() {
        report.problems.push(format!(
            "ClickHouse figures differ from the generator's books for sites {bad:?}"
        ));
    }
    report.sites = Some(checks);
    Ok(())
}

async fn worker(ctx: Arc<Ctx>, share: Share) -> WorkerOut {
    let model = &ctx.model;
    let mut rng = SmallRng::seed_from_u64(share.seed);
    let hours = WeightedIndex::new(UTC_HOUR_WEIGHTS).expect("positive weights");
    let mut ledger = Ledger::new(
        model.sites.len(),
        ctx.ingest.pipeline().sessions().timeout_secs(),
    );
    let mut out = WorkerOut {
        tallies: Vec::new(),
        generated: 0,
        accepted: 0,
        dropped: BTreeMap::new(),
    };
    for (day, &target) in ctx.days.iter().zip(&ctx.per_day) {
        let mine = target / share.workers as u64
            + u64::from((share.id as u64) < target % share.workers as u64);
        let start = day_start(*day) * 1000;
        let (plans, mut hits) = plan_day(model, &mut rng, &hours, &share, start, mine);
        hits.sort_unstable();
        let mut next = 0;
        for hour in 1..=24i64 {
            let hour_end = start + hour * 3_600_000;
            while next < hits.len() && (hits[next].0 < hour_end || hour == 24) {
                let (t_ms, plan, step) = hits[next];
                next += 1;
                let plan = &plans[plan as usize];
                let spec = model.hit(plan, usize::from(step));
                out.generated += 1;
                match ctx.ingest.offline(to_hit(&spec, t_ms)).await {
                    Ok(Accepted::Stored { .. }) => {
                        out.accepted += 1;
                        ledger.record(
                            spec.site_idx,
                            spec.visitor_idx,
                            spec.kind,
                            spec.class,
                            (t_ms / 1000) as u32,
                        );
                    }
                    Ok(Accepted::Bot(kind)) => {
                        let reason = emc_collector::pipeline::DropReason::Bot(kind).reason();
                        *out.dropped.entry(reason.to_owned()).or_insert(0) += 1;
                    }
                    Err(e) => *out.dropped.entry(e.reason().to_owned()).or_insert(0) += 1,
                }
                ctx.done.fetch_add(1, Relaxed);
            }
            // Every worker is past `hour_end`: sessions idle by then can never be extended.
            if ctx.barrier.wait().await.is_leader() {
                ctx.ingest
                    .pipeline()
                    .sessions()
                    .sweep((hour_end / 1000) as u32);
            }
        }
    }
    out.tallies = ledger.finish();
    out
}

/// The visits of one worker's day: hits `(time ms, plan, step)` until `target` hits fall
/// within the day (a visit still going at midnight is cut there).
fn plan_day(
    model: &Model,
    rng: &mut SmallRng,
    hours: &WeightedIndex<u32>,
    share: &Share,
    day_ms: i64,
    target: u64,
) -> (Vec<SessionPlan>, Vec<(i64, u32, u16)>) {
    let end = day_ms + 86_400_000;
    let mut plans = Vec::new();
    let mut hits = Vec::with_capacity(target as usize);
    while (hits.len() as u64) < target {
        let site = model.pick_site(rng);
        let visitor = share.first_visitor + rng.random_range(0..share.visitors);
        let plan = model.plan(rng, site, visitor);
        let mut t = day_ms + hours.sample(rng) as i64 * 3_600_000 + rng.random_range(0..3_600_000);
        let mut page_time = t;
        let idx = plans.len() as u32;
        for (i, step) in plan.steps.iter().enumerate() {
            t = match step.kind {
                Kind::PageView if step.page_no == 0 => t,
                Kind::PageView => t + rng.random_range(2_000..40_000),
                Kind::Download => t + rng.random_range(3_000..60_000),
                Kind::Engagement => (page_time + i64::from(step.engaged_ms)).max(t + 500),
            };
            if step.kind == Kind::PageView {
                page_time = t;
            }
            if t >= end || hits.len() as u64 >= target {
                break;
            }
            hits.push((t, idx, i as u16));
        }
        plans.push(plan);
    }
    (plans, hits)
}

/// The collector's [`Hit`] for a generated hit at `t_ms`, shaped as the beacon would be.
fn to_hit(spec: &HitSpec<'_>, t_ms: i64) -> Hit {
    let time: DateTime<Utc> = Utc.timestamp_millis_opt(t_ms).single().unwrap_or_default();
    let page = matches!(spec.kind, Kind::PageView | Kind::Engagement);
    let t = spec.timing;
    let mut dc: Vec<String> = spec.dc.iter().map(|s| (*s).to_owned()).collect();
    dc.sort_unstable();
    let mut props = vec![(RUN_PROP.to_owned(), spec.run_id.to_owned())];
    if spec.kind == Kind::Download {
        props.push(("file".into(), wire::DOWNLOAD_FILE.into()));
    }
    Hit {
        site: spec.site.code.clone(),
        name: spec.kind.name().into(),
        url: spec.url.clone(),
        referrer: if spec.kind == Kind::PageView {
            spec.referrer.clone()
        } else {
            None
        },
        title: page.then(|| spec.title.to_owned()),
        screen_width: Some(spec.visitor.screen_width),
        engaged_ms: spec.engaged_ms,
        timing: if spec.kind == Kind::Engagement {
            Timing {
                ttfb: Some(t.ttfb),
                fcp: Some(t.fcp),
                lcp: Some(t.lcp),
                load: Some(t.load),
                response: Some(t.response),
            }
        } else {
            Timing::default()
        },
        meta: if page {
            Meta {
                emc_label: Some(spec.emc_label),
                dc,
            }
        } else {
            Meta::default()
        },
        props,
        client_ip: spec.visitor.ip,
        user_agent: spec.visitor.ua.ua.to_owned(),
        time,
        origin: Origin::Beacon,
        fields: Default::default(),
    }
}

fn progress(total: u64, quiet: bool, done: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} events {per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        loop {
            bar.set_position(done.load(Relaxed));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

pub fn table(r: &SeedReport) -> String {
    let mut t = format!(
        "emc-loadtest seed {} ({} to {})\n",
        r.run_id, r.first_day, r.last_day
    );
    t += &format!(
        "  {:<22} {} generated, {} accepted\n",
        "events", r.generated, r.accepted
    );
    t += &format!(
        "  {:<22} {:.0} events/s over {:.1} s\n",
        "throughput", r.events_per_sec, r.elapsed_secs
    );
    if let Some(l) = &r.landed {
        t += &format!(
            "  {:<22} {} / {} ({} duplicates)\n",
            "landed / accepted", l.landed, l.accepted, l.duplicates
        );
    }
    if let Some(s) = &r.sites {
        t += &format!(
            "  {:<22} {}/{} sites match\n",
            "per-site figures",
            s.iter().filter(|c| c.ok).count(),
            s.len()
        );
    }
    if r.problems.is_empty() {
        t += &format!("  {:<22} PASS\n", "result");
    }
    for p in &r.problems {
        t += &format!("  {:<22} {p}\n", "FAIL");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{site_models, Params};

    #[test]
    fn a_day_is_planned_within_the_day_and_to_the_target() {
        let m = Model::new(site_models("lt", 5), Params::default(), 3, "r".into()).unwrap();
        let mut rng = SmallRng::seed_from_u64(1);
        let hours = WeightedIndex::new(UTC_HOUR_WEIGHTS).unwrap();
        let share = Share {
            id: 0,
            workers: 1,
            first_visitor: 0,
            visitors: 500,
            seed: 0,
        };
        let day = 1_767_225_600_000;
        let (plans, mut hits) = plan_day(&m, &mut rng, &hours, &share, day, 5000);
        assert_eq!(hits.len(), 5000);
        assert!(hits.iter().all(|h| (day..day + 86_400_000).contains(&h.0)));
        hits.sort_unstable();
        // Within a visit, hits keep their order in time.
        let mut last: std::collections::HashMap<u32, (i64, u16)> = Default::default();
        for (t, p, s) in hits {
            if let Some((lt, ls)) = last.insert(p, (t, s)) {
                assert!(s > ls && t >= lt, "plan {p}");
            }
        }
        let hit = to_hit(&m.hit(&plans[0], 0), day + 1234);
        assert_eq!(
            (hit.time.timestamp_millis(), hit.name.as_str()),
            (day + 1234, "pageview")
        );
        assert!(hit.props.iter().any(|(k, v)| k == RUN_PROP && v == "r"));
    }
}
