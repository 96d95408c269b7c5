//! The same data on the 2 shards × 2 replicas cluster (`emc_sql::local_cluster`, on this
//! machine): the database is created `ON CLUSTER` and migrated in cluster form, the registry
//! copied from the single node, and the copies made exactly as there ([`super::multiply`]) but
//! reading the single node's base with `remote()` and inserting through the cluster's
//! `Distributed` tables (synchronously), so each shard's materialized views roll up its own
//! rows and each replica receives them by replication. Then every rollup is merged on each
//! shard and every replica is synced before the timings.
use super::multiply::{self, TABLES};
use emc_sql::db::quote_ident;
use emc_sql::local_cluster::{Cluster, REPLICAS, SHARDS};
use emc_sql::Db;
use std::time::Instant;

pub struct Loaded {
    pub cluster: Cluster,
    pub db: Db,
    pub load_secs: f64,
}

/// Starts the cluster and loads it from `single` (registry) and `base` (the copies' source),
/// the single node being reachable at `tcp` (`host:port`) from the cluster's servers.
pub async fn load(
    single: &Db,
    base: &Db,
    tcp: &str,
    copies: u32,
    say: &dyn Fn(String),
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let cluster = Cluster::start().await?;
    let db = cluster.db(single.database()).await?;
    say(format!(
        "cluster: 2 × 2 started and migrated in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    let (dst, src) = (quote_ident(db.database())?, quote_ident(single.database())?);
    for t in ["agencies", "sites"] {
        db.client()
            .query(&format!(
                "INSERT INTO {dst}.{t} SELECT * FROM remote('{tcp}', {src}, {t})"
            ))
            .execute()
            .await?;
    }
    let copy = multiply::Copy {
        base,
        remote: Some(tcp),
        dst: &db,
        copies,
    };
    for (table, secs) in copy.run().await? {
        say(format!("cluster: {table}: {copies} copies in {secs:.1} s"));
    }
    settle(&cluster, db.database()).await?;
    let load_secs = started.elapsed().as_secs_f64();
    say(format!("cluster: loaded in {load_secs:.1} s"));
    Ok(Loaded {
        cluster,
        db,
        load_secs,
    })
}

/// Merges every rollup on each shard (18.16 refuses `OPTIMIZE … ON CLUSTER` on replicated
/// tables; the merge is replicated), then waits until every replica holds every part.
///
/// The merge is asked of each shard's leader replica, and only for a rollup with a partition
/// of more than one active part: 18.16 answers an `OPTIMIZE … FINAL` that has nothing to merge
/// with "Code: 49, Unknown log entry type: 0" (an empty log entry it cannot name), e.g. for
/// `connections_daily_local`, which the seed leaves empty.
async fn settle(cluster: &Cluster, database: &str) -> anyhow::Result<()> {
    for shard in 1..=SHARDS {
        for replica in 1..=REPLICAS {
            let node = Db::from_url(&cluster.url(shard, replica), database);
            let to_merge: Vec<String> = node
                .client()
                .query(
                    "SELECT table FROM system.parts WHERE database = ? AND active \
                     AND table IN (SELECT table FROM system.replicas WHERE database = ? \
                       AND is_leader AND engine IN \
                       ('ReplicatedSummingMergeTree', 'ReplicatedAggregatingMergeTree')) \
                     GROUP BY table, partition HAVING count() > 1 \
                     ORDER BY table",
                )
                .bind(database)
                .bind(database)
                .fetch_all()
                .await?;
            let mut to_merge = to_merge;
            to_merge.dedup();
            for t in to_merge {
                node.client()
                    .query(&format!("OPTIMIZE TABLE {} FINAL", quote_ident(&t)?))
                    .execute()
                    .await
                    .map_err(|e| anyhow::anyhow!("OPTIMIZE {t} on shard {shard}: {e}"))?;
            }
        }
    }
    for shard in 1..=SHARDS {
        for replica in 1..=REPLICAS {
            let node = Db::from_url(&cluster.url(shard, replica), database);
            let replicated: Vec<String> = node
                .client()
                .query(
                    "SELECT name FROM system.tables WHERE database = ? AND engine LIKE 'Replicated%'",
                )
                .bind(database)
                .fetch_all()
                .await?;
            for t in replicated {
                node.client()
                    .query(&format!("SYSTEM SYNC REPLICA {}", quote_ident(&t)?))
                    .execute()
                    .await?;
            }
        }
    }
    Ok(())
}

/// Bytes of the database's active parts on every server of the cluster (replicas included).
pub async fn bytes_on_disk(cluster: &Cluster, database: &str) -> anyhow::Result<u64> {
    let mut total = 0;
    for url in cluster.urls() {
        total += super::bytes_on_disk(&Db::from_url(&url, database)).await?;
    }
    Ok(total)
}

/// Events on the cluster, counted through the `Distributed` table.
pub async fn events(db: &Db) -> anyhow::Result<u64> {
    Ok(db
        .client()
        .query(&format!("SELECT count() FROM {}", TABLES[0]))
        .fetch_one()
        .await?)
}
