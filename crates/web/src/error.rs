//! The native API's error format: RFC 9457 problem details (`application/problem+json`) with a
//! stable machine-readable `code` from one table ([`ErrorCode`]).
//!
//! Every handler returns `Result<_, ApiError>`; services' errors convert with `From`, and the
//! status is chosen in exactly one `match` ([`ErrorCode::status`]). A 5xx logs its cause and
//! answers with a generic message, so internals never leak to clients.

use axum::Json;
use axum::response::{IntoResponse, Response};
use ferrochat_services::{FieldError, ServiceError};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::request_id;

/// The media type of every native error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:expr, $doc:literal),)*) => {
        /// Every error code the native API can return. The wire spelling (`code`) is part of
        /// the API contract: add codes freely, never rename or remove one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode {
            $(#[doc = $doc] $variant,)*
        }

        impl ErrorCode {
            /// All codes, in table order (docs and tests iterate it).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status this code is sent with.
            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// When to expect it, for `docs/errors.md`.
            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc,)* }
            }
        }
    };
}

/// tus' `460 Checksum Mismatch` (no constant in `http`).
const CHECKSUM_MISMATCH: StatusCode = match StatusCode::from_u16(460) {
    Ok(status) => status,
    Err(_) => StatusCode::BAD_REQUEST,
};

error_codes! {
    BadRequest => ("bad_request", StatusCode::BAD_REQUEST, "The request is malformed: unreadable JSON, a wrong content type or a bad query string."),
    ValidationFailed => ("validation_failed", StatusCode::UNPROCESSABLE_ENTITY, "One or more fields are invalid; `errors` lists each field and what is wrong."),
    Unauthenticated => ("unauthenticated", StatusCode::UNAUTHORIZED, "No valid credentials were sent, or they expired."),
    PasswordRequired => ("password_required", StatusCode::UNAUTHORIZED, "The resource (a shared link) is behind a password: send it in `X-Share-Password`; the detail says whether it was missing or wrong."),
    Forbidden => ("forbidden", StatusCode::FORBIDDEN, "The credentials are valid but do not allow this action."),
    NotFound => ("not_found", StatusCode::NOT_FOUND, "The resource does not exist or is not visible to the caller."),
    RouteNotFound => ("route_not_found", StatusCode::NOT_FOUND, "No route matches the request path."),
    MethodNotAllowed => ("method_not_allowed", StatusCode::METHOD_NOT_ALLOWED, "The route exists but not with this HTTP method."),
    Conflict => ("conflict", StatusCode::CONFLICT, "The change clashes with existing data, e.g. an email already registered."),
    InsufficientBalance => ("insufficient_balance", StatusCode::PAYMENT_REQUIRED, "Balances are on and the user's token credits cannot pay for the request."),
    PreconditionFailed => ("precondition_failed", StatusCode::PRECONDITION_FAILED, "A required protocol header is missing or names another version (tus uploads need `Tus-Resumable: 1.0.0`)."),
    PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE, "The request body exceeds the allowed size: a file larger than `files.max_file_size`, or more than the user's storage quota."),
    ChecksumMismatch => ("checksum_mismatch", CHECKSUM_MISMATCH, "The bytes of a tus upload do not match its `Upload-Checksum`; they were not kept, and the upload's offset is unchanged (status 460, tus' Checksum Mismatch)."),
    UnsupportedMediaType => ("unsupported_media_type", StatusCode::UNSUPPORTED_MEDIA_TYPE, "The body's `Content-Type` is not one the route takes (tus `PATCH` needs `application/offset+octet-stream`)."),
    RateLimited => ("rate_limited", StatusCode::TOO_MANY_REQUESTS, "Too many requests; `Retry-After` says when to try again."),
    Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR, "An unexpected server error; the `request_id` finds it in the logs."),
    Unavailable => ("unavailable", StatusCode::SERVICE_UNAVAILABLE, "A dependency (such as the database) is unavailable; retry later."),
}

/// An error on its way to becoming a problem-details response.
#[derive(Debug)]
pub struct ApiError {
    /// The table entry.
    pub code: ErrorCode,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// Field-level problems for `validation_failed`.
    pub errors: Vec<FieldError>,
}

impl ApiError {
    /// An error with a code and detail message.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// 404 for an unknown path.
    pub fn route_not_found() -> Self {
        Self::new(ErrorCode::RouteNotFound, "no route matches this path")
    }

    /// 405 for a known path with the wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            ErrorCode::MethodNotAllowed,
            "this route does not accept this method",
        )
    }

    /// 500 with a generic message; the caller logs the cause.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "an internal error occurred")
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(errors) => Self {
                code: ErrorCode::ValidationFailed,
                detail: "the request has invalid fields".into(),
                errors,
            },
            ServiceError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            ServiceError::Conflict { field } => {
                Self::new(ErrorCode::Conflict, format!("{field} is already in use"))
            }
            ServiceError::Forbidden(why) => Self::new(ErrorCode::Forbidden, why),
            ServiceError::InsufficientBalance { balance, cost } => Self::new(
                ErrorCode::InsufficientBalance,
                format!("{balance} credits left, about {cost} needed"),
            ),
            ServiceError::Unauthenticated => {
                Self::new(ErrorCode::Unauthenticated, "invalid credentials")
            }
            ServiceError::EmailNotVerified => {
                Self::new(ErrorCode::Forbidden, "the email address is not verified")
            }
            ServiceError::PasswordRequired { given } => Self::new(
                ErrorCode::PasswordRequired,
                if given {
                    "the password is wrong"
                } else {
                    "this link needs a password"
                },
            ),
            ServiceError::ChecksumMismatch => Self::new(
                ErrorCode::ChecksumMismatch,
                "the bytes do not match Upload-Checksum; they were not kept",
            ),
            ServiceError::TooLarge { what, limit } => Self::new(
                ErrorCode::PayloadTooLarge,
                format!("the {what} limit of {limit} bytes is exceeded"),
            ),
            ServiceError::Unavailable(reason) => {
                tracing::warn!(%reason, "dependency unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "a dependency is unavailable, retry later",
                )
            }
            ServiceError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                Self::internal()
            }
        }
    }
}

/// The RFC 9457 body.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: Vec<ProblemField<'a>>,
}

#[derive(Serialize)]
struct ProblemField<'a> {
    field: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = Problem {
            kind: format!("urn:ferrochat:error:{}", self.code.as_str()),
            title: status.canonical_reason().unwrap_or(match self.code {
                ErrorCode::ChecksumMismatch => "Checksum Mismatch",
                _ => "Error",
            }),
            status: status.as_u16(),
            detail: &self.detail,
            code: self.code.as_str(),
            request_id: request_id::current(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field,
                    message: &e.message,
                })
                .collect(),
        };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// Renders the error-code table as Markdown, for `docs/errors.md`.
pub fn markdown_table() -> String {
    let mut out = String::from("| Code | Status | Meaning |\n|---|---|---|\n");
    for code in ErrorCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            code.status().as_u16(),
            code.description()
        ));
    }
    out
}
