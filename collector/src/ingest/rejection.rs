//! Why a request was refused, as a type: each kind knows its status, its short reason (for
//! `/metrics` and the connection log) and its message; the HTTP answer is made from it once,
//! here, as `{"error": "…"}` naming the field or rule (a 5xx detail is never sent).
use crate::pipeline::DropReason;
use crate::spool::PushError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone, thiserror::Error)]
pub enum Rejection {
    /// The pipeline refused the hit (malformed field, unknown site, foreign hostname, …).
    #[error("{0}")]
    Dropped(DropReason),
    /// The body or query could not be decoded (JSON, form parameters, bulk body).
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    ContentType(String),
    #[error("{0}")]
    TooLarge(String),
    /// The body did not arrive within `EMC_READ_TIMEOUT_MS`.
    #[error("{0}")]
    BodyTimeout(String),
    #[error("rate limited")]
    RateLimited,
    /// The spool did not take the group (full, stopping, disk failure).
    #[error("{0}")]
    Spool(PushError),
    /// An access-log line that is not a page view, or not parsable (importer only).
    #[error("{0}")]
    Skipped(&'static str),
}

impl Rejection {
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Dropped(d) => match d {
                DropReason::Malformed { .. } => StatusCode::BAD_REQUEST,
                DropReason::UnknownSite(_) => StatusCode::NOT_FOUND,
                DropReason::HostnameMismatch { .. } => StatusCode::FORBIDDEN,
                // Bots are accepted (`Accepted::Bot`), never refused; internal is a 500.
                DropReason::Bot(_) | DropReason::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Rejection::Malformed(_) | Rejection::Skipped(_) => StatusCode::BAD_REQUEST,
            Rejection::ContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Rejection::RateLimited | Rejection::Spool(PushError::Full { .. }) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Rejection::Spool(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The short reason of `/metrics` and the connection log.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Dropped(d) => d.reason(),
            Rejection::Malformed(_) => "malformed",
            Rejection::ContentType(_) => "content_type",
            Rejection::TooLarge(_) => "too_large",
            Rejection::BodyTimeout(_) => "timeout",
            Rejection::RateLimited => "rate_limited",
            Rejection::Spool(PushError::Full { .. }) => "spool_full",
            Rejection::Spool(PushError::Closed) => "shutting_down",
            Rejection::Spool(PushError::Io(_)) => "spool_unwritable",
            Rejection::Skipped(reason) => reason,
        }
    }

    /// The hostname refused, when that is the reason (kept in the connection log).
    pub fn hostname(&self) -> &str {
        match self {
            Rejection::Dropped(DropReason::HostnameMismatch { host, .. }) => host,
            _ => "",
        }
    }

    /// The collector, not the request, is the problem: the rest of a bulk request would fail
    /// the same way.
    pub fn is_collector_side(&self) -> bool {
        matches!(
            self,
            Rejection::Spool(_) | Rejection::Dropped(DropReason::Internal(_))
        )
    }

    /// The client message: what the contract says for each kind.
    fn message(&self) -> String {
        match self {
            Rejection::Spool(e @ PushError::Full { .. }) => format!("spool full: {e}"),
            Rejection::Spool(PushError::Closed) => "the collector is shutting down".to_owned(),
            other => other.to_string(),
        }
    }

    /// Seconds a client should wait before retrying, for the 429s.
    fn retry_after(&self) -> Option<&'static str> {
        match self {
            Rejection::RateLimited => Some("1"),
            Rejection::Spool(PushError::Full { .. }) => Some("5"),
            _ => None,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            "internal error".to_owned()
        } else {
            self.message()
        };
        let mut res = (status, Json(serde_json::json!({ "error": message }))).into_response();
        if let Some(secs) = self.retry_after() {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(secs));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_contract_status_and_reason() {
        let cases: Vec<(Rejection, u16, &str)> = vec![
            (
                Rejection::Dropped(DropReason::malformed("url", "x")),
                400,
                "malformed",
            ),
            (
                Rejection::Dropped(DropReason::UnknownSite("9".into())),
                404,
                "unknown_site",
            ),
            (
                Rejection::Dropped(DropReason::HostnameMismatch {
                    host: "evil.example".into(),
                    site: "227".into(),
                }),
                403,
                "hostname_mismatch",
            ),
            (Rejection::ContentType("c".into()), 415, "content_type"),
            (Rejection::TooLarge("t".into()), 413, "too_large"),
            (Rejection::BodyTimeout("b".into()), 408, "timeout"),
            (Rejection::RateLimited, 429, "rate_limited"),
            (
                Rejection::Spool(PushError::Full { max_bytes: 1 }),
                429,
                "spool_full",
            ),
            (Rejection::Spool(PushError::Closed), 503, "shutting_down"),
        ];
        for (r, status, reason) in cases {
            assert_eq!((r.status().as_u16(), r.reason()), (status, reason), "{r:?}");
        }
        let foreign = Rejection::Dropped(DropReason::HostnameMismatch {
            host: "evil.example".into(),
            site: "227".into(),
        });
        assert_eq!(foreign.hostname(), "evil.example");
        assert_eq!(Rejection::RateLimited.hostname(), "");
    }
}
