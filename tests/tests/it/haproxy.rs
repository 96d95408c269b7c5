//! Two collectors behind HAProxy, run from the shipped `deploy/haproxy/haproxy.cfg` (its
//! addresses come from the environment: this test sets its own ports, nothing else): the
//! figures through the balancer equal what was sent, the client address is the one HAProxy
//! saw (not what the client claims), a client sticks to one collector; one collector killed
//! under load, the other keeps accepting and every `202` lands exactly once once the killed
//! one's spool is replayed, and a visitor whose hits met both collectors is one visitor (they
//! share `EMC_SALT_DIR`). `cargo test -p emc-e2e --test it haproxy`.
use crate::cluster::support::{client, settle, until, Collector, Ledger, CHROME};
use emc_sql::Db;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// `haproxy -db -f deploy/haproxy/haproxy.cfg` on a free port in front of two collectors.
/// SIGKILLed on drop.
struct Haproxy {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Haproxy {
    async fn start(dir: &Path, collectors: [&Collector; 2]) -> Haproxy {
        let port = emc_e2e::free_port();
        let config = emc_e2e::workspace_root().join("deploy/haproxy/haproxy.cfg");
        let log = dir.join("haproxy.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .env("EMC_LB_BIND", format!("127.0.0.1:{port}"))
            .env(
                "EMC_COLLECTOR_1",
                format!("127.0.0.1:{}", collectors[0].port),
            )
            .env(
                "EMC_COLLECTOR_2",
                format!("127.0.0.1:{}", collectors[1].port),
            )
            .env("EMC_LB_UNPRIVILEGED", "1")
            .env("EMC_LB_LOG", "stdout")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("starting haproxy (scripts/install-deps.sh installs it)");
        let lb = Haproxy {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", lb.base)).send().await {
                if r.status().is_success() {
                    return lb;
                }
            }
            assert!(Instant::now() < deadline, "haproxy not ready: {}", lb.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client address on the loopback network: HAProxy sees one client per address.
fn source(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

/// One page view of site 227 from `from` with `ua`, through `base`, claiming to come from
/// `claimed` in its own X-Forwarded-For (which the collectors must not believe).
async fn view(base: &str, from: IpAddr, ua: &str, path: &str, claimed: &str) -> u16 {
    let http = reqwest::Client::builder()
        .local_address(from)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let body = format!(r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn{path}"}}"#);
    http.post(format!("{base}/api/event"))
        .header("content-type", "text/plain")
        .header("user-agent", ua)
        .header("x-forwarded-for", claimed)
        .body(body)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Visits, page views, bounces (sign-weighted, from `sessions`) and distinct visitors (from
/// `events`) of the page views whose path starts with `prefix`.
async fn figures(db: &Db, prefix: &str) -> (i64, i64, i64, u64) {
    let sql = "SELECT sum(sign), sum(sign * pageviews), sum(sign * is_bounce), \
               (SELECT uniqExact(visitor_id) FROM events WHERE site = '227' AND startsWith(pathname, ?)) \
               FROM sessions WHERE site = '227' AND startsWith(entry_page, ?)";
    db.client()
        .query(sql)
        .bind(prefix)
        .bind(prefix)
        .fetch_one::<(i64, i64, i64, u64)>()
        .await
        .unwrap()
}

async fn rig(tmp: &Path) -> (Db, Collector, Collector, Haproxy) {
    let db = emc_sql::testing::test_db("e2e_haproxy").await;
    emc_e2e::register_portal_227(&db, "Cổng A").await;
    // One salt folder for both, as README's "Behind a load balancer" advises: a visitor has one
    // id whichever collector answers.
    let salts = Some(tmp.join("salts"));
    let c1 =
        Collector::start_sharing_salts(&db, tmp.join("collector1"), false, salts.clone()).await;
    let c2 = Collector::start_sharing_salts(&db, tmp.join("collector2"), false, salts).await;
    let lb = Haproxy::start(tmp, [&c1, &c2]).await;
    (db, c1, c2, lb)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_two_collectors_exact_truth_affinity_and_a_kill_under_load() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, mut c1, c2, lb) = rig(tmp.path()).await;
    let accepted = |c: &Collector| {
        let c = c.base.clone();
        async move {
            let text = reqwest::get(format!("{c}/metrics")).await.unwrap();
            let text = text.text().await.unwrap();
            text.lines()
                .filter(|l| l.starts_with("emc_accepted_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        }
    };

    // 1. The truth. Visitor = (client address, user agent): 12 addresses × 2 browsers, each
    // sending 1 to 4 page views in a row, each request claiming a different address of its
    // own. What must land follows from this plan alone.
    let mut plan: BTreeMap<(u8, &str), u32> = BTreeMap::new();
    for a in 10..22u8 {
        for (i, ua) in [CHROME, FIREFOX].into_iter().enumerate() {
            plan.insert((a, ua), 1 + (u32::from(a) + i as u32) % 4);
        }
    }
    let sends = plan.iter().map(|(&(a, ua), &n)| {
        let base = lb.base.clone();
        async move {
            for k in 0..n {
                let claimed = format!("198.51.100.{}", (u32::from(a) * 7 + k) % 250);
                let path = format!("/p/{a}/{}/{k}", ua.len());
                assert_eq!(view(&base, source(a), ua, &path, &claimed).await, 202);
            }
        }
    });
    futures::future::join_all(sends).await;
    let pageviews: i64 = plan.values().map(|&n| i64::from(n)).sum();
    let visits = plan.len() as i64;
    let bounces = plan.values().filter(|&&n| n == 1).count() as i64;
    let visitors = plan.len() as u64;
    let got = until(Duration::from_secs(30), "the page views land", || async {
        let f = figures(&db, "/p/").await;
        (f.1 == pageviews && f.3 >= visitors).then_some(f)
    })
    .await;
    // One visit per visitor: all its hits met the same collector's session (with hits
    // split over two collectors, a visitor would count two visits); visitors counted by
    // the address HAProxy saw, not by the claimed one (that would make one per hit).
    assert_eq!(got, (visits, pageviews, bounces, visitors), "{}", lb.log());
    let (a1, a2) = (accepted(&c1).await, accepted(&c2).await);
    assert_eq!(a1 + a2, pageviews as f64);
    assert!(
        a1 > 0.0 && a2 > 0.0,
        "both collectors take clients: {a1} {a2}"
    );

    // 2. A visitor whose visit is open on collector 1 when it is killed: its next hit goes
    // to collector 2, which does not know the visit (README, "Behind a load balancer").
    let mut split = None;
    for n in 40..80u8 {
        let before = accepted(&c1).await;
        let path = format!("/split/{n}/1");
        assert_eq!(view(&lb.base, source(n), CHROME, &path, "").await, 202);
        if accepted(&c1).await > before {
            split = Some(n);
            break;
        }
    }
    let split = split.expect("some client address is balanced to collector 1");

    // 3. Load from 8 client addresses, then collector 1 killed.
    let ledger = Arc::new(Ledger::default());
    let load: Vec<_> = (0..8u8)
        .map(|w| {
            tokio::spawn(client(
                lb.base.clone(),
                ledger.clone(),
                u32::from(w),
                Some(source(30 + w)),
            ))
        })
        .collect();
    ledger.wait_more(300).await;
    c1.kill9();
    let c2_before = accepted(&c2).await;
    let killed_at = Instant::now();
    ledger.wait_more(300).await;
    let failover = killed_at.elapsed();
    assert!(
        accepted(&c2).await >= c2_before + 300.0,
        "collector 2 took over"
    );
    let path = format!("/split/{split}/2");
    assert_eq!(view(&lb.base, source(split), CHROME, &path, "").await, 202);
    // The killed one comes back on its own data folder: its spool replays.
    c1.spawn().await;
    ledger.wait_more(300).await;
    let landed = settle(&db, &ledger, load, &[&c1, &c2]).await;
    assert!(landed >= 900, "{landed}");
    eprintln!(
        "haproxy: {landed} landed, 300 acknowledged within {failover:?} of the kill, {} in flight at it",
        ledger.unanswered.lock().unwrap().len()
    );
    // The split visitor: two visits of one page view each, two bounces (the open visit was in
    // the killed collector's memory); but one visitor id, the collectors sharing their salts.
    let split_figures = figures(&db, &format!("/split/{split}/")).await;
    assert_eq!(split_figures, (2, 2, 2, 1));
}
