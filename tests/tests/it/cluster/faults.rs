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

/// `SELECT count() FROM table` on one server of the cluster (its own local table).
async fn count_on(
    cluster: &Cluster,
    db: &Db,
    (shard, replica): (usize, usize),
    table: &str,
) -> u64 {
    Db::from_url(&cluster.url(shard, replica), db.database())
        .client()
        .query(&format!("SELECT count() FROM {table}"))
        .fetch_one::<u64>()
        .await
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_replica_killed_under_load_catches_up_and_counts_every_202_once() {
    let (mut cluster, db, collector, _tmp) = rig("cluster_fault_replica").await;
    let ledger = Arc::new(Ledger::default());
    // 12 visitors: both shards get some (they are placed by a hash of the visitor id).
    let load = clients(&collector.base, &ledger, 12);
    ledger.wait_more(300).await;
    until(Duration::from_secs(20), "shard 2 takes rows", || async {
        (count_on(&cluster, &db, (2, 1), "events_local").await > 0).then_some(())
    })
    .await;
    // The first replica of shard 2 is where the Distributed inserts go (`in_order`): killed,
    // they must go to its twin, and the replay check must work without it.
    cluster.kill(2, 1);
    let at_kill = count_on(&cluster, &db, (2, 2), "events_local").await;
    ledger.wait_more(600).await;
    // Inserts go on into its twin, also when the dead replica wrote a part its twin had not
    // fetched yet (the collector then resends its last attempt unchanged: see the end).
    until(
        Duration::from_secs(30),
        "inserts go on into shard 2's live replica",
        || async {
            let now = count_on(&cluster, &db, (2, 2), "events_local").await;
            (now > at_kill + 50).then_some(())
        },
    )
    .await;
    cluster.restart(2, 1).await.expect("the replica restarts");
    ledger.wait_more(300).await;
    let landed = settle(&db, &ledger, load, &[&collector]).await;
    assert!(landed >= 1200, "{landed}");
    let log = collector.log();
    eprintln!(
        "replica kill: {landed} landed; {} insert retries, {} replay checks skipped groups, {} resent unchanged past an unfetched part",
        log.matches("insert failed; retrying").count(),
        log.matches("already in ClickHouse skipped").count(),
        log.matches("resending the last attempt unchanged").count()
    );
    for line in log.lines().filter(|l| l.contains("retrying")).take(5) {
        eprintln!("  {line}");
    }
    // The replica caught up: nothing queued, no delay, the same rows as its twin.
    let restarted = Db::from_url(&cluster.url(2, 1), db.database());
    until(Duration::from_secs(60), "the replica catches up", || async {
        let behind: u64 = restarted
            .client()
            .query("SELECT count() FROM system.replicas WHERE database = ? AND (queue_size > 0 OR absolute_delay > 0)")
            .bind(db.database())
            .fetch_one()
            .await
            .ok()?;
        if behind > 0 {
            return None;
        }
        for table in ["events_local", "sessions_local", "connection_log_local"] {
            let a = count_on(&cluster, &db, (2, 1), table).await;
            let b = count_on(&cluster, &db, (2, 2), table).await;
            if a != b || a == 0 {
                return None;
            }
        }
        Some(())
    })
    .await;
    // What that resend relies on: a block sent twice is kept once, by the table and by
    // the materialized views that roll it up (replicated insert deduplication, 18.16).
    let at: u32 = 1_780_000_000;
    for _ in 0..2 {
        db.client()
            .query("INSERT INTO events (site, timestamp, name, pathname, visitor_id, session_id, batch_id) VALUES ('dedup', toDateTime(?), 'pageview', '/d', 42, 7, 99)")
            .bind(at)
            .execute()
            .await
            .expect("inserting through the Distributed table");
    }
    let once: (u64, i64) = db
        .client()
        .query("SELECT (SELECT count() FROM events WHERE site = 'dedup'), (SELECT sum(hits) FROM visitors_daily WHERE site = 'dedup')")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(once, (1, 1), "a block sent twice is kept once");
}
