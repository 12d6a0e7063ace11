//! The route table: every front door is merged here, and the shared middleware wraps it all.

use axum::Router;
use axum::response::IntoResponse;
use ferrochat_web::{ApiError, AppState, middleware, security};

use crate::{client, ops};

/// Builds the complete router over the application state.
pub fn build_router(state: AppState) -> Router {
    let v1 = ferrochat_api_v1::router().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        ferrochat_web::limits::api_rate_headers,
    ));
    let routes = Router::new()
        .merge(ops::router())
        .merge(ferrochat_api_compat::router())
        .merge(v1)
        .merge(ferrochat_realtime::router())
        .merge(ferrochat_api_graphql::router());
    client::with_client(routes, state.config.client_dir.as_deref())
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .with_state(state)
        // The API reference needs no state.
        .merge(ferrochat_api_v1::docs::router())
        .layer(axum::middleware::from_fn(middleware::observe))
        // Outermost, so even a contained panic's 500 carries the security headers.
        .layer(axum::middleware::from_fn(security::headers))
}
