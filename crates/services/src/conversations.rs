//! Conversations and their messages: listing with stable cursors, renaming, archiving, soft
//! delete and restore. Every call is scoped to its owner; another user's ID is `NotFound`,
//! exactly like a missing one, so IDs leak nothing.

use std::sync::Arc;
use std::time::Duration;

use ferrochat_core::{Conversation, ConversationId, JsonText, Message, MessageId, UserId};
use ferrochat_store::sql::conversations::MAX_TAG_FILTER;
use ferrochat_store::{ConversationChange, DynStore, StoreError};

/// Which conversations a list page holds (re-exported for the doors).
pub use ferrochat_store::ConversationFilter;
use serde_json::{Map, Value};

use crate::events::{Event, EventBus, EventKind};
use crate::{Clock, ServiceError, ServiceResult, paging};

/// Default page size (LibreChat's).
pub const DEFAULT_PAGE: u32 = 25;
/// Largest page.
pub const MAX_PAGE: u32 = 100;
/// Longest title.
pub const TITLE_MAX: usize = 200;
/// Largest settings object of a conversation, serialized.
pub const SETTINGS_MAX_BYTES: usize = 64 * 1024;

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
    pub(crate) store: DynStore,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: EventBus,
}

/// Trims a title and checks it is 1 to [`TITLE_MAX`] characters without control characters.
pub(crate) fn check_title(raw: &str) -> ServiceResult<String> {
    let mut checks = crate::validate::Checks::default();
    let title = crate::validate::label(raw, "title", TITLE_MAX, &mut checks);
    checks.finish()?;
    Ok(title)
}

fn not_found(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("conversation"),
        other => other.into(),
    }
}

/// Cursor of a conversation in the list: its `(updated_at, id)`.
fn encode_cursor(c: &Conversation) -> String {
    paging::cursor(c.updated_at, c.id)
}

impl ConversationService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, events: EventBus) -> Self {
        Self {
            store,
            clock,
            events,
        }
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
        self.events
            .conversation(user, EventKind::ConversationCreated, conversation.id);
        Ok(conversation)
    }

    /// A page of live conversations, archived or not. The cursor is keyset-based, so inserts
    /// and deletes between pages neither skip nor repeat rows.
    pub async fn list(
        &self,
        user: UserId,
        filter: &ConversationFilter<'_>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<ConversationPage> {
        let limit = paging::limit(limit, DEFAULT_PAGE, MAX_PAGE)?;
        if filter.tags.len() > MAX_TAG_FILTER {
            return Err(ServiceError::invalid(
                "tags",
                format!("at most {MAX_TAG_FILTER} bookmarks per filter"),
            ));
        }
        let after = cursor.map(paging::decode_cursor).transpose()?;
        let mut rows = self
            .store
            .list_conversations(user, filter, after, limit + 1)
            .await?;
        let next_cursor = paging::finish(&mut rows, limit, encode_cursor);
        Ok(ConversationPage {
            conversations: rows,
            next_cursor,
        })
    }

    /// One conversation, with its bookmarks.
    pub async fn get(&self, user: UserId, id: ConversationId) -> ServiceResult<Conversation> {
        let mut conversation = self.store.conversation(user, id).await.map_err(not_found)?;
        conversation.tags = self.store.conversation_tags(user, id).await?;
        Ok(conversation)
    }

    /// Renames and/or archives.
    ///
    /// `settings` is a patch over the stored settings (model parameters and the other fields
    /// the client keeps on a conversation): its keys replace the stored ones, `null` removes
    /// one.
    pub async fn update(
        &self,
        user: UserId,
        id: ConversationId,
        title: Option<&str>,
        is_archived: Option<bool>,
        settings: Option<&Map<String, Value>>,
    ) -> ServiceResult<Conversation> {
        let title = title.map(check_title).transpose()?;
        let settings = match settings.filter(|patch| !patch.is_empty()) {
            None => None,
            Some(patch) => {
                let current = self.store.conversation(user, id).await.map_err(not_found)?;
                let mut merged = match current.settings.to_value() {
                    Value::Object(map) => map,
                    _ => Map::new(),
                };
                for (key, value) in patch {
                    if value.is_null() {
                        merged.remove(key);
                    } else {
                        merged.insert(key.clone(), value.clone());
                    }
                }
                let text = JsonText::from_value(&Value::Object(merged));
                if text.as_str().len() > SETTINGS_MAX_BYTES {
                    return Err(ServiceError::invalid(
                        "settings",
                        format!("must be at most {} KiB", SETTINGS_MAX_BYTES / 1024),
                    ));
                }
                Some(text)
            }
        };
        let change = ConversationChange {
            title: title.as_deref(),
            is_archived,
            settings: settings.as_ref(),
        };
        self.store
            .update_conversation(user, id, change, self.clock.now())
            .await
            .map_err(not_found)?;
        self.events
            .conversation(user, EventKind::ConversationUpdated, id);
        self.get(user, id).await
    }

    /// Soft-deletes one conversation; `false` when there was nothing to delete.
    pub async fn delete(&self, user: UserId, id: ConversationId) -> ServiceResult<bool> {
        let deleted = self
            .store
            .soft_delete_conversation(user, id, self.clock.now())
            .await?;
        if deleted {
            self.events
                .conversation(user, EventKind::ConversationDeleted, id);
        }
        Ok(deleted)
    }

    /// Soft-deletes every conversation of the user.
    pub async fn delete_all(&self, user: UserId) -> ServiceResult<u64> {
        let deleted = self
            .store
            .soft_delete_all_conversations(user, self.clock.now())
            .await?;
        self.events.publish(Event {
            user_id: user,
            kind: EventKind::ConversationsCleared,
            conversation_id: None,
            message_id: None,
            at: self.clock.now(),
        });
        Ok(deleted)
    }

    /// Brings back a soft-deleted conversation.
    pub async fn restore(&self, user: UserId, id: ConversationId) -> ServiceResult<Conversation> {
        if !self.store.restore_conversation(user, id).await? {
            return Err(ServiceError::NotFound("conversation"));
        }
        self.events
            .conversation(user, EventKind::ConversationRestored, id);
        self.get(user, id).await
    }

    /// Removes conversations soft-deleted longer than `retention` ago and temporary ones past
    /// their expiry, with their messages.
    pub async fn purge(&self, retention: Duration) -> ServiceResult<u64> {
        let retention = chrono::Duration::from_std(retention)
            .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let now = self.clock.now();
        let deleted = self
            .store
            .purge_deleted_conversations(now - retention)
            .await?;
        Ok(deleted + self.store.purge_expired_conversations(now).await?)
    }

    /// The conversation's whole message tree, parents first; `NotFound` if the conversation is
    /// not the user's.
    pub async fn messages(&self, user: UserId, id: ConversationId) -> ServiceResult<Vec<Message>> {
        self.store.conversation(user, id).await.map_err(not_found)?;
        Ok(self.store.messages(user, id).await?)
    }

    /// Stores a message in one of the user's conversations.
    pub async fn add_message(&self, user: UserId, mut message: Message) -> ServiceResult<Message> {
        self.store
            .conversation(user, message.conversation_id)
            .await
            .map_err(not_found)?;
        message.user_id = user;
        self.store
            .create_message(&message)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => ServiceError::Conflict { field: "messageId" },
                other => other.into(),
            })?;
        self.events.message(
            user,
            EventKind::MessageCreated,
            message.conversation_id,
            message.id,
        );
        Ok(message)
    }
}

/// Default size of a page of messages.
pub const DEFAULT_MESSAGE_PAGE: u32 = 100;
/// Largest page of messages.
pub const MAX_MESSAGE_PAGE: u32 = 500;

/// One page of a conversation's messages.
#[derive(Clone, Debug)]
pub struct MessagePage {
    /// The messages, in tree order (parents before children).
    pub messages: Vec<Message>,
    /// Opaque cursor for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

impl ConversationService {
    /// A page of the conversation's messages in tree order, for conversations of any length;
    /// `NotFound` if the conversation is not the user's.
    pub async fn messages_page(
        &self,
        user: UserId,
        id: ConversationId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<MessagePage> {
        let limit = paging::limit(limit, DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE)?;
        let after = cursor.map(paging::decode_cursor::<MessageId>).transpose()?;
        self.store.conversation(user, id).await.map_err(not_found)?;
        let mut rows = self.store.messages_page(user, id, after, limit + 1).await?;
        let next_cursor = paging::finish(&mut rows, limit, |m| paging::cursor(m.created_at, m.id));
        Ok(MessagePage {
            messages: rows,
            next_cursor,
        })
    }
}

/// Longest message text accepted from an edit.
pub const TEXT_MAX: usize = 200_000;
/// Ratings LibreChat's client sends.
pub const RATINGS: &[&str] = &["thumbsUp", "thumbsDown"];
/// Feedback reasons LibreChat's client sends.
pub const FEEDBACK_TAGS: &[&str] = &[
    "not_matched",
    "inaccurate",
    "bad_style",
    "missing_image",
    "unjustified_refusal",
    "not_helpful",
    "other",
    "accurate_reliable",
    "creative_solution",
    "clear_well_written",
    "attention_to_detail",
];

/// A rough token count until the chat engine brings real tokenizers: four characters a token.
fn estimate_tokens(text: &str) -> i64 {
    i64::try_from(text.chars().count().div_ceil(4)).unwrap_or(i64::MAX)
}

fn message_not_found(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("message"),
        other => other.into(),
    }
}

impl ConversationService {
    /// One message of the user's conversation; `None` when the conversation has no such one
    /// (`NotFound` when the conversation itself is missing or foreign).
    pub async fn message(
        &self,
        user: UserId,
        conversation: ConversationId,
        id: MessageId,
    ) -> ServiceResult<Option<Message>> {
        self.store
            .conversation(user, conversation)
            .await
            .map_err(not_found)?;
        match self.store.message(user, conversation, id).await {
            Ok(m) => Ok(Some(m)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a message's text, or with `index` the text of one `text`/`think` content part.
    pub async fn edit_message(
        &self,
        user: UserId,
        conversation: ConversationId,
        id: MessageId,
        text: &str,
        index: Option<usize>,
    ) -> ServiceResult<Message> {
        if text.chars().count() > TEXT_MAX {
            return Err(ServiceError::invalid(
                "text",
                format!("must be at most {TEXT_MAX} characters"),
            ));
        }
        let current = self
            .store
            .message(user, conversation, id)
            .await
            .map_err(message_not_found)?;
        let (new_text, content) = match index {
            None => (
                text.to_owned(),
                current.content.as_ref().map(JsonText::to_value),
            ),
            Some(i) => {
                let mut parts = match current.content.as_ref().map(JsonText::to_value) {
                    Some(Value::Array(parts)) => parts,
                    _ => return Err(ServiceError::invalid("index", "Invalid index")),
                };
                let part = parts
                    .get_mut(i)
                    .ok_or_else(|| ServiceError::invalid("index", "Invalid index"))?;
                let kind = part
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if kind != "text" && kind != "think" {
                    return Err(ServiceError::invalid(
                        "index",
                        "Cannot update non-text content",
                    ));
                }
                if let Some(map) = part.as_object_mut() {
                    map.insert(kind, Value::String(text.to_owned()));
                }
                (current.text.clone(), Some(Value::Array(parts)))
            }
        };
        let tokens = Some(estimate_tokens(if index.is_none() {
            &new_text
        } else {
            text
        }));
        let updated = self
            .store
            .update_message(
                user,
                conversation,
                id,
                &new_text,
                content.as_ref(),
                tokens,
                self.clock.now(),
            )
            .await
            .map_err(message_not_found)?;
        self.events
            .message(user, EventKind::MessageUpdated, conversation, id);
        Ok(updated)
    }

    /// Sets or (with `None`) clears the user's rating of a message.
    pub async fn set_feedback(
        &self,
        user: UserId,
        conversation: ConversationId,
        id: MessageId,
        feedback: Option<(String, Option<String>, Option<String>)>,
    ) -> ServiceResult<Message> {
        let value = match feedback {
            None => None,
            Some((rating, tag, text)) => {
                let mut checks = crate::validate::Checks::default();
                if !RATINGS.contains(&rating.as_str()) {
                    checks.fail("rating", "must be thumbsUp or thumbsDown");
                }
                if tag.as_deref().is_some_and(|t| !FEEDBACK_TAGS.contains(&t)) {
                    checks.fail("tag", "is not a known feedback reason");
                }
                if text.as_deref().is_some_and(|t| t.chars().count() > 1024) {
                    checks.fail("text", "must be at most 1024 characters");
                }
                checks.finish()?;
                let mut v = serde_json::json!({ "rating": rating, "tag": tag });
                if let (Some(t), Some(map)) = (text, v.as_object_mut()) {
                    map.insert("text".into(), Value::String(t));
                }
                Some(v)
            }
        };
        let updated = self
            .store
            .set_message_feedback(user, conversation, id, value.as_ref(), self.clock.now())
            .await
            .map_err(message_not_found)?;
        self.events
            .message(user, EventKind::MessageUpdated, conversation, id);
        Ok(updated)
    }

    /// Deletes a message and every message below it in the tree (answers and their follow-ups
    /// would otherwise hang from nothing).
    pub async fn delete_message(
        &self,
        user: UserId,
        conversation: ConversationId,
        id: MessageId,
    ) -> ServiceResult<u64> {
        let tree = self.messages(user, conversation).await?;
        if !tree.iter().any(|m| m.id == id) {
            return Err(ServiceError::NotFound("message"));
        }
        let mut doomed = vec![id];
        let mut i = 0;
        while let Some(&parent) = doomed.get(i) {
            doomed.extend(
                tree.iter()
                    .filter(|m| m.parent_id == Some(parent))
                    .map(|m| m.id),
            );
            i += 1;
        }
        let deleted = self
            .store
            .delete_messages(user, conversation, &doomed)
            .await?;
        for m in doomed {
            self.events
                .message(user, EventKind::MessageDeleted, conversation, m);
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_invalid() {
        let id = ConversationId::new();
        let at = chrono::DateTime::from_timestamp_millis(1_764_000_000_123).unwrap_or_default();
        let text = format!("{}_{}", at.timestamp_millis(), id);
        assert_eq!(
            paging::decode_cursor::<ConversationId>(&text).ok(),
            Some((at, id))
        );
        for bad in [
            "",
            "x",
            "12_notauuid",
            "abc_0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
        ] {
            assert!(
                paging::decode_cursor::<ConversationId>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
