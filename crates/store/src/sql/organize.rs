//! Statements and row types for `tags`, `conversation_tags`, `folders` and `presets`.

use ferrochat_core::{Folder, Preset, Tag};

use super::time::{from_millis, parse_id};
use crate::StoreError;

macro_rules! tag_select {
    () => {
        "SELECT t.id, t.user_id, t.name, t.description, t.position, t.created_at, t.updated_at, \
         (SELECT count(*) FROM conversation_tags ct JOIN conversations c ON c.id = ct.conversation_id \
         WHERE ct.tag_id = t.id AND c.deleted_at IS NULL AND c.expired_at IS NULL) AS count FROM tags t"
    };
}

/// A user's ($1) tags in menu order, with counts of live conversations.
pub const TAGS: &str = concat!(
    tag_select!(),
    " WHERE t.user_id = $1 ORDER BY t.position, t.name"
);
/// User $1's tag named $2, with its count.
pub const TAG: &str = concat!(tag_select!(), " WHERE t.user_id = $1 AND t.name = $2");
/// Adds tag $1 (id) for user $2 named $3, described $4, at $5, after the user's last one.
/// `ON CONFLICT DO NOTHING` lets callers that only need the tag to exist reuse it.
pub const INSERT_TAG: &str = "INSERT INTO tags (id, user_id, name, description, position, created_at, updated_at) \
     SELECT $1, $2, $3, $4, COALESCE(MAX(position) + 1, 0), $5, $5 FROM tags WHERE user_id = $2";
/// [`INSERT_TAG`] that leaves an existing tag of that name alone.
pub const ENSURE_TAG: &str = "INSERT INTO tags (id, user_id, name, description, position, created_at, updated_at) \
     SELECT $1, $2, $3, $4, COALESCE(MAX(position) + 1, 0), $5, $5 FROM tags WHERE user_id = $2 \
     ON CONFLICT (user_id, name) DO NOTHING";
/// How many tags user $1 has.
pub const COUNT_TAGS: &str = "SELECT count(*) FROM tags WHERE user_id = $1";
/// Shifts user $1's tags in positions [$2, $3] by $4 (+1 or -1).
pub const SHIFT_TAGS: &str = "UPDATE tags SET position = position + $4 \
     WHERE user_id = $1 AND position >= $2 AND position <= $3";
/// Sets name $3, description $4, position $5, updated_at $6 of user $1's tag $2 (by id).
pub const UPDATE_TAG: &str = "UPDATE tags SET name = $3, description = $4, position = $5, updated_at = $6 \
     WHERE user_id = $1 AND id = $2";
/// Deletes user $1's tag $2 (by id); its conversation links cascade.
pub const DELETE_TAG: &str = "DELETE FROM tags WHERE user_id = $1 AND id = $2";
/// Whether user $1 has live conversation $2.
pub const LIVE_CONVERSATION: &str =
    "SELECT count(*) FROM conversations WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL";
/// Takes every tag off conversation $1.
pub const CLEAR_CONVERSATION_TAGS: &str =
    "DELETE FROM conversation_tags WHERE conversation_id = $1";
/// Puts user $2's tag named $3 on conversation $1.
pub const TAG_CONVERSATION: &str = "INSERT INTO conversation_tags (conversation_id, tag_id) \
     SELECT $1, id FROM tags WHERE user_id = $2 AND name = $3 ON CONFLICT DO NOTHING";
/// Names of user $1's tags on conversation $2, in menu order.
pub const CONVERSATION_TAGS: &str = "SELECT t.name FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id \
     WHERE ct.conversation_id = $2 AND t.user_id = $1 ORDER BY t.position, t.name";

macro_rules! folder_select {
    () => {
        "SELECT f.id, f.user_id, f.name, f.created_at, f.updated_at, \
         (SELECT count(*) FROM conversations c WHERE c.user_id = f.user_id AND c.folder_id = f.id \
         AND c.deleted_at IS NULL AND c.expired_at IS NULL) AS count FROM folders f"
    };
}

/// User $1's folders by name, with counts.
pub const FOLDERS: &str = concat!(
    folder_select!(),
    " WHERE f.user_id = $1 ORDER BY f.name, f.id"
);
/// User $1's folder $2, with its count.
pub const FOLDER: &str = concat!(folder_select!(), " WHERE f.user_id = $1 AND f.id = $2");
/// Inserts a folder.
pub const INSERT_FOLDER: &str =
    "INSERT INTO folders (id, user_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)";
/// Renames user $1's folder $2 to $3 at $4.
pub const RENAME_FOLDER: &str =
    "UPDATE folders SET name = $3, updated_at = $4 WHERE user_id = $1 AND id = $2";
/// Deletes user $1's folder $2 (its conversations' `folder_id` is set null).
pub const DELETE_FOLDER: &str = "DELETE FROM folders WHERE user_id = $1 AND id = $2";

macro_rules! preset_columns {
    () => {
        "id, user_id, title, is_default, position, settings, created_at, updated_at"
    };
}

/// User $1's presets: by order (unset last), then most recently changed.
pub const PRESETS: &str = concat!(
    "SELECT ",
    preset_columns!(),
    " FROM presets WHERE user_id = $1 ORDER BY position IS NULL, position, updated_at DESC, id"
);
/// Inserts or replaces a preset; the creation time of a replaced one stays.
pub const SAVE_PRESET: &str = concat!(
    "INSERT INTO presets (",
    preset_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, id) DO UPDATE SET \
     title = excluded.title, is_default = excluded.is_default, position = excluded.position, \
     settings = excluded.settings, updated_at = excluded.updated_at RETURNING ",
    preset_columns!()
);
/// Clears the default flag of user $1's presets other than $2.
pub const CLEAR_DEFAULT_PRESET: &str = "UPDATE presets SET is_default = false, position = NULL WHERE user_id = $1 AND id <> $2 AND is_default";
/// Deletes user $1's preset $2.
pub const DELETE_PRESET: &str = "DELETE FROM presets WHERE user_id = $1 AND id = $2";
/// Deletes all of user $1's presets.
pub const DELETE_ALL_PRESETS: &str = "DELETE FROM presets WHERE user_id = $1";

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A `tags` row with its count.
#[derive(Debug, sqlx::FromRow)]
pub struct TagRow {
    id: String,
    user_id: String,
    name: String,
    description: Option<String>,
    position: i64,
    created_at: i64,
    updated_at: i64,
    count: i64,
}

impl TryFrom<TagRow> for Tag {
    type Error = StoreError;

    fn try_from(r: TagRow) -> Result<Self, Self::Error> {
        Ok(Tag {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            name: r.name,
            description: r.description,
            position: r.position,
            count: count(r.count),
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}

/// A `folders` row with its count.
#[derive(Debug, sqlx::FromRow)]
pub struct FolderRow {
    id: String,
    user_id: String,
    name: String,
    created_at: i64,
    updated_at: i64,
    count: i64,
}

impl TryFrom<FolderRow> for Folder {
    type Error = StoreError;

    fn try_from(r: FolderRow) -> Result<Self, Self::Error> {
        Ok(Folder {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            name: r.name,
            count: count(r.count),
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}

/// A `presets` row.
#[derive(Debug, sqlx::FromRow)]
pub struct PresetRow {
    id: String,
    user_id: String,
    title: Option<String>,
    is_default: bool,
    position: Option<i64>,
    settings: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<PresetRow> for Preset {
    type Error = StoreError;

    fn try_from(r: PresetRow) -> Result<Self, Self::Error> {
        Ok(Preset {
            id: r.id,
            user_id: parse_id(&r.user_id)?,
            title: r.title,
            is_default: r.is_default,
            position: r.position,
            settings: serde_json::from_str(&r.settings)
                .map_err(|e| StoreError::Other(Box::new(e)))?,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}
