//! Connection-pool settings and statistics shared by both engines.

use std::time::Duration;

/// How a backend sizes and times its pool. Filled from configuration by the server.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Upper bound on open connections.
    pub max_connections: u32,
    /// How long a caller waits for a free connection before `StoreError::Unavailable`.
    pub acquire_timeout: Duration,
    /// Idle connections older than this are closed; `None` keeps them.
    pub idle_timeout: Option<Duration>,
    /// Statements running longer are cancelled with `StoreError::Timeout`.
    pub statement_timeout: Option<Duration>,
    /// Statements slower than this are logged with their duration (the query profiler).
    pub slow_query_threshold: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(600)),
            statement_timeout: Some(Duration::from_secs(30)),
            slow_query_threshold: Duration::from_millis(200),
        }
    }
}

/// A snapshot of pool usage, exported on `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections currently open.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Configured maximum.
    pub max: u32,
}
