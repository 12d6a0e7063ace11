//! Who is calling: the client IP (for rate limits and session records) and user agent.
//!
//! The IP comes from the socket unless `CLIENT_IP_HEADER` names a header set by a trusted
//! reverse proxy. For `X-Forwarded-For` the *last* entry is used: it is the one the proxy
//! appended; earlier entries are whatever the client claimed.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use ferrochat_services::auth::ClientInfo;
use http::header;
use http::request::Parts;

use crate::AppState;

/// Longest user agent kept on a session record.
const USER_AGENT_MAX: usize = 256;

/// The calling client's address and user agent.
#[derive(Clone, Debug)]
pub struct Client(pub ClientInfo);

impl Client {
    /// The IP, or `unknown` when it cannot be determined (rate limits then share one bucket,
    /// which fails safe).
    pub fn ip(&self) -> &str {
        self.0.ip.as_deref().unwrap_or("unknown")
    }
}

fn from_header(parts: &Parts, name: &str) -> Option<String> {
    let value = parts.headers.get(name)?.to_str().ok()?;
    let candidate = if name == "x-forwarded-for" {
        value.rsplit(',').next()?
    } else {
        value
    };
    let candidate = candidate.trim();
    candidate
        .parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let socket = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let ip = match &state.config.server.client_ip_header {
            Some(name) => from_header(parts, name).or(socket),
            None => socket,
        };
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        Ok(Client(ClientInfo { ip, user_agent }))
    }
}
