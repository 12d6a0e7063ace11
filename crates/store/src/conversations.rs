//! Conversations and messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{
    Conversation, ConversationId, FolderId, JsonText, Message, MessageId, UserId,
};

use crate::StoreResult;

/// Position after which a list page starts: the last row's `(updated_at, id)`.
pub type ConversationCursor = (DateTime<Utc>, ConversationId);

/// A change to a conversation; `None` fields stay as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConversationChange<'a> {
    /// New title.
    pub title: Option<&'a str>,
    /// Archive (`true`) or bring back to the main list (`false`).
    pub is_archived: Option<bool>,
    /// New settings object, replacing the stored one whole.
    pub settings: Option<&'a JsonText>,
}

/// Which conversations a list page holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConversationFilter<'a> {
    /// Archived ones only, or unarchived ones only.
    pub archived: bool,
    /// Only those in this folder.
    pub folder: Option<FolderId>,
    /// Only those carrying any of these bookmarks (by name); empty means no tag filter.
    pub tags: &'a [String],
    /// Only those whose title contains every one of these terms, or holding a message that
    /// matches them (see [`crate::SearchStore`]); `None` means no search. The terms are
    /// lower-case letters and digits; an empty list matches nothing.
    pub search: Option<&'a [String]>,
}

/// Rows of `conversations` and `messages`. Every read and write is scoped by owner, so a
/// foreign ID behaves exactly like a missing one.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Inserts a conversation (`Conflict` if the ID exists).
    async fn create_conversation(&self, conversation: &Conversation) -> StoreResult<()>;

    /// A user's live (not soft-deleted) conversation.
    async fn conversation(&self, user_id: UserId, id: ConversationId) -> StoreResult<Conversation>;

    /// Up to `limit` live conversations matching `filter`, newest change first, strictly after
    /// `after`.
    async fn list_conversations(
        &self,
        user_id: UserId,
        filter: &ConversationFilter<'_>,
        after: Option<ConversationCursor>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>>;

    /// Inserts a conversation with its messages in one transaction (duplicate, fork, import):
    /// either all of it is stored or none.
    async fn create_conversation_with_messages(
        &self,
        conversation: &Conversation,
        messages: &[Message],
    ) -> StoreResult<()>;

    /// Puts a live conversation into a folder of the same user, or (with `None`) out of any;
    /// `NotFound` when either is missing or foreign. Filing is not a change of the conversation:
    /// `updated_at`, and so its place in the list, stays.
    async fn move_conversation(
        &self,
        user_id: UserId,
        id: ConversationId,
        folder: Option<FolderId>,
    ) -> StoreResult<Conversation>;

    /// Applies a change; returns the updated conversation.
    async fn update_conversation(
        &self,
        user_id: UserId,
        id: ConversationId,
        change: ConversationChange<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Conversation>;

    /// Soft-deletes one conversation; `false` if there was no live one.
    async fn soft_delete_conversation(
        &self,
        user_id: UserId,
        id: ConversationId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Soft-deletes all of a user's conversations; returns how many.
    async fn soft_delete_all_conversations(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Brings a soft-deleted conversation back; `false` if there was none.
    async fn restore_conversation(&self, user_id: UserId, id: ConversationId) -> StoreResult<bool>;

    /// Removes conversations soft-deleted before `before`, with their messages.
    async fn purge_deleted_conversations(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Removes temporary conversations whose expiry is before `now` (with their messages);
    /// returns how many.
    async fn purge_expired_conversations(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Inserts a message.
    async fn create_message(&self, message: &Message) -> StoreResult<()>;

    /// One message.
    async fn message(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
        id: MessageId,
    ) -> StoreResult<Message>;

    /// Replaces a message's text, content parts and token count.
    #[allow(clippy::too_many_arguments)]
    async fn update_message(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
        id: MessageId,
        text: &str,
        content: Option<&serde_json::Value>,
        token_count: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<Message>;

    /// Sets (or clears) a message's feedback.
    async fn set_message_feedback(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
        id: MessageId,
        feedback: Option<&serde_json::Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<Message>;

    /// Deletes these messages of a conversation in one transaction; returns how many went.
    async fn delete_messages(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
        ids: &[MessageId],
    ) -> StoreResult<u64>;

    /// Up to `limit` of a conversation's messages in tree order (creation time, then ID),
    /// strictly after `after`.
    async fn messages_page(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
        after: Option<(DateTime<Utc>, MessageId)>,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;

    /// A conversation's whole message tree, parents first, in one query.
    async fn messages(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
    ) -> StoreResult<Vec<Message>>;
}
