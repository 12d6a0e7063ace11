//! Conversations and their messages: listing with stable cursors, renaming, archiving, soft
//! delete and restore. Every call is scoped to its owner; another user's ID is `NotFound`,
//! exactly like a missing one, so IDs leak nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, ConversationId, Message, UserId};
use ferrochat_store::{DynStore, StoreError};

use crate::{Clock, ServiceError, ServiceResult};

/// Default page size (LibreChat's).
pub const DEFAULT_PAGE: u32 = 25;
/// Largest page.
pub const MAX_PAGE: u32 = 100;
/// Longest title.
pub const TITLE_MAX: usize = 200;

/// One page of conversations.
#[derive(Clone, Debug)]
pub struct ConversationPage {
    /// The conversations, most recently changed first.
    pub conversations: Vec<Conversation>,
    /// Opaque cursor for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Conversation rules.
#[derive(Clone)]
pub struct ConversationService {
    store: DynStore,
    clock: Arc<dyn Clock>,
}

fn not_found(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("conversation"),
        other => other.into(),
    }
}

/// Cursor text: `<updated_at ms>_<conversation id>`. Opaque to clients.
fn encode_cursor(c: &Conversation) -> String {
    format!("{}_{}", c.updated_at.timestamp_millis(), c.id)
}

fn decode_cursor(text: &str) -> ServiceResult<(DateTime<Utc>, ConversationId)> {
    let bad = || ServiceError::invalid("cursor", "is not a cursor from this server");
    let (ms, id) = text.split_once('_').ok_or_else(bad)?;
    let at = ms
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

impl ConversationService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Stores a new conversation for `user`.
    pub async fn create(
        &self,
        user: UserId,
        mut conversation: Conversation,
    ) -> ServiceResult<Conversation> {
        conversation.user_id = user;
        let title = conversation.title.trim();
        conversation.title = if title.is_empty() {
            "New Chat".into()
        } else {
            title.chars().take(TITLE_MAX).collect()
        };
        self.store
            .create_conversation(&conversation)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    field: "conversationId",
                },
                other => other.into(),
            })?;
        Ok(conversation)
    }

    /// A page of live conversations, archived or not. The cursor is keyset-based, so inserts
    /// and deletes between pages neither skip nor repeat rows.
    pub async fn list(
        &self,
        user: UserId,
        archived: bool,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<ConversationPage> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let after = cursor.map(decode_cursor).transpose()?;
        let mut rows = self
            .store
            .list_conversations(user, archived, after, limit + 1)
            .await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = if more {
            rows.last().map(encode_cursor)
        } else {
            None
        };
        Ok(ConversationPage {
            conversations: rows,
            next_cursor,
        })
    }

    /// One conversation.
    pub async fn get(&self, user: UserId, id: ConversationId) -> ServiceResult<Conversation> {
        self.store.conversation(user, id).await.map_err(not_found)
    }

    /// Renames and/or archives.
    pub async fn update(
        &self,
        user: UserId,
        id: ConversationId,
        title: Option<&str>,
        is_archived: Option<bool>,
    ) -> ServiceResult<Conversation> {
        let title = title.map(str::trim);
        if let Some(t) = title
            && (t.is_empty() || t.chars().count() > TITLE_MAX || t.chars().any(char::is_control))
        {
            return Err(ServiceError::invalid(
                "title",
                format!("must be 1 to {TITLE_MAX} characters"),
            ));
        }
        self.store
            .update_conversation(user, id, title, is_archived, self.clock.now())
            .await
            .map_err(not_found)
    }

    /// Soft-deletes one conversation; `false` when there was nothing to delete.
    pub async fn delete(&self, user: UserId, id: ConversationId) -> ServiceResult<bool> {
        Ok(self
            .store
            .soft_delete_conversation(user, id, self.clock.now())
            .await?)
    }

    /// Soft-deletes every conversation of the user.
    pub async fn delete_all(&self, user: UserId) -> ServiceResult<u64> {
        Ok(self
            .store
            .soft_delete_all_conversations(user, self.clock.now())
            .await?)
    }

    /// Brings back a soft-deleted conversation.
    pub async fn restore(&self, user: UserId, id: ConversationId) -> ServiceResult<Conversation> {
        if !self.store.restore_conversation(user, id).await? {
            return Err(ServiceError::NotFound("conversation"));
        }
        self.get(user, id).await
    }

    /// Removes conversations soft-deleted longer than `retention` ago, with their messages.
    pub async fn purge(&self, retention: Duration) -> ServiceResult<u64> {
        let retention = chrono::Duration::from_std(retention)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        Ok(self
            .store
            .purge_deleted_conversations(self.clock.now() - retention)
            .await?)
    }

    /// The conversation's whole message tree, parents first; `NotFound` if the conversation is
    /// not the user's.
    pub async fn messages(&self, user: UserId, id: ConversationId) -> ServiceResult<Vec<Message>> {
        self.get(user, id).await?;
        Ok(self.store.messages(user, id).await?)
    }

    /// Stores a message in one of the user's conversations.
    pub async fn add_message(&self, user: UserId, mut message: Message) -> ServiceResult<Message> {
        self.get(user, message.conversation_id).await?;
        message.user_id = user;
        self.store
            .create_message(&message)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict { field: "messageId" },
                other => other.into(),
            })?;
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_invalid() {
        let id = ConversationId::new();
        let at = DateTime::from_timestamp_millis(1_764_000_000_123).unwrap_or_default();
        let text = format!("{}_{}", at.timestamp_millis(), id);
        assert_eq!(decode_cursor(&text).ok(), Some((at, id)));
        for bad in [
            "",
            "x",
            "12_notauuid",
            "abc_0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
