//! What users organise conversations with: bookmarks (tags), folders and presets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::UserId;
use crate::id::{FolderId, TagId};

/// A bookmark: a named label a user puts on conversations (LibreChat's conversation tag).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Row key; clients address tags by `name`.
    pub id: TagId,
    /// Owner.
    pub user_id: UserId,
    /// The label, unique per user.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Place in the bookmarks menu, 0 first.
    pub position: i64,
    /// Live conversations carrying it (computed when read).
    pub count: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A folder: a conversation sits in at most one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Folder {
    /// Key.
    pub id: FolderId,
    /// Owner.
    pub user_id: UserId,
    /// Name, unique per user.
    pub name: String,
    /// Live conversations in it (computed when read).
    pub count: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A saved set of conversation settings (endpoint, model, parameters) to start chats from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// LibreChat's `presetId`: chosen by the client or the server, unique per user.
    pub id: String,
    /// Owner.
    pub user_id: UserId,
    /// Name shown in the presets menu.
    pub title: Option<String>,
    /// Whether new chats start from it; at most one per user.
    pub is_default: bool,
    /// The client's `order`.
    pub position: Option<i64>,
    /// Every other field (endpoint, model, parameters), as a JSON object.
    pub settings: serde_json::Value,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
