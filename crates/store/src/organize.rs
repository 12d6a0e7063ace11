//! Bookmarks (tags), folders and presets.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{ConversationId, Folder, FolderId, Preset, Tag, UserId};

use crate::StoreResult;

/// A change to a bookmark; `None` fields stay as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct TagChange<'a> {
    /// New name (its conversations keep it: they reference the row, not the text).
    pub name: Option<&'a str>,
    /// New description; `Some(None)` clears it.
    pub description: Option<Option<&'a str>>,
    /// New place in the menu; the tags in between shift by one.
    pub position: Option<i64>,
}

/// Rows of `tags` and `conversation_tags`, always scoped by owner.
#[async_trait]
pub trait TagStore: Send + Sync {
    /// A user's bookmarks in menu order, each with its count of live conversations.
    async fn tags(&self, user_id: UserId) -> StoreResult<Vec<Tag>>;

    /// Adds a bookmark at the end of the menu (`Conflict` when the name is taken).
    async fn create_tag(
        &self,
        user_id: UserId,
        name: &str,
        description: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Tag>;

    /// Renames, describes or moves the bookmark called `name`.
    async fn update_tag(
        &self,
        user_id: UserId,
        name: &str,
        change: TagChange<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Tag>;

    /// Deletes the bookmark called `name` (taking it off every conversation) and closes the gap
    /// in the menu; returns it as it was.
    async fn delete_tag(&self, user_id: UserId, name: &str) -> StoreResult<Tag>;

    /// Replaces the bookmarks of a live conversation with `names`, creating missing ones at the
    /// end of the menu, in one transaction; returns the conversation's names in menu order.
    async fn set_conversation_tags(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
        names: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<String>>;

    /// The names of a conversation's bookmarks, in menu order.
    async fn conversation_tags(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
    ) -> StoreResult<Vec<String>>;
}

/// Rows of `folders`, always scoped by owner.
#[async_trait]
pub trait FolderStore: Send + Sync {
    /// A user's folders by name, each with its count of live conversations.
    async fn folders(&self, user_id: UserId) -> StoreResult<Vec<Folder>>;

    /// One folder, with its count.
    async fn folder(&self, user_id: UserId, id: FolderId) -> StoreResult<Folder>;

    /// Inserts a folder (`Conflict` when the name is taken).
    async fn create_folder(&self, folder: &Folder) -> StoreResult<()>;

    /// Renames a folder (`Conflict` when the name is taken).
    async fn rename_folder(
        &self,
        user_id: UserId,
        id: FolderId,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Folder>;

    /// Deletes a folder; its conversations stay, outside any folder. `false` if there was none.
    async fn delete_folder(&self, user_id: UserId, id: FolderId) -> StoreResult<bool>;
}

/// Rows of `presets`, always scoped by owner.
#[async_trait]
pub trait PresetStore: Send + Sync {
    /// A user's presets: by `order` (unset last), then most recently changed.
    async fn presets(&self, user_id: UserId) -> StoreResult<Vec<Preset>>;

    /// Inserts or replaces a preset (keyed by owner and ID). A default preset takes the
    /// default flag from every other preset of the user in the same transaction.
    async fn save_preset(&self, preset: &Preset) -> StoreResult<Preset>;

    /// Deletes one preset; returns how many went (0 or 1).
    async fn delete_preset(&self, user_id: UserId, id: &str) -> StoreResult<u64>;

    /// Deletes every preset of the user; returns how many.
    async fn delete_all_presets(&self, user_id: UserId) -> StoreResult<u64>;
}
