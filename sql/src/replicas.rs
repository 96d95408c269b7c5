//! What to read so that every acknowledged row of a table is seen: the collector's "already
//! landed" check before a replay.
//!
//! On one server, the table. On a cluster, an insert is acknowledged once one replica of the
//! shard wrote it (`internal_replication`: the replicas copy each other), so a read through
//! the `Distributed` table, which asks one replica per shard, may miss a part its twin has not
//! fetched yet. The check reads every replica of every shard instead — every replica that
//! answers. A replica that does not answer (killed, restarting) may be left out only when a
//! live replica of its shard holds every part of that shard: it has pulled the whole
//! replication log and has no part left to fetch (`system.replicas`: `log_pointer >
//! log_max_index`, `inserts_in_queue = 0`), so whatever the dead one acknowledged, the live one
//! has. Otherwise — the dead replica wrote a part nobody has fetched — no answer can be exact
//! and the check fails with [`SqlError::PartsUnfetched`]: the collector resends an insert it
//! just attempted unchanged (insert deduplication drops its blocks if they are in that part),
//! and keeps groups replayed from its spool until the replica is back.
use crate::catalog::CatalogQuery;
use crate::db::quote_ident;
use crate::migrate::Topology;
use crate::{Db, SqlError};
use std::collections::BTreeMap;

/// Does a replica answer (`{from}`: `remote('host:port', system.one)`)?
const ANSWERS: &str = "SELECT count() FROM {from}";
/// Has a replica pulled the whole replication log of a table, with no part left to fetch
/// (`{from}`: `remote('host:port', system.replicas)`)?
const HOLDS_EVERY_PART: &str = "SELECT count() FROM {from} WHERE database = ? AND table = ? AND inserts_in_queue = 0 AND log_pointer > log_max_index";

/// This module's queries for the modern-ClickHouse check, on the local system tables (the
/// `remote()` around them needs a cluster).
pub fn catalog() -> Vec<CatalogQuery> {
    vec![
        CatalogQuery::with_binds(
            "replicas.answers",
            &ANSWERS.replace("{from}", "system.one"),
            &[],
        ),
        CatalogQuery::with_binds(
            "replicas.holds_every_part",
            &HOLDS_EVERY_PART.replace("{from}", "system.replicas"),
            &["'emc'", "'events_local'"],
        ),
    ]
}

impl Db {
    /// What to read `table` from so that every acknowledged row is seen (see the module
    /// documentation): the table itself on one server; on a cluster, `remote()` over the
    /// answering replicas of every shard, reading `table_local`. Fails when a shard has a
    /// replica down and no live replica known to hold all of the shard's parts.
    pub async fn every_replica(&self, table: &str) -> Result<String, SqlError> {
        let Topology::Cluster { name } = self.topology() else {
            return Ok(table.to_owned());
        };
        let hosts: Vec<(u32, String, u16)> = self
            .client()
            .query("SELECT shard_num, host_address, toUInt16(port) FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num")
            .bind(name.as_str())
            .fetch_all()
            .await?;
        if hosts.is_empty() {
            return Err(SqlError::Server(format!(
                "cluster {name} is not in system.clusters of {}",
                self.url()
            )));
        }
        let mut shards: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for (shard, host, port) in hosts {
            shards
                .entry(shard)
                .or_default()
                .push(format!("{host}:{port}"));
        }
        let local = format!("{table}_local");
        let mut sources = Vec::new();
        for (shard, replicas) in shards {
            let mut live = Vec::new();
            let mut down = Vec::new();
            for address in replicas {
                if self.answers(&address).await {
                    live.push(address);
                } else {
                    down.push(address);
                }
            }
            if !down.is_empty() && !self.any_holds_every_part(&live, &local).await {
                return Err(SqlError::PartsUnfetched(format!(
                    "shard {shard} of {name}: {} not answering, and no live replica has fetched every part of {local} yet",
                    down.join(", ")
                )));
            }
            sources.extend(live);
        }
        Ok(format!(
            "remote('{}', {}, {})",
            sources.join(","),
            quote_ident(self.database())?,
            quote_ident(&local)?
        ))
    }

    /// Whether the server at `address` (`host:port`, as `system.clusters` names it) answers
    /// a query sent through this handle's server.
    async fn answers(&self, address: &str) -> bool {
        self.client()
            .query(&ANSWERS.replace("{from}", &format!("remote('{address}', system.one)")))
            .fetch_one::<u64>()
            .await
            .is_ok()
    }

    /// Whether one of `live` has pulled the whole replication log of `local` and has no part
    /// of it left to fetch.
    async fn any_holds_every_part(&self, live: &[String], local: &str) -> bool {
        for address in live {
            let from = format!("remote('{address}', system.replicas)");
            let sql = HOLDS_EVERY_PART.replace("{from}", &from);
            let complete = self
                .client()
                .query(&sql)
                .bind(self.database())
                .bind(local)
                .fetch_one::<u64>()
                .await;
            if matches!(complete, Ok(n) if n > 0) {
                return true;
            }
        }
        false
    }
}
