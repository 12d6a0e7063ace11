//! SQL text both engines accept, and the row types both decode into.
//!
//! SQLite and PostgreSQL agree on `$n` placeholders, `RETURNING`, `ON CONFLICT`, `BIGINT`
//! millisecond timestamps and `TEXT` IDs, so most statements are written once here and the
//! backend crates only bind and execute them. A statement that needs a dialect of its own lives
//! in its backend crate instead. Row types derive `FromRow` generically over the engine, which
//! keeps sqlx out of the domain types (`ferrochat-core`).

pub mod api_keys;
pub mod auth_tokens;
pub mod backup;
mod backup_impls;
pub mod chat;
mod chat_impls;
pub mod conversations;
pub mod digest;
mod digest_impls;
mod file_impls;
pub mod files;
pub mod hot;
pub mod organize;
mod organize_impls;
mod prompt_impls;
pub mod prompts;
pub mod search;
pub mod sessions;
mod share_impls;
mod shared_impls;
pub mod shares;
pub mod time;
pub mod two_factor;
pub mod usage;
mod usage_impls;
pub mod users;
mod webhook_impls;
pub mod webhooks;

use crate::{StoreError, StoreResult};

/// Maps "no row changed" to `NotFound` for statements that target one row by key.
pub fn expect_one(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
