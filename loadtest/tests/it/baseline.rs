//! The driver against the in-process baseline server: open loop keeps its schedule, closed
//! loop its count, both wire formats are answered, and the books add up to what was sent.
use emc_loadtest::driver::{drive, DriveConfig, Pace, Profile};
use emc_loadtest::model::{site_models, Model, Params};
use emc_loadtest::wire::Protocol;
use std::sync::Arc;
use std::time::Duration;

async fn baseline() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, emc_loadtest::baseline::router()).await });
    addr
}

fn config(addr: std::net::SocketAddr, protocol: Protocol, pace: Pace) -> DriveConfig {
    DriveConfig {
        addr,
        host: addr.to_string(),
        protocol,
        pace,
        connections: 8,
        requests: None,
        duration: None,
        warmup: Duration::ZERO,
        profile: Profile::Realistic,
        visitors: 100,
        active_per_conn: 3,
        session_timeout: 1800,
        seed: 1,
        progress: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_keeps_its_schedule_and_closed_loop_its_count() {
    let addr = baseline().await;
    let model =
        Arc::new(Model::new(site_models("b", 3), Params::default(), 5, "run".into()).unwrap());

    let mut open = config(addr, Protocol::Json, Pace::Open { rate: 400.0 });
    open.duration = Some(Duration::from_secs(1));
    let r = drive(open, model.clone()).await.unwrap();
    assert_eq!(
        (r.sent, r.accepted, r.unknown),
        (400, 400, 0),
        "request k is due at k/rate, within the second"
    );
    assert_eq!(r.histogram.len(), 400);
    assert!(
        (0.95..1.1).contains(&r.measured_secs),
        "{}",
        r.measured_secs
    );
    assert_eq!(
        r.tallies.iter().map(|t| t.events).sum::<u64>(),
        400,
        "the books hold every accepted hit"
    );

    for protocol in [Protocol::Json, Protocol::Matomo] {
        let mut closed = config(addr, protocol, Pace::Closed { concurrency: 4 });
        closed.requests = Some(500);
        let r = drive(closed, model.clone()).await.unwrap();
        assert_eq!(
            (r.sent, r.accepted),
            (500, 500),
            "{protocol:?}: {:?}",
            r.rejected
        );
        let t = r
            .tallies
            .iter()
            .fold(emc_loadtest::ledger::SiteTally::default(), |mut a, t| {
                a.add(t);
                a
            });
        assert!(
            t.pageviews > 0 && t.visits > 0 && t.visits <= t.pageviews,
            "{t:?}"
        );
    }
}
