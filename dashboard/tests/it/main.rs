//! Dashboard integration tests.
