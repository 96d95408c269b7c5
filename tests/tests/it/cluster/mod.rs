//! EMC on a real ClickHouse cluster (2 shards × 2 replicas and ZooKeeper, started by
//! `emc_sql::testing::Cluster`). `cargo test -p emc-e2e --test it cluster`.
mod migrations;
