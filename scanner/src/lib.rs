//! `emc-scanner`: checks every registered site — HTTP, TLS and HTML facts first, then what
//! only a browser sees (headless Chromium) — and stores each check's outcome in ClickHouse.
//!
//! - [`config`]: the CLI and its `EMC_…` variables; [`connect_to`]: `EMC_SCANNER_CONNECT_TO`.
//! - [`net`]: HTTP clients, redirects, one request at a time per host; [`net::tls`]: trust
//!   and certificate facts.
//! - [`target`]: what to scan, from the registry; [`page`]: HTML read into plain facts.
//! - [`checks`]: one function per check; [`scan`]: one domain's scan; [`browser`]: the checks
//!   made in Chromium.
//! - [`store`]: rows to ClickHouse; [`fleet`]: scanning many targets with bounded
//!   concurrency; [`serve`]: the daily schedule and the dashboard's requests.
pub mod browser;
pub mod checks;
pub mod config;
pub mod connect_to;
pub mod fleet;
pub mod net;
pub mod page;
pub mod scan;
pub mod serve;
pub mod store;
pub mod target;
