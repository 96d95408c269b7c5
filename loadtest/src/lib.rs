//! `emc-loadtest`: synthetic visits to the EMC collector, and the checks that prove what it
//! holds and that nothing was lost.
//!
//! - [`model`]: sites, pages, visitors and visits (what a hit is);
//! - [`wire`]: the JSON beacon and the Matomo tracking request of a hit;
//! - [`client`], [`driver`]: keep-alive connections, open- and closed-loop pacing, HDR latency;
//! - [`ledger`]: the generator's books, by the collector's rules of visits and visitors;
//! - [`verify`]: landed versus accepted, duplicates, per-site figures from ClickHouse;
//! - [`report`]: the table and the JSON summary;
//! - [`baseline`]: the bare endpoint the collector is measured against;
//! - [`seed`]: historical traffic through the collector's pipeline library;
//! - [`demo`]: `make demo`, the demo agency with a year of traffic, and its removal;
//! - [`bench`]: `make bench`; [`bench_reports`]: `make bench-reports`; [`commits`]: the collector's spool commit latency during a phase.
pub mod baseline;
pub mod bench;
pub mod bench_reports;
pub mod cli;
pub mod client;
pub mod commits;
pub mod demo;
pub mod driver;
pub mod ledger;
pub mod model;
pub mod procstat;
pub mod report;
pub mod run;
pub mod seed;
pub mod sites;
pub mod verify;
pub mod wire;
