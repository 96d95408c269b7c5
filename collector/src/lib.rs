//! EMC collector: accept → validate → enrich → sessionize → spool → batch insert.
//!
//! `router(state)` is the whole HTTP face (tests drive it with `oneshot`); `App::start`
//! wires the state, the sink and the background jobs for `serve`.
pub mod app;
pub mod beacon;
pub mod client_ip;
pub mod config;
pub mod dvc;
pub mod enrich;
pub mod health;
pub mod import;
pub mod ingest;
pub mod limits;
pub mod matomo;
pub mod metrics;
pub mod pipeline;
pub mod queue;
pub mod registry_cache;
pub mod routes;
pub mod salt;
pub mod schema;
pub mod server;
pub mod session;
pub mod sink;
pub mod spool;

pub use app::{router, App, AppState};
