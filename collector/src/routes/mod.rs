//! HTTP routes of the collector and the error format they share.
pub mod event;
pub mod health;
pub mod matomo;
pub mod metrics;
pub mod tracker;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answer: the contract's status and `{"error": "…"}` naming the field or rule.
/// 5xx details are logged by the caller and never sent.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub reason: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            reason,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = if self.status.is_server_error() {
            "internal error".to_owned()
        } else {
            self.message
        };
        (self.status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}
