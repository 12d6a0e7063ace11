//! Request ids: taken from the caller's `x-request-id` when it is sane, generated otherwise,
//! echoed on every response, attached to every log line of the request and put in every error
//! body, so a user's bug report leads straight to the logs.

use std::future::Future;

use http::HeaderValue;

/// The header carrying the id in both directions.
pub const HEADER: &str = "x-request-id";

/// Longest caller-supplied id we accept; anything longer (or with odd bytes) is replaced.
const MAX_LEN: usize = 128;

/// The current request's id, stored in request extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// Reuses the incoming header when it is 1-128 visible ASCII characters; otherwise makes a
    /// new time-ordered UUID. Never trusts arbitrary bytes into logs.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= MAX_LEN)
            .filter(|v| v.bytes().all(|b| b.is_ascii_graphic()))
            .map(|v| RequestId(v.to_owned()))
            .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()))
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// Runs `fut` with `id` as the current request id (see [`current`]).
pub async fn scope<F: Future>(id: RequestId, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

/// The id of the request being handled on this task, if any. Error responses use it so they
/// need not be handed the request.
pub fn current() -> Option<String> {
    CURRENT.try_with(|id| id.0.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sane_ids_are_kept_and_odd_ones_replaced() {
        let keep = HeaderValue::from_static("abc-123");
        assert_eq!(RequestId::from_header(Some(&keep)).0, "abc-123");
        let spaced = HeaderValue::from_static("has space");
        assert_ne!(RequestId::from_header(Some(&spaced)).0, "has space");
        let long = HeaderValue::from_str(&"a".repeat(200)).unwrap();
        assert_eq!(RequestId::from_header(Some(&long)).0.len(), 36);
        assert_eq!(RequestId::from_header(None).0.len(), 36);
    }
}
