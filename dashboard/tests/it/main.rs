//! Dashboard integration tests against a real ClickHouse (one server per test process, one
//! database per test). Known visits go in through the collector's own pipeline and importer.
mod alert_rules;
mod alerts;
mod annotations;
mod breakdowns;
mod compliance;
mod compliance_api;
mod digest;
mod goals;
mod mail;
mod mailbox;
mod open_data;
mod openapi;
mod prometheus;
mod ranking;
mod ranking_api;
mod ranking_scans;
mod retention;
mod retention_cli;
mod routes;
mod scope;
mod security;
mod sign_in;
mod site_search;
mod stats;
mod support;
mod visitors_error;
