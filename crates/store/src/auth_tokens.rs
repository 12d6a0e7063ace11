//! Mailed single-use tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{AuthToken, AuthTokenId, TokenPurpose, UserId};

use crate::StoreResult;

/// Rows of the `auth_tokens` table.
#[async_trait]
pub trait AuthTokenStore: Send + Sync {
    /// Replaces the user's tokens of this purpose with `token` (only the newest link works).
    async fn replace_auth_token(&self, token: &AuthToken) -> StoreResult<()>;

    /// The user's unspent, unexpired tokens of a purpose.
    async fn live_auth_tokens(
        &self,
        user_id: UserId,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AuthToken>>;

    /// Marks a token spent; `false` if it already was.
    async fn spend_auth_token(&self, id: AuthTokenId, now: DateTime<Utc>) -> StoreResult<bool>;
}
