//! The migrations in cluster form on the real cluster: applied, applied again as a no-op, and,
//! with a replica down, refused with the name of the host that did not answer, then finished
//! once it is back.
use emc_sql::migrate::{self, MigrateOptions, MIGRATIONS};
use emc_sql::testing::Cluster;
use emc_sql::{Db, SqlError};
use std::time::Duration;

async fn tables(url: &str, database: &str) -> Vec<(String, String)> {
    Db::from_url(url, database)
        .client()
        .query("SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name")
        .fetch_all()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_migrations_apply_once_and_name_a_down_replica() {
    let mut cluster = Cluster::start().await.expect("the cluster starts");
    let db = cluster.db("cluster_migrations").await.expect("migrated");
    let opts = MigrateOptions {
        topology: cluster.topology(),
        ..MigrateOptions::default()
    };
    // Every server has every table: Replicated locals, their Distributed twins, the views.
    let first = tables(&cluster.url(1, 1), db.database()).await;
    for url in cluster.urls() {
        assert_eq!(tables(&url, db.database()).await, first, "{url}");
    }
    let events = first.iter().find(|(n, _)| n == "events").unwrap();
    assert_eq!(events.1, "Distributed");
    let local = first.iter().find(|(n, _)| n == "events_local").unwrap();
    assert_eq!(local.1, "ReplicatedMergeTree");
    assert!(first
        .iter()
        .any(|(n, e)| n == "sessions_local" && e == "ReplicatedCollapsingMergeTree"));
    assert!(first
        .iter()
        .any(|(n, e)| n == "events_daily_mv" && e == "MaterializedView"));
    // Twice = no-op.
    let again = db.migrate(&opts).await.expect("applies again");
    assert!(again.applied.is_empty(), "{again:?}");
    assert_eq!(again.already.len(), MIGRATIONS.len());
    assert_eq!(tables(&cluster.url(2, 2), db.database()).await, first);

    // A new database while shard 2's second replica is down: the runner waits, then names it.
    let fresh = Db::from_url(&cluster.url(1, 1), "cluster_migrations_down")
        .with_topology(cluster.topology());
    fresh.ensure_database().await.unwrap();
    cluster.kill(2, 2);
    let down = cluster.url(2, 2);
    let started = std::time::Instant::now();
    let err = migrate::apply_with_ddl_timeout(
        fresh.client(),
        &opts,
        fresh.database(),
        Duration::from_secs(3),
    )
    .await
    .expect_err("a replica is down");
    assert!(started.elapsed() < Duration::from_secs(30));
    let SqlError::ClusterDdl { hosts, .. } = &err else {
        panic!("{err}");
    };
    let tcp: Vec<String> = Db::from_url(&cluster.url(1, 1), "default")
        .client()
        .query("SELECT concat(host_address, ':', toString(port)) FROM system.clusters WHERE cluster = 'emc' AND shard_num = 2 AND replica_num = 2")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(hosts, &tcp.join(", "), "{err} ({down} is down)");
    assert!(err.to_string().contains("not answering"), "{err}");
    // Back: the queued statements run there, and the next run finishes and records it all.
    cluster.restart(2, 2).await.unwrap();
    let report = fresh
        .migrate(&opts)
        .await
        .expect("applies once the replica is back");
    assert_eq!(report.applied.len(), MIGRATIONS.len());
    let done = fresh.migrate(&opts).await.unwrap();
    assert!(done.applied.is_empty());
    let on_down = tables(&cluster.url(2, 2), fresh.database()).await;
    assert_eq!(on_down.len(), first.len(), "{on_down:?}");
}
