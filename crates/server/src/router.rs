//! The route table: every front door is merged here, and the shared middleware wraps it all.

use axum::Router;
use axum::response::IntoResponse;
use ferrochat_web::{ApiError, AppState, middleware};

use crate::ops;

/// Builds the complete router over the application state.
pub fn build_router(state: AppState) -> Router {
    Router::new()
        .merge(ops::router())
        .fallback(|| async { ApiError::route_not_found().into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .layer(axum::middleware::from_fn(middleware::observe))
        .with_state(state)
}
