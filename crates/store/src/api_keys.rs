//! Personal API keys.

use async_trait::async_trait;
use ferrochat_core::{ApiKey, ApiKeyId, UserId};

use crate::StoreResult;

/// Rows of `api_keys`.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a key with the hash of its token.
    async fn create_api_key(&self, key: &ApiKey, token_hash: &str) -> StoreResult<()>;

    /// A user's keys, oldest first.
    async fn api_keys(&self, user_id: UserId) -> StoreResult<Vec<ApiKey>>;

    /// The key whose token hashes to `token_hash`.
    async fn api_key_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiKey>>;

    /// Deletes one of a user's keys; `false` when there was none.
    async fn delete_api_key(&self, user_id: UserId, id: ApiKeyId) -> StoreResult<bool>;
}
