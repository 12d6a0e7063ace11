//! Weekly digest subscriptions and what a digest reports about a user's week.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{ConversationId, UserId};

use crate::StoreResult;

/// A subscriber whose digest for a week is not claimed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestRecipient {
    /// The user.
    pub user_id: UserId,
    /// Where the digest goes.
    pub email: String,
    /// How it greets them.
    pub name: String,
    /// The start of the last week claimed for them.
    pub last_week: DateTime<Utc>,
}

/// A conversation the user wrote in during a period, with how many messages it gained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveConversation {
    /// The conversation.
    pub id: ConversationId,
    /// Its title.
    pub title: String,
    /// Messages (questions and answers) created in the period.
    pub messages: i64,
}

/// The `digest_subscriptions` table and the reads a digest makes.
#[async_trait]
pub trait DigestStore: Send + Sync {
    /// Subscribes the user (no-op when subscribed); `week` is the last week that counts as
    /// already sent, so the first digest covers a week after subscribing.
    async fn subscribe_digest(
        &self,
        user_id: UserId,
        week: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Unsubscribes the user; `false` when they were not subscribed.
    async fn unsubscribe_digest(&self, user_id: UserId) -> StoreResult<bool>;

    /// When the user subscribed, if they are subscribed.
    async fn digest_subscription(&self, user_id: UserId) -> StoreResult<Option<DateTime<Utc>>>;

    /// Up to `limit` subscribers (not banned) whose last claimed week is before `week`, in
    /// (last week, ID) order, after `after` (the previous page's last recipient's).
    async fn digest_due(
        &self,
        week: DateTime<Utc>,
        after: Option<(DateTime<Utc>, UserId)>,
        limit: u32,
    ) -> StoreResult<Vec<DigestRecipient>>;

    /// Claims `week` for the user if an earlier week was their last (compare-and-swap); `false`
    /// when another instance claimed it first or they unsubscribed.
    async fn claim_digest(&self, user_id: UserId, week: DateTime<Utc>) -> StoreResult<bool>;

    /// Gives a claim back (the digest could not be sent): `week` becomes `previous` again, so a
    /// later run retries it.
    async fn release_digest(
        &self,
        user_id: UserId,
        week: DateTime<Utc>,
        previous: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The user's conversations (not deleted, not temporary) that gained messages in
    /// `[from, to)`, the busiest first, at most `limit`.
    async fn active_conversations(
        &self,
        user_id: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ActiveConversation>>;
}
