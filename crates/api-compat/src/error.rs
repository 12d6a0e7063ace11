//! LibreChat's error bodies: `{"message": …}` JSON, or plain text where its server sends text
//! and the client depends on it (§10).

use std::time::Duration;

use axum::Json;
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

/// An error in LibreChat's shape.
#[derive(Debug)]
pub struct CompatError {
    status: StatusCode,
    pub(crate) message: String,
    retry_after: Option<Duration>,
}

impl CompatError {
    /// `{"message": …}` with a status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429 with `Retry-After` (whole seconds, rounded up).
    pub fn rate_limited(retry_after: Duration) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "Too many attempts, please try again later.".into(),
            retry_after: Some(retry_after),
        }
    }

    /// The generic mapping for authenticated REST routes. Routes whose statuses differ
    /// (login answers 404 for bad credentials) map those cases first.
    pub fn from_service(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(fields) => {
                let text: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect();
                Self::new(StatusCode::BAD_REQUEST, text.join("; "))
            }
            ServiceError::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
            }
            ServiceError::Conflict { field } => {
                Self::new(StatusCode::CONFLICT, format!("{field} is already in use"))
            }
            ServiceError::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, "Unauthorized"),
            ServiceError::EmailNotVerified => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Email not verified")
            }
            ServiceError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, why),
            ServiceError::ChecksumMismatch => Self::new(
                StatusCode::BAD_REQUEST,
                "The bytes do not match their checksum",
            ),
            // 403, not 401: the client answers a 401 by refreshing its session.
            ServiceError::PasswordRequired { given } => Self::new(
                StatusCode::FORBIDDEN,
                if given {
                    "The password is wrong"
                } else {
                    "This shared link needs a password"
                },
            ),
            ServiceError::InsufficientBalance { balance, cost } => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                format!("Insufficient balance: {balance} credits left, about {cost} needed"),
            ),
            ServiceError::TooLarge { what, limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The {what} limit of {limit} bytes is exceeded"),
            ),
            ServiceError::Unavailable(reason) => {
                tracing::warn!(%reason, "dependency unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable, please retry",
                )
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
        }
    }
}

impl IntoResponse for CompatError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "message": self.message }))).into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
