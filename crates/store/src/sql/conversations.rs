//! Statements and row types for `conversations` and `messages`.

use ferrochat_core::{Conversation, Message};

use super::time::{from_millis, parse_id};
use crate::StoreError;

macro_rules! conversation_columns {
    () => {
        "id, user_id, title, endpoint, endpoint_type, model, is_archived, settings, created_at, updated_at"
    };
}
macro_rules! message_columns {
    () => {
        "id, conversation_id, user_id, parent_id, sender, text, content, is_created_by_user, error, \
         unfinished, model, endpoint, token_count, feedback, created_at, updated_at"
    };
}

/// Inserts a conversation; binds the columns in [`ConversationRow`] order.
pub const INSERT: &str = "INSERT INTO conversations (id, user_id, title, endpoint, endpoint_type, model, \
     is_archived, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// A user's ($1) live conversation ($2).
pub const GET: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL"
);
/// First page: user $1, archived $2, limit $3.
pub const LIST_FIRST: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE user_id = $1 AND is_archived = $2 AND deleted_at IS NULL \
     ORDER BY updated_at DESC, id DESC LIMIT $3"
);
/// Page after the cursor (updated_at $4, id $5).
pub const LIST_AFTER: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE user_id = $1 AND is_archived = $2 AND deleted_at IS NULL \
     AND (updated_at < $4 OR (updated_at = $4 AND id < $5)) \
     ORDER BY updated_at DESC, id DESC LIMIT $3"
);
/// Updates title ($3, null keeps it), archive flag ($4, null keeps it), updated_at ($5).
pub const UPDATE: &str = concat!(
    "UPDATE conversations SET title = COALESCE($3, title), is_archived = COALESCE($4, is_archived), \
     updated_at = $5 WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ",
    conversation_columns!()
);
/// Soft-deletes conversation $2 of user $1 at $3.
pub const SOFT_DELETE: &str = "UPDATE conversations SET deleted_at = $3 WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL";
/// Soft-deletes every live conversation of user $1 at $2.
pub const SOFT_DELETE_ALL: &str =
    "UPDATE conversations SET deleted_at = $2 WHERE user_id = $1 AND deleted_at IS NULL";
/// Restores soft-deleted conversation $2 of user $1.
pub const RESTORE: &str = "UPDATE conversations SET deleted_at = NULL WHERE user_id = $1 AND id = $2 AND deleted_at IS NOT NULL";
/// Removes conversations soft-deleted before $1 (messages cascade).
pub const PURGE: &str =
    "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < $1";

/// Inserts a message; binds the columns in [`MessageRow`] order.
pub const INSERT_MESSAGE: &str = "INSERT INTO messages (id, conversation_id, user_id, parent_id, sender, text, \
     content, is_created_by_user, error, unfinished, model, endpoint, token_count, feedback, created_at, \
     updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
/// One message ($3) of conversation $2 of user $1.
pub const MESSAGE: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE user_id = $1 AND conversation_id = $2 AND id = $3"
);
/// Replaces text ($4), content ($5), token count ($6) at $7 of message $3 (user $1, conversation $2).
pub const UPDATE_MESSAGE: &str = concat!(
    "UPDATE messages SET text = $4, content = $5, token_count = $6, updated_at = $7 \
     WHERE user_id = $1 AND conversation_id = $2 AND id = $3 RETURNING ",
    message_columns!()
);
/// Sets feedback ($4, null clears) at $5 of message $3 (user $1, conversation $2).
pub const SET_FEEDBACK: &str = concat!(
    "UPDATE messages SET feedback = $4, updated_at = $5 \
     WHERE user_id = $1 AND conversation_id = $2 AND id = $3 RETURNING ",
    message_columns!()
);
/// Deletes message $3 of conversation $2 of user $1.
pub const DELETE_MESSAGE: &str =
    "DELETE FROM messages WHERE user_id = $1 AND conversation_id = $2 AND id = $3";
/// The whole tree of conversation $2 of user $1, parents first.
pub const MESSAGES: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE conversation_id = $2 AND user_id = $1 ORDER BY created_at, id"
);

/// A `conversations` row.
#[derive(Debug, sqlx::FromRow)]
pub struct ConversationRow {
    id: String,
    user_id: String,
    title: String,
    endpoint: Option<String>,
    endpoint_type: Option<String>,
    model: Option<String>,
    is_archived: bool,
    settings: String,
    created_at: i64,
    updated_at: i64,
}

fn json(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(Box::new(e)))
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = StoreError;

    fn try_from(r: ConversationRow) -> Result<Self, Self::Error> {
        Ok(Conversation {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            title: r.title,
            endpoint: r.endpoint,
            endpoint_type: r.endpoint_type,
            model: r.model,
            is_archived: r.is_archived,
            settings: json(&r.settings)?,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}

/// A `messages` row.
#[derive(Debug, sqlx::FromRow)]
pub struct MessageRow {
    id: String,
    conversation_id: String,
    user_id: String,
    parent_id: Option<String>,
    sender: String,
    text: String,
    content: Option<String>,
    is_created_by_user: bool,
    error: bool,
    unfinished: bool,
    model: Option<String>,
    endpoint: Option<String>,
    token_count: Option<i64>,
    feedback: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(r: MessageRow) -> Result<Self, Self::Error> {
        Ok(Message {
            id: parse_id(&r.id)?,
            conversation_id: parse_id(&r.conversation_id)?,
            user_id: parse_id(&r.user_id)?,
            parent_id: r.parent_id.as_deref().map(parse_id).transpose()?,
            sender: r.sender,
            text: r.text,
            content: r.content.as_deref().map(json).transpose()?,
            is_created_by_user: r.is_created_by_user,
            error: r.error,
            unfinished: r.unfinished,
            model: r.model,
            endpoint: r.endpoint,
            token_count: r.token_count,
            feedback: r.feedback.as_deref().map(json).transpose()?,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}
