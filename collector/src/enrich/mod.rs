//! Enrichment steps: pure functions from a beacon's raw fields to the columns we store.
pub mod bots;
pub mod geo;
pub mod referrer;
pub mod site_search;
pub mod user_agent;
pub mod utm;
