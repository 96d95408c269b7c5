//! Integration tests of emc-loadtest: pacing against the bare baseline (no storage), a short
//! run against the real collector binary and ClickHouse, and a seed through the pipeline.
mod baseline;
mod collector;
mod seed;
mod support;
