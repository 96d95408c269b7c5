//! Integration tests of emc-sql against a real ClickHouse (one server per test process).
mod migrations;
mod registry;
mod server;
