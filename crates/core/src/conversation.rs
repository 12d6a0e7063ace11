//! Conversations and the messages of their trees.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{ConversationId, FolderId, MessageId};
use crate::{JsonText, UserId};

/// A conversation: a titled tree of messages owned by one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The client-generated UUID (`conversationId`).
    pub id: ConversationId,
    /// Owner.
    pub user_id: UserId,
    /// Title shown in the sidebar.
    pub title: String,
    /// Endpoint key (`openAI`, a custom endpoint's name, …).
    pub endpoint: Option<String>,
    /// `custom` for custom endpoints.
    pub endpoint_type: Option<String>,
    /// Model name.
    pub model: Option<String>,
    /// Archived conversations leave the main list.
    pub is_archived: bool,
    /// Model parameters and other optional client fields, kept whole as a JSON object.
    pub settings: JsonText,
    /// The folder it sits in, if any.
    pub folder_id: Option<FolderId>,
    /// Names of its bookmarks; filled by single reads, empty in list pages.
    pub tags: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change (the list is ordered by it).
    pub updated_at: DateTime<Utc>,
    /// When a temporary chat is deleted (LibreChat's `expiredAt`); `None` for a normal one.
    /// Temporary chats stay out of the lists and are purged once this has passed.
    pub expired_at: Option<DateTime<Utc>>,
}

/// One message in a conversation's tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The client-generated UUID (`messageId`).
    pub id: MessageId,
    /// Conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Owner (same as the conversation's).
    pub user_id: UserId,
    /// Parent in the tree; `None` for a root.
    pub parent_id: Option<MessageId>,
    /// `User` or the model's label.
    pub sender: String,
    /// Plain text.
    pub text: String,
    /// Content parts (JSON array) for answers made of parts.
    pub content: Option<JsonText>,
    /// Whether the user wrote it.
    pub is_created_by_user: bool,
    /// Whether it records a failure.
    pub error: bool,
    /// Whether generation stopped before the end.
    pub unfinished: bool,
    /// Model that wrote it.
    pub model: Option<String>,
    /// Endpoint that served it.
    pub endpoint: Option<String>,
    /// Tokens it counts.
    pub token_count: Option<i64>,
    /// The user's rating (`{rating, tag, text?}`), if any.
    pub feedback: Option<JsonText>,
    /// Files attached to it (JSON array of `{file_id, filename, type, filepath, width?,
    /// height?}`, the LibreChat client's shape).
    pub files: Option<JsonText>,
    /// Creation time (tree order).
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
