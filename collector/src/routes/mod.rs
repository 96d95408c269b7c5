//! HTTP routes of the collector. Refusals answer as [`crate::ingest::Rejection`] says.
pub mod event;
pub mod health;
pub mod matomo;
pub mod metrics;
pub mod tracker;
