//! Faults of the cluster under load, each on a cluster of its own with the real collector in
//! front: ZooKeeper stopped and started, the collector killed
//! while it inserts through the Distributed tables. Every acknowledged beacon lands exactly
//! once; every wait is bounded.
use super::support::{clients, settle, until, Collector, Ledger};
use emc_sql::testing::Cluster;
use emc_sql::Db;
use std::sync::Arc;
use std::time::Duration;

const WORKERS: u32 = 4;

async fn rig(name: &str) -> (Cluster, Db, Collector, tempfile::TempDir) {
    let cluster = Cluster::start().await.expect("the cluster starts");
    let db = cluster.db(name).await.expect("migrated on the cluster");
    emc_e2e::register_portal_227(&db, "Cổng A").await;
    let tmp = tempfile::tempdir().unwrap();
    let collector = Collector::start(&db, tmp.path().join("collector"), true).await;
    (cluster, db, collector, tmp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_zookeeper_stopped_spool_holds_then_drains() {
    let (mut cluster, db, collector, _tmp) = rig("cluster_fault_zookeeper").await;
    let ledger = Arc::new(Ledger::default());
    let load = clients(&collector.base, &ledger, WORKERS);
    ledger.wait_more(300).await;
    cluster.stop_zookeeper();
    // Replicated tables take no insert without ZooKeeper: the beacons pile up in the spool,
    // and the collector keeps answering 202.
    until(
        Duration::from_secs(40),
        "the spool holds beacons",
        || async { (collector.metric("emc_spool_pending_groups").await > 50.0).then_some(()) },
    )
    .await;
    ledger.wait_more(300).await;
    cluster
        .restart_zookeeper()
        .await
        .expect("ZooKeeper restarts");
    let landed = settle(&db, &ledger, load, &[&collector]).await;
    assert!(landed >= 600, "{landed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_collector_killed_during_distributed_inserts_replays_without_duplicates() {
    let (_cluster, db, mut collector, _tmp) = rig("cluster_fault_collector").await;
    let ledger = Arc::new(Ledger::default());
    let load = clients(&collector.base, &ledger, WORKERS);
    for _ in 0..3 {
        ledger.wait_more(300).await;
        // Inserts are under way all the time (a flush every 100 ms under this load).
        collector.kill9();
        collector.spawn().await;
    }
    ledger.wait_more(300).await;
    let landed = settle(&db, &ledger, load, &[&collector]).await;
    assert!(landed >= 1200, "{landed}");
}
