//! EMC on a real ClickHouse cluster (2 shards × 2 replicas and ZooKeeper, started by
//! `emc_sql::testing::Cluster`): the migrations, report equality with a single node, faults
//! under load. `cargo test -p emc-e2e --test it cluster`.
mod faults;
mod migrations;
mod reports;
pub(crate) mod support;
