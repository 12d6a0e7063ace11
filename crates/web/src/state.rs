//! What every handler can reach.

use std::sync::Arc;

use ferrochat_config::{Config, Secrets};
use ferrochat_services::Services;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

/// Shared application state, cloned into each request (every field is a cheap handle).
#[derive(Clone)]
pub struct AppState {
    /// The business rules. Behind an `Arc`: axum clones the state for every extractor of
    /// every request, and the services hold keys and validation sets not worth copying.
    pub services: Arc<Services>,
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Signing and encryption keys.
    pub secrets: Arc<Secrets>,
    /// Cancelled when shutdown begins; long-lived responses (streams) watch it to finish early.
    pub shutdown: CancellationToken,
    /// Rate limits for the sensitive routes.
    pub limits: crate::RateLimits,
    /// Who is online: the open event sockets of every user (shared through Redis when set).
    pub presence: Arc<dyn ferrochat_cache::Presence>,
    /// Renders `/metrics`; `None` when metrics are disabled.
    pub metrics: Option<PrometheusHandle>,
}
