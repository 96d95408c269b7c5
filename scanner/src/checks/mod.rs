//! The checks, grouped by what they read: HTTP answers ([`http`]), the TLS handshake
//! ([`tls`]), the tag in the HTML ([`tag`]), the rest of the HTML ([`content`]), the files
//! around the homepage ([`crawl`]). Each returns [`CheckResult`]s: an outcome, the measured
//! value and a detail a person can act on.
pub mod content;
pub mod crawl;
pub mod http;
pub mod tag;
pub mod tls;

use emc_sql::scan::{Check, Outcome};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    #[serde(serialize_with = "check_key")]
    pub check: Check,
    pub outcome: Outcome,
    pub value: String,
    pub detail: String,
}

fn check_key<S: Serializer>(c: &Check, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.key())
}

impl CheckResult {
    pub fn new(
        check: Check,
        outcome: Outcome,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        CheckResult {
            check,
            outcome,
            value: value.into(),
            detail: detail.into(),
        }
    }

    pub fn pass(check: Check, value: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(check, Outcome::Pass, value, detail)
    }

    pub fn fail(check: Check, value: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(check, Outcome::Fail, value, detail)
    }

    pub fn error(check: Check, detail: impl Into<String>) -> Self {
        Self::new(check, Outcome::Error, "", detail)
    }

    pub fn na(check: Check, detail: impl Into<String>) -> Self {
        Self::new(check, Outcome::NotApplicable, "", detail)
    }

    /// Pass when `ok`, else fail.
    pub fn verdict(
        check: Check,
        ok: bool,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        let outcome = if ok { Outcome::Pass } else { Outcome::Fail };
        Self::new(check, outcome, value, detail)
    }
}

/// Hosts compared without a leading `www.` and without case.
pub fn same_site(a: &str, b: &str) -> bool {
    let strip = |h: &str| {
        let h = h.trim_end_matches('.').to_ascii_lowercase();
        h.strip_prefix("www.").map(str::to_owned).unwrap_or(h)
    };
    strip(a) == strip(b)
}
