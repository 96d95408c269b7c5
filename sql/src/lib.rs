//! EMC's schema and its storage helpers.
//!
//! - [`migrate`]: numbered, forward-only migrations (`sql/migrations/*.sql`) and the runner that
//!   records them in `schema_migrations`; [`cluster`] renders the same migrations for a cluster.
//! - [`rows`]: the row types the collector writes (`EventRow`, `SessionRow`, `ConnectionLogRow`).
//! - [`registry`]: agencies and sites.
//! - [`scan`]: the scanner's checks, outcomes and `scan_checks`/`scans`/`scan_requests` rows.
//! - [`server`]: a ClickHouse server started as a child process from a config this crate owns.
//! - [`zookeeper`], [`local_cluster`]: ZooKeeper and a 2 × 2 ClickHouse cluster on one machine.
//! - [`db`]: the connection handle every binary uses, managed or external; [`replicas`]: what
//!   to read so that every acknowledged row is seen, a replica down included.
//! - [`catalog`]: every query the project runs, for the modern-ClickHouse check.
pub mod catalog;
pub mod cluster;
pub mod cluster_ddl;
pub mod db;
pub mod error;
pub mod local_cluster;
pub mod migrate;
pub mod registry;
pub mod replicas;
pub mod rows;
pub mod scan;
pub mod server;
pub mod testing;
pub mod zookeeper;

pub use db::{Db, DbTarget};
pub use error::SqlError;
pub use migrate::{MigrateOptions, Topology};
