//! Full-text search over a user's messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Message, MessageId, UserId};

use crate::StoreResult;

/// Position after which a page of hits starts: the last hit's `(created_at, id)`.
pub type SearchCursor = (DateTime<Utc>, MessageId);

/// A message that matched, with what a result list shows of its conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageHit {
    /// The message, as stored.
    pub message: Message,
    /// Its conversation's title.
    pub conversation_title: String,
    /// Its conversation's model.
    pub conversation_model: Option<String>,
    /// Its conversation's endpoint.
    pub conversation_endpoint: Option<String>,
}

/// Search over message text: the text a user typed, and the text parts of an answer's content
/// (reasoning and error parts are not searched).
///
/// `terms` are lower-case words of letters and digits only (the services split a query into
/// them, so no engine has to escape anything); a message matches when every term starts one of
/// its words. Hits come from the user's live conversations (archived ones included; deleted
/// and temporary ones not), newest first.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Up to `limit` hits for `terms`, strictly after `after`.
    async fn search_messages(
        &self,
        user_id: UserId,
        terms: &[String],
        after: Option<SearchCursor>,
        limit: u32,
    ) -> StoreResult<Vec<MessageHit>>;

    /// Brings the search index up to date with every message written so far; returns how many
    /// messages it (re)indexed. An engine that indexes as it writes returns 0. The engine runs
    /// it in the background.
    async fn index_pending(&self) -> StoreResult<u64>;

    /// What a search runs before it reads: [`SearchStore::index_pending`] when little is
    /// pending; nothing after a large import, so the search answers from what is indexed so far
    /// rather than waiting for all of it (the background indexing catches up). Returns how many
    /// messages it indexed.
    async fn flush_for_search(&self) -> StoreResult<u64>;
}
