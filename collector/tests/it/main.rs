//! Collector integration tests against a real ClickHouse (one server per test process,
//! one database per test).
mod beacons;
mod campaigns;
mod hostile;
mod import;
mod matomo;
mod outage;
mod scenario;
mod site_search;
mod support;
