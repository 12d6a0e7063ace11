//! Operational endpoints: liveness, readiness and Prometheus metrics. They sit outside `/api`
//! so a load balancer or scraper needs no credentials.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ferrochat_web::{ApiError, AppState, ErrorCode};
use http::{StatusCode, header};
use serde_json::json;

/// How long `/ready` waits for the database before declaring it unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Gauge of pooled connections by state (`idle`, `in_use`).
pub const POOL_CONNECTIONS_METRIC: &str = "ferrochat_db_pool_connections";
/// Gauge of the configured pool maximum.
pub const POOL_MAX_METRIC: &str = "ferrochat_db_pool_max_connections";
/// Gauge of chat generations running now.
pub const LIVE_GENERATIONS_METRIC: &str = "ferrochat_chat_live_generations";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// Liveness: the process is up and serving. Touches nothing else, so a slow database never
/// gets a healthy process restarted. The body is the text `OK` because the LibreChat client
/// polls this path and that is what its server answers.
async fn health() -> &'static str {
    "OK"
}

/// Readiness: the database answers. Load balancers stop routing here while it fails.
async fn ready(State(state): State<AppState>) -> Response {
    let store = &state.services.store;
    match tokio::time::timeout(READY_TIMEOUT, store.ping()).await {
        Ok(Ok(())) => {
            Json(json!({ "status": "ready", "database": store.engine().as_str() })).into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::new(ErrorCode::Unavailable, "database unreachable").into_response()
        }
        Err(_) => {
            ApiError::new(ErrorCode::Unavailable, "database did not answer in time").into_response()
        }
    }
}

/// Prometheus text exposition. Pool gauges are sampled at scrape time, which is exactly when
/// they are read.
async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = &state.metrics else {
        return ApiError::route_not_found().into_response();
    };
    let store = &state.services.store;
    let stats = store.pool_stats();
    let engine = store.engine().as_str();
    let in_use = stats.size.saturating_sub(stats.idle);
    metrics::gauge!(POOL_CONNECTIONS_METRIC, "engine" => engine, "state" => "idle")
        .set(f64::from(stats.idle));
    metrics::gauge!(POOL_CONNECTIONS_METRIC, "engine" => engine, "state" => "in_use")
        .set(f64::from(in_use));
    metrics::gauge!(POOL_MAX_METRIC, "engine" => engine).set(f64::from(stats.max));
    // Generations running now: tasks, channels and upstream connections in flight. It returns
    // to 0 when streams end, so a climb without load is a leak.
    metrics::gauge!(LIVE_GENERATIONS_METRIC).set(state.services.chat.live_generations() as f64);
    handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
