//! The middleware every request passes through: request id, tracing span, HTTP metrics and
//! panic containment, in one function so their order is visible in one place.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt as _;
use http::HeaderValue;
use tracing::Instrument as _;

use crate::ApiError;
use crate::request_id::{self, RequestId};

/// Counter of finished requests, labelled by method, route and status.
pub const REQUESTS_METRIC: &str = "ferrochat_http_requests_total";
/// Histogram of request latency in seconds, same labels.
pub const LATENCY_METRIC: &str = "ferrochat_http_request_duration_seconds";

/// Wraps a request: assigns its id, opens its span, catches a panicking handler (answering 500
/// with the request id while the process keeps serving), records metrics and echoes the id.
///
/// Install with `Router::layer` so that `MatchedPath` is known here: metrics are labelled by
/// route template (`/api/convos/{id}`), never by raw path, which would let clients create
/// unbounded label sets.
pub async fn observe(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = RequestId::from_header(req.headers().get(request_id::HEADER));
    req.extensions_mut().insert(id.clone());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id.0, %method, route = %route);

    let handled = request_id::scope(id.clone(), AssertUnwindSafe(next.run(req)).catch_unwind())
        .instrument(span.clone())
        .await;
    let mut response = match handled {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            span.in_scope(|| tracing::error!(panic = %message, "handler panicked"));
            request_id::scope(id.clone(), async { ApiError::internal().into_response() }).await
        }
    };

    let status = response.status().as_u16().to_string();
    let elapsed = start.elapsed();
    let labels = [
        ("method", method.to_string()),
        ("route", route),
        ("status", status),
    ];
    metrics::counter!(REQUESTS_METRIC, &labels).increment(1);
    metrics::histogram!(LATENCY_METRIC, &labels).record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            ms = elapsed.as_secs_f64() * 1000.0,
            "done"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    response
}
