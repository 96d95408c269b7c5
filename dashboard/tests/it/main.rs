//! Dashboard integration tests against a real ClickHouse (one server per test process, one
//! database per test). Known visits go in through the collector's own pipeline and importer.
mod breakdowns;
mod scope;
mod security;
mod stats;
mod support;
mod ranking;
mod retention;
mod compliance;
mod compliance_api;
mod open_data;
mod ranking_api;
mod retention_cli;
mod routes;
mod sign_in;
