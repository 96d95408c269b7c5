//! Integration tests of emc-loadtest: pacing against the bare baseline (no storage), a short
//! run against the real collector binary and ClickHouse, a seed through the pipeline, and
//! `bench-reports` at a tiny scale.
mod baseline;
mod bench_reports;
mod collector;
mod demo;
mod seed;
mod support;
