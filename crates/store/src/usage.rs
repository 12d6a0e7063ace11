//! Usage analytics: sums over the generation records (one per answer).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::UserId;

use crate::StoreResult;

/// How usage is broken down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageGroup {
    /// By UTC day (the key is the day's number since 1970-01-01).
    Day,
    /// By model.
    Model,
    /// By endpoint.
    Endpoint,
    /// By user (the key is the user's ID).
    User,
}

/// Which answers to sum.
#[derive(Clone, Copy, Debug)]
pub struct UsageQuery {
    /// Only this user's; `None`: everyone's.
    pub user: Option<UserId>,
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
    /// Breakdown; `None`: one row of totals (key `""`).
    pub group: Option<UsageGroup>,
}

/// Sums over a set of answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsageRow {
    /// The group's key (see [`UsageGroup`]); `""` for totals.
    pub key: String,
    /// Answers.
    pub answers: i64,
    /// Of which completed.
    pub completed: i64,
    /// Of which stopped by the user.
    pub aborted: i64,
    /// Of which failed.
    pub errors: i64,
    /// Prompt tokens.
    pub prompt_tokens: i64,
    /// Answer tokens.
    pub completion_tokens: i64,
    /// Credits charged.
    pub token_cost: i64,
    /// Mean time to first token, in ms, of the answers that had one.
    pub avg_ttft_ms: Option<f64>,
    /// Mean total time, in ms.
    pub avg_duration_ms: Option<f64>,
    /// Distinct users.
    pub users: i64,
}

/// Reads of the generation records.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Sums per group (ordered by key), or one row of totals; no row when nothing matched.
    async fn usage(&self, query: &UsageQuery) -> StoreResult<Vec<UsageRow>>;
}
