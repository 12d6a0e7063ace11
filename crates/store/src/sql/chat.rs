//! Statements and row types of the chat engine's writes (`generations`).

use ferrochat_core::{Generation, Outcome};

use super::time::{from_millis, parse_id};
use crate::StoreError;

/// Updates a live conversation ($2 of user $1) at the start of a turn: endpoint $3, endpoint
/// type $4, model $5, settings $6, `updated_at` $7.
pub const ROUTE: &str = concat!(
    "UPDATE conversations SET endpoint = $3, endpoint_type = $4, model = $5, settings = $6, updated_at = $7 \
     WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ",
    "id, user_id, title, endpoint, endpoint_type, model, is_archived, settings, folder_id, created_at, updated_at, \
     expired_at"
);
/// Bumps `updated_at` ($3) of conversation $2 of user $1.
pub const TOUCH: &str = "UPDATE conversations SET updated_at = $3 WHERE user_id = $1 AND id = $2";
/// Sets title $3 of conversation $2 of user $1 while it is still the default.
pub const GENERATED_TITLE: &str = "UPDATE conversations SET title = $3 \
     WHERE user_id = $1 AND id = $2 AND title = 'New Chat' AND deleted_at IS NULL";
/// Inserts a generation record.
pub const INSERT_GENERATION: &str = "INSERT INTO generations (message_id, conversation_id, user_id, \
     endpoint, model, outcome, error_code, finish_reason, prompt_tokens, completion_tokens, \
     usage_reported, ttft_ms, duration_ms, token_cost, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
/// The generation record of message $2 of user $1.
pub const GENERATION: &str = "SELECT message_id, conversation_id, user_id, endpoint, model, outcome, \
     error_code, finish_reason, prompt_tokens, completion_tokens, usage_reported, ttft_ms, \
     duration_ms, token_cost, created_at FROM generations WHERE user_id = $1 AND message_id = $2";

/// A `generations` row.
#[derive(sqlx::FromRow)]
pub struct GenerationRow {
    message_id: String,
    conversation_id: String,
    user_id: String,
    endpoint: String,
    model: String,
    outcome: String,
    error_code: Option<String>,
    finish_reason: Option<String>,
    prompt_tokens: i64,
    completion_tokens: i64,
    usage_reported: bool,
    ttft_ms: Option<i64>,
    duration_ms: i64,
    token_cost: i64,
    created_at: i64,
}

impl TryFrom<GenerationRow> for Generation {
    type Error = StoreError;

    fn try_from(r: GenerationRow) -> Result<Self, StoreError> {
        Ok(Generation {
            message_id: parse_id(&r.message_id)?,
            conversation_id: parse_id(&r.conversation_id)?,
            user_id: parse_id(&r.user_id)?,
            endpoint: r.endpoint,
            model: r.model,
            outcome: Outcome::parse(&r.outcome).ok_or_else(|| {
                StoreError::Other(format!("unknown outcome `{}` in database", r.outcome).into())
            })?,
            error_code: r.error_code,
            finish_reason: r.finish_reason,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            usage_reported: r.usage_reported,
            ttft_ms: r.ttft_ms,
            duration_ms: r.duration_ms,
            token_cost: r.token_cost,
            created_at: from_millis(r.created_at)?,
        })
    }
}

/// Inserts or replaces key $2 of user $1: ciphertext $3, expiry $4, at $5.
pub const PUT_KEY: &str = "INSERT INTO user_keys (user_id, name, ciphertext, expires_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name) DO UPDATE SET \
     ciphertext = excluded.ciphertext, expires_at = excluded.expires_at, updated_at = excluded.updated_at";
/// Key $2 of user $1.
pub const KEY: &str =
    "SELECT ciphertext, expires_at FROM user_keys WHERE user_id = $1 AND name = $2";
/// Deletes key $2 of user $1.
pub const DELETE_KEY: &str = "DELETE FROM user_keys WHERE user_id = $1 AND name = $2";
/// Deletes every key of user $1.
pub const DELETE_KEYS: &str = "DELETE FROM user_keys WHERE user_id = $1";

/// The balance row of user $1.
pub const BALANCE: &str = "SELECT token_credits, last_refill FROM balances WHERE user_id = $1";
/// Creates user $1's balance with $2 credits at $3 unless it exists.
pub const CREATE_BALANCE: &str = "INSERT INTO balances (user_id, token_credits, last_refill, updated_at) \
     VALUES ($1, $2, $3, $3) ON CONFLICT (user_id) DO NOTHING";
/// Adds $2 credits to user $1's balance at $3 when its last refill is older than $4.
pub const REFILL: &str = "UPDATE balances SET token_credits = token_credits + $2, last_refill = $3, \
     updated_at = $3 WHERE user_id = $1 AND last_refill <= $4";
/// Debits $2 credits from user $1's balance at $3.
pub const DEBIT: &str = "UPDATE balances SET token_credits = token_credits - $2, updated_at = $3 \
     WHERE user_id = $1";
/// Adds $2 credits (negative: removes) to user $1's balance at $3.
pub const ADJUST: &str = "UPDATE balances SET token_credits = token_credits + $2, updated_at = $3 \
     WHERE user_id = $1";
