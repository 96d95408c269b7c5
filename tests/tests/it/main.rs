//! End-to-end tests across real processes.
mod modern_sql;
mod processes;
mod browser;
mod matomo_client;
mod dashboard_browser;
mod privacy;
mod faults;
