//! A real ClickHouse cluster on one machine: one ZooKeeper and four `clickhouse-server`
//! processes as 2 shards × 2 replicas, each from our own config plus a `config.d/extra.xml`
//! naming the cluster (`remote_servers`, `internal_replication`), its place in it (`macros`),
//! ZooKeeper and the `distributed_ddl` queue. Free ports, one temp dir; every process is
//! killed when the [`Cluster`] is dropped (a panicking test included) or its starting thread
//! exits.
use crate::migrate::{MigrateOptions, Topology};
use crate::server::{LocalServer, Ports, ServerSpec, DEFAULT_BINARY};
use crate::zookeeper::ZooKeeper;
use crate::{Db, SqlError};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The cluster's name in `remote_servers` (what `EMC_CLICKHOUSE_CLUSTER` names).
pub const CLUSTER_NAME: &str = "emc";
pub const SHARDS: usize = 2;
pub const REPLICAS: usize = 2;
/// How long a whole start may take before it is an error.
const START_LIMIT: Duration = Duration::from_secs(90);

/// One server of the cluster; `shard` and `replica` count from 1.
#[derive(Debug)]
struct Node {
    shard: usize,
    replica: usize,
    spec: ServerSpec,
    server: Option<LocalServer>,
}

/// A running 2 × 2 cluster with its ZooKeeper.
#[derive(Debug)]
pub struct Cluster {
    nodes: Vec<Node>,
    zookeeper: ZooKeeper,
    extra: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts ZooKeeper and the four servers (under `EMC_TEST_TMPDIR` or the system temp
    /// dir), bounded by a deadline.
    pub async fn start() -> Result<Cluster, SqlError> {
        match tokio::time::timeout(START_LIMIT, Cluster::start_unbounded()).await {
            Ok(started) => started,
            Err(_) => Err(SqlError::Server(format!(
                "the cluster did not start within {START_LIMIT:?}"
            ))),
        }
    }

    async fn start_unbounded() -> Result<Cluster, SqlError> {
        let base = std::env::var_os("EMC_TEST_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = tempfile::Builder::new()
            .prefix("emc-cluster-")
            .tempdir_in(&base)
            .map_err(|e| SqlError::io("creating a temp dir in", base, e))?;
        let zk_port = Ports::free()?.http;
        let zookeeper = ZooKeeper::start(dir.path().join("zookeeper"), zk_port).await?;
        let mut nodes = Vec::new();
        for shard in 1..=SHARDS {
            for replica in 1..=REPLICAS {
                nodes.push(Node {
                    shard,
                    replica,
                    spec: ServerSpec {
                        dir: dir.path().join(format!("s{shard}r{replica}")),
                        ports: Ports::free()?,
                        binary: PathBuf::from(DEFAULT_BINARY),
                        die_with_parent: true,
                    },
                    server: None,
                });
            }
        }
        let extra = nodes
            .iter()
            .map(|n| node_config(&nodes, n, zk_port))
            .collect();
        let mut cluster = Cluster {
            nodes,
            zookeeper,
            extra,
            _dir: dir,
        };
        for i in 0..cluster.nodes.len() {
            cluster.start_node(i).await?;
        }
        Ok(cluster)
    }

    async fn start_node(&mut self, i: usize) -> Result<(), SqlError> {
        let spec = self.nodes[i].spec.clone();
        let server = LocalServer::start_with(spec, Some(&self.extra[i])).await?;
        self.nodes[i].server = Some(server);
        Ok(())
    }

    fn index(&self, shard: usize, replica: usize) -> usize {
        self.nodes
            .iter()
            .position(|n| n.shard == shard && n.replica == replica)
            .unwrap_or_else(|| panic!("no replica {replica} of shard {shard}"))
    }

    pub fn name(&self) -> &'static str {
        CLUSTER_NAME
    }

    /// `EMC_CLICKHOUSE_CLUSTER` for this cluster.
    pub fn topology(&self) -> Topology {
        Topology::Cluster {
            name: CLUSTER_NAME.into(),
        }
    }

    /// The HTTP URL of every server, shard by shard.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| url(&n.spec)).collect()
    }

    /// The HTTP URL of one server (`shard`, `replica` from 1).
    pub fn url(&self, shard: usize, replica: usize) -> String {
        url(&self.nodes[self.index(shard, replica)].spec)
    }

    /// SIGKILL one server.
    pub fn kill(&mut self, shard: usize, replica: usize) {
        let i = self.index(shard, replica);
        if let Some(mut s) = self.nodes[i].server.take() {
            s.kill();
        }
    }

    /// SIGTERM one server (SIGKILL after 10 s).
    pub fn stop(&mut self, shard: usize, replica: usize) {
        let i = self.index(shard, replica);
        if let Some(mut s) = self.nodes[i].server.take() {
            s.stop();
        }
    }

    /// Starts a stopped or killed server again on its data and ports.
    pub async fn restart(&mut self, shard: usize, replica: usize) -> Result<(), SqlError> {
        let i = self.index(shard, replica);
        if self.nodes[i].server.is_none() {
            self.start_node(i).await?;
        }
        Ok(())
    }

    pub fn kill_zookeeper(&mut self) {
        self.zookeeper.kill();
    }

    pub fn stop_zookeeper(&mut self) {
        self.zookeeper.stop();
    }

    pub async fn restart_zookeeper(&mut self) -> Result<(), SqlError> {
        self.zookeeper.restart().await
    }

    /// A migrated database `name` on the cluster, reached through the first server: created
    /// `ON CLUSTER` and migrated in cluster form (dropped first if it exists).
    pub async fn db(&self, name: &str) -> Result<Db, SqlError> {
        let topology = self.topology();
        let db = Db::from_url(&self.url(1, 1), name).with_topology(topology.clone());
        let drop = format!(
            "DROP DATABASE IF EXISTS {} ON CLUSTER {CLUSTER_NAME}",
            crate::db::quote_ident(name)?
        );
        crate::db::client(db.url()).query(&drop).execute().await?;
        db.ensure_database().await?;
        let opts = MigrateOptions {
            topology,
            ..MigrateOptions::default()
        };
        db.migrate(&opts).await?;
        Ok(db)
    }
}

fn url(spec: &ServerSpec) -> String {
    format!("http://127.0.0.1:{}", spec.ports.http)
}

/// `config.d/extra.xml` of `node`: the cluster, its macros, ZooKeeper, the DDL queue.
fn node_config(nodes: &[Node], node: &Node, zk_port: u16) -> String {
    let mut shards = String::new();
    for shard in 1..=SHARDS {
        shards.push_str("            <shard>\n                <internal_replication>true</internal_replication>\n");
        for n in nodes.iter().filter(|n| n.shard == shard) {
            let _ = writeln!(
                shards,
                "                <replica><host>127.0.0.1</host><port>{}</port></replica>",
                n.spec.ports.tcp
            );
        }
        shards.push_str("            </shard>\n");
    }
    format!(
        r#"<?xml version="1.0"?>
<yandex>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <zookeeper>
        <node><host>127.0.0.1</host><port>{zk_port}</port></node>
        <session_timeout_ms>10000</session_timeout_ms>
    </zookeeper>
    <macros>
        <shard>{shard:02}</shard>
        <replica>s{shard}r{replica}</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
    <remote_servers>
        <{CLUSTER_NAME}>
{shards}        </{CLUSTER_NAME}>
    </remote_servers>
</yandex>
"#,
        shard = node.shard,
        replica = node.replica,
    )
}
