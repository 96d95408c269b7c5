//! `ApiError`: what a handler can answer besides success. A 5xx detail is logged once and
//! never sent to the client.
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400, naming the parameter.
    #[error("{param}: {message}")]
    BadParam {
        param: &'static str,
        message: String,
    },
    #[error("sign in first")]
    Unauthorized,
    #[error("outside your scope")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(String),
    #[error("too many failed sign-ins; wait and try again")]
    Throttled,
    #[error("the form token is missing or stale; reload the page")]
    Csrf,
    #[error("{0}")]
    Conflict(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad(param: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadParam {
            param,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParam { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        self.to_string()
    }
}

impl From<emc_sql::SqlError> for ApiError {
    fn from(e: emc_sql::SqlError) -> Self {
        match e {
            emc_sql::SqlError::Registry(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<clickhouse::error::Error> for ApiError {
    fn from(e: clickhouse::error::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<askama::Error> for ApiError {
    fn from(e: askama::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

/// The JSON body of every API error: `{"error": "...", "param": "..."}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for a person to read (a 5xx says only `internal error`).
    pub error: String,
    /// The parameter or body field at fault; only on a `400`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

/// The error answers every API operation documents (`ErrorBody` each).
#[derive(utoipa::IntoResponses)]
pub enum ApiErrors {
    /// A parameter or the body is malformed; `param` names it.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// No valid token or session (or a wrong password at sign-in).
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// Outside the caller's scope or role, or a cookie write without its CSRF token.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The site, agency, portal or user named is not registered.
    #[response(status = 404)]
    NotFound(ErrorBody),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: self.public_message(),
            param: match &self {
                ApiError::BadParam { param, .. } => Some((*param).to_owned()),
                _ => None,
            },
        };
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(body),
        )
            .into_response()
    }
}

/// The same error as an HTML page (for the browser routes).
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status == StatusCode::UNAUTHORIZED {
            return axum::response::Redirect::to("/login").into_response();
        }
        let msg = self.0.public_message();
        let page = crate::pages::error_page(status, &msg);
        (status, page).into_response()
    }
}

impl From<clickhouse::error::Error> for PageError {
    fn from(e: clickhouse::error::Error) -> Self {
        PageError(e.into())
    }
}
