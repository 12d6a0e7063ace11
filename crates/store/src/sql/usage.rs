//! Statements and rows of usage analytics (over `generations`).

use crate::{UsageGroup, UsageQuery};

/// Sums of the answers in [$1, $2) (of user $3 when the query names one), per group.
pub fn usage(query: &UsageQuery) -> String {
    let key = match query.group {
        None => "''",
        Some(UsageGroup::Day) => "CAST(created_at / 86400000 AS TEXT)",
        Some(UsageGroup::Model) => "model",
        Some(UsageGroup::Endpoint) => "endpoint",
        Some(UsageGroup::User) => "user_id",
    };
    let user = if query.user.is_some() {
        " AND user_id = $3"
    } else {
        ""
    };
    let group = if query.group.is_some() {
        " GROUP BY 1 ORDER BY 1"
    } else {
        ""
    };
    // Sums and means are cast: PostgreSQL sums bigints into numeric.
    format!(
        "SELECT {key} AS key, count(*) AS answers, \
         CAST(coalesce(sum(CASE WHEN outcome = 'completed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS completed, \
         CAST(coalesce(sum(CASE WHEN outcome = 'aborted' THEN 1 ELSE 0 END), 0) AS BIGINT) AS aborted, \
         CAST(coalesce(sum(CASE WHEN outcome = 'error' THEN 1 ELSE 0 END), 0) AS BIGINT) AS errors, \
         CAST(coalesce(sum(prompt_tokens), 0) AS BIGINT) AS prompt_tokens, \
         CAST(coalesce(sum(completion_tokens), 0) AS BIGINT) AS completion_tokens, \
         CAST(coalesce(sum(token_cost), 0) AS BIGINT) AS token_cost, \
         CAST(avg(ttft_ms) AS DOUBLE PRECISION) AS avg_ttft_ms, \
         CAST(avg(duration_ms) AS DOUBLE PRECISION) AS avg_duration_ms, \
         count(DISTINCT user_id) AS users \
         FROM generations WHERE created_at >= $1 AND created_at < $2{user}{group}"
    )
}

/// A row of [`usage`].
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct UsageRowSql {
    pub key: String,
    pub answers: i64,
    pub completed: i64,
    pub aborted: i64,
    pub errors: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub token_cost: i64,
    pub avg_ttft_ms: Option<f64>,
    pub avg_duration_ms: Option<f64>,
    pub users: i64,
}

impl From<UsageRowSql> for crate::UsageRow {
    fn from(r: UsageRowSql) -> Self {
        crate::UsageRow {
            key: r.key,
            answers: r.answers,
            completed: r.completed,
            aborted: r.aborted,
            errors: r.errors,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            token_cost: r.token_cost,
            avg_ttft_ms: r.avg_ttft_ms,
            avg_duration_ms: r.avg_duration_ms,
            users: r.users,
        }
    }
}
