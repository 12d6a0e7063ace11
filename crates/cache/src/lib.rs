//! Shared state for ferrochat: rate limits, who is online (presence), and the pub/sub channel
//! that carries events between instances.
//!
//! Every counter has two homes behind one trait: process memory (the single-machine default)
//! and Redis (shared by every instance behind a load balancer, so a limit of 7 logins means 7
//! across the cluster, not 7 per instance).
#![warn(missing_docs)]

mod memory;
mod presence;
mod pubsub;
mod redis_backend;

use std::time::Duration;

use async_trait::async_trait;

pub use memory::MemoryLimiter;
pub use presence::{Device, MemoryPresence, Online, Presence, RedisPresence, STALE};
pub use pubsub::RedisChannel;
pub use redis_backend::RedisLimiter;

/// At most `max` hits per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Hits allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// The outcome of one hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Within the quota; `remaining` more hits fit in this window.
    Allowed {
        /// Hits left in the current window.
        remaining: u32,
        /// Time until the window resets.
        reset_in: Duration,
    },
    /// Over the quota; the window resets after `retry_after`.
    Limited {
        /// Time until the window resets.
        retry_after: Duration,
    },
}

/// Why a counter could not be consulted.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// A connection to `url` that reconnects by itself, shared by the Redis-backed parts.
async fn manager(url: &str) -> Result<redis::aio::ConnectionManager, CacheError> {
    let client = redis::Client::open(url)?;
    Ok(redis::aio::ConnectionManager::new(client).await?)
}

/// Fixed-window rate limiting keyed by an arbitrary string (`login:ip:192.0.2.1`).
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit against `key` and says whether it fits `quota`.
    async fn hit(&self, key: &str, quota: Quota) -> Result<Decision, CacheError>;

    /// Forgets `key` (a successful login clears the failed-attempt count of its account).
    async fn reset(&self, key: &str) -> Result<(), CacheError>;
}

/// Turns a count within a window into a decision.
fn decide(count: u64, quota: Quota, reset_in: Duration) -> Decision {
    if count > u64::from(quota.max) {
        // Never advise retrying "now": a zero Retry-After invites a hot loop.
        Decision::Limited {
            retry_after: reset_in.max(Duration::from_secs(1)),
        }
    } else {
        Decision::Allowed {
            remaining: quota.max - u32::try_from(count).unwrap_or(quota.max),
            reset_in,
        }
    }
}
