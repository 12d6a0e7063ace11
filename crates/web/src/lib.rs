//! HTTP pieces shared by every front door: the application state, the native error format
//! (RFC 9457 problem details with stable codes), request ids and the observing middleware.
//!
//! Nothing here knows a route of its own; `ferrochat-server` assembles the routers. Business
//! rules stay in `ferrochat-services`: this crate only translates between HTTP and them.
#![warn(missing_docs)]

pub mod auth;
pub mod client;
pub mod download;
pub mod error;
pub mod json;
pub mod limits;
pub mod middleware;
pub mod request_id;
pub mod security;
pub mod share;
mod state;

pub use auth::{AdminUser, AuthUser, MaybeUser};
pub use client::Client;
pub use error::{ApiError, ErrorCode};
pub use ferrochat_cache::{Device, Online, Presence};
pub use limits::{RateLimits, Rule};
pub use request_id::RequestId;
pub use state::AppState;
