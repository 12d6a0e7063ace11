//! Upstream failures, sorted into the kinds a user can act on.

use std::time::Duration;

/// Why a provider call failed. Messages are the upstream's own words where it gave some
/// (never a key: upstreams do not echo them, and we never add them).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The key was refused (401/403).
    #[error("the provider refused the API key: {0}")]
    Auth(String),
    /// Too many requests; try again after the delay when the upstream gave one.
    #[error("the provider is rate limiting requests{}: {message}", retry_hint(*.retry_after))]
    RateLimited {
        /// Upstream message.
        message: String,
        /// From `Retry-After` (or Gemini's `RetryInfo`).
        retry_after: Option<Duration>,
    },
    /// The account has no quota or credit left.
    #[error("the provider account has no quota left: {0}")]
    Quota(String),
    /// The model does not exist or this key cannot use it.
    #[error("unknown model: {0}")]
    UnknownModel(String),
    /// The prompt is longer than the model's context window.
    #[error("the conversation is too long for the model: {0}")]
    ContextTooLong(String),
    /// The upstream refused the request as malformed (a bad parameter value, …).
    #[error("the provider rejected the request: {0}")]
    BadRequest(String),
    /// The upstream did not answer, or stopped sending, in time.
    #[error("the provider did not respond in time")]
    Timeout,
    /// The connection failed or was cut before the answer ended.
    #[error("the connection to the provider failed: {0}")]
    Connection(String),
    /// The upstream sent something that is not its documented format.
    #[error("the provider sent a malformed stream: {0}")]
    Malformed(String),
    /// The upstream failed on its side (5xx, overloaded) or reported an error mid-stream.
    #[error("the provider failed (status {status}): {message}")]
    Upstream {
        /// HTTP status, or 0 for an error event inside a 200 stream.
        status: u16,
        /// Upstream message.
        message: String,
    },
}

fn retry_hint(after: Option<Duration>) -> String {
    after.map_or_else(String::new, |d| {
        format!(" (retry in {} s)", d.as_secs().max(1))
    })
}

impl ProviderError {
    /// A stable short code for logs, tests and API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Auth(_) => "provider_auth",
            Self::RateLimited { .. } => "provider_rate_limited",
            Self::Quota(_) => "provider_quota",
            Self::UnknownModel(_) => "provider_unknown_model",
            Self::ContextTooLong(_) => "provider_context_too_long",
            Self::BadRequest(_) => "provider_bad_request",
            Self::Timeout => "provider_timeout",
            Self::Connection(_) => "provider_connection",
            Self::Malformed(_) => "provider_malformed",
            Self::Upstream { .. } => "provider_error",
        }
    }

    /// Sorts an HTTP error answer. `kind_hint` is the upstream's own error type or code
    /// (`invalid_api_key`, `context_length_exceeded`, `not_found_error`, `RESOURCE_EXHAUSTED`, …)
    /// when its body had one.
    pub(crate) fn from_status(
        status: u16,
        kind_hint: &str,
        message: String,
        retry_after: Option<Duration>,
    ) -> Self {
        let hint = kind_hint.to_ascii_lowercase();
        let text = message.to_ascii_lowercase();
        let context = hint.contains("context_length")
            || text.contains("context length")
            || text.contains("context window")
            || text.contains("prompt is too long")
            || text.contains("maximum context")
            || text.contains("too many tokens")
            || text.contains("maximum number of tokens");
        let quota = hint.contains("insufficient_quota")
            || hint.contains("billing")
            || text.contains("credit balance")
            || text.contains("exceeded your current quota");
        let key = hint.contains("api_key")
            || hint.contains("authentication")
            || hint.contains("permission")
            || text.contains("api key");
        match status {
            401 | 403 => Self::Auth(message),
            402 => Self::Quota(message),
            // Gemini words per-minute limits as "exceeded your current quota" too, but sends a
            // retry delay with them.
            400 | 429 if quota && retry_after.is_none() => Self::Quota(message),
            429 => Self::RateLimited {
                message,
                retry_after,
            },
            404 => Self::UnknownModel(message),
            400 | 413 | 422 if context => Self::ContextTooLong(message),
            400 if key => Self::Auth(message),
            400 if hint.contains("model") || text.contains("model not found") => {
                Self::UnknownModel(message)
            }
            408 | 504 => Self::Timeout,
            400..=499 => Self::BadRequest(message),
            _ => Self::Upstream { status, message },
        }
    }
}

/// Reads a `Retry-After` header given in seconds.
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_sort_into_kinds() {
        let e = |s, h: &str, m: &str| ProviderError::from_status(s, h, m.into(), None);
        assert_eq!(e(401, "invalid_api_key", "bad").code(), "provider_auth");
        assert_eq!(
            e(429, "rate_limit_exceeded", "slow").code(),
            "provider_rate_limited"
        );
        assert_eq!(e(429, "insufficient_quota", "pay").code(), "provider_quota");
        assert_eq!(
            e(404, "model_not_found", "no").code(),
            "provider_unknown_model"
        );
        assert_eq!(
            e(400, "context_length_exceeded", "long").code(),
            "provider_context_too_long"
        );
        assert_eq!(
            e(
                400,
                "invalid_request_error",
                "prompt is too long: 300000 tokens"
            )
            .code(),
            "provider_context_too_long"
        );
        assert_eq!(
            e(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key."
            )
            .code(),
            "provider_auth"
        );
        assert_eq!(e(529, "overloaded_error", "busy").code(), "provider_error");
        assert_eq!(
            e(400, "invalid_request_error", "temperature").code(),
            "provider_bad_request"
        );
    }

    #[test]
    fn retry_hint_in_message() {
        let e = ProviderError::RateLimited {
            message: "slow down".into(),
            retry_after: Some(Duration::from_secs(20)),
        };
        assert_eq!(
            e.to_string(),
            "the provider is rate limiting requests (retry in 20 s): slow down"
        );
    }
}
