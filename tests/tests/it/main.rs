//! End-to-end tests across real processes.
mod browser;
mod cluster;
mod dashboard_browser;
mod dashboard_pages;
mod faults;
mod haproxy;
mod matomo_client;
mod modern_sql;
mod privacy;
mod processes;
mod scanner_browser;
mod scanner_fleet;
mod scanner_http;
mod search_browser;
