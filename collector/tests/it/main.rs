//! Collector integration tests against a real ClickHouse (one server per test process,
//! one database per test).
mod beacons;
mod import;
mod scenario;
mod support;
mod matomo;
mod hostile;
