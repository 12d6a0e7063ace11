//! What the chat engine writes: the start of a turn (conversation upsert and the user's
//! message, together) and its end (the answer with its generation record, together), so a
//! crash between the two leaves the user's words stored and never half an answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, ConversationId, Generation, Message, UserId};

use crate::StoreResult;

/// The start of a turn.
#[derive(Clone, Copy, Debug)]
pub struct TurnStart<'a> {
    /// The conversation as it should be: inserted when `is_new`, otherwise its endpoint,
    /// endpoint type, model and settings are updated and `updated_at` bumped (scoped to
    /// `conversation.user_id`; `NotFound` when missing, foreign or deleted).
    pub conversation: &'a Conversation,
    /// Whether the conversation is new.
    pub is_new: bool,
    /// The user's message (none on regenerate, which reuses a stored one).
    pub user_message: Option<&'a Message>,
}

/// Writes of the chat engine.
#[async_trait]
pub trait ChatStore: Send + Sync {
    /// Stores the start of a turn in one transaction; returns the stored conversation.
    async fn start_turn(&self, start: TurnStart<'_>) -> StoreResult<Conversation>;

    /// Stores an answer and its generation record in one transaction and bumps the
    /// conversation's `updated_at` to `now`; with `debit`, the generation's `token_cost` is
    /// taken from the user's balance in the same transaction.
    async fn finish_turn(
        &self,
        answer: &Message,
        generation: &Generation,
        debit: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Sets the title of a conversation still titled `New Chat`; `false` when it was renamed
    /// meanwhile (or is gone). Does not bump `updated_at`.
    async fn set_generated_title(
        &self,
        user_id: UserId,
        id: ConversationId,
        title: &str,
    ) -> StoreResult<bool>;

    /// The generation record of an answer, if it has one.
    async fn generation(
        &self,
        user_id: UserId,
        message_id: ferrochat_core::MessageId,
    ) -> StoreResult<Option<Generation>>;
}

/// A stored user-provided key: ciphertext only (the services encrypt and decrypt).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// Encrypted value.
    pub ciphertext: String,
    /// When it stops being used, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Keys users bring for `user_provided` endpoints, one per user and endpoint.
#[async_trait]
pub trait UserKeyStore: Send + Sync {
    /// Inserts or replaces a key.
    async fn put_user_key(
        &self,
        user_id: UserId,
        name: &str,
        key: &StoredKey,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// A user's key for an endpoint.
    async fn user_key(&self, user_id: UserId, name: &str) -> StoreResult<Option<StoredKey>>;

    /// Removes one key; `false` if there was none.
    async fn delete_user_key(&self, user_id: UserId, name: &str) -> StoreResult<bool>;

    /// Removes all of a user's keys; returns how many.
    async fn delete_user_keys(&self, user_id: UserId) -> StoreResult<u64>;
}

/// A user's token balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    /// Credits left (may go below zero: an answer is charged in full).
    pub token_credits: i64,
    /// Last automatic refill (or creation).
    pub last_refill: DateTime<Utc>,
}

/// Token balances.
#[async_trait]
pub trait BalanceStore: Send + Sync {
    /// A user's balance, if one was created.
    async fn balance(&self, user_id: UserId) -> StoreResult<Option<Balance>>;

    /// Creates a balance with `credits` unless one exists.
    async fn create_balance(
        &self,
        user_id: UserId,
        credits: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Adds `amount` when the last refill is at or before `due`; `true` if it did (two
    /// instances racing refill once).
    async fn refill_balance(
        &self,
        user_id: UserId,
        amount: i64,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Adds (or with a negative amount removes) credits; `false` when there is no balance.
    async fn adjust_balance(
        &self,
        user_id: UserId,
        amount: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
