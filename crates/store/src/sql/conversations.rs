//! Statements and row types for `conversations` and `messages`.

use ferrochat_core::{Conversation, JsonText, Message};

use super::time::{from_millis, parse_id};
use crate::{ConversationFilter, Engine, StoreError};

macro_rules! conversation_columns {
    () => {
        "id, user_id, title, endpoint, endpoint_type, model, is_archived, settings, folder_id, created_at, \
         updated_at, expired_at"
    };
}
macro_rules! message_columns {
    () => {
        "id, conversation_id, user_id, parent_id, sender, text, content, is_created_by_user, error, \
         unfinished, model, endpoint, token_count, feedback, created_at, updated_at, files"
    };
}

/// Inserts a conversation; binds the columns in [`ConversationRow`] order.
pub const INSERT: &str = "INSERT INTO conversations (id, user_id, title, endpoint, endpoint_type, model, \
     is_archived, settings, folder_id, created_at, updated_at, expired_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
/// A user's ($1) live conversation ($2).
pub const GET: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL"
);
/// A value bound to a statement built at run time.
#[derive(Clone, Debug, PartialEq)]
pub enum Bind {
    /// TEXT.
    Text(String),
    /// BIGINT.
    Int(i64),
    /// BOOLEAN.
    Bool(bool),
}

/// A list statement with its values, in placeholder order.
#[derive(Clone, Debug)]
pub struct Statement {
    /// SQL text, built only from constants and numbered placeholders.
    pub sql: String,
    /// Values for `$1..$n`.
    pub binds: Vec<Bind>,
}

/// Most bookmarks one list filter may name.
pub const MAX_TAG_FILTER: usize = 20;

/// Appends a value and returns its placeholder.
pub(crate) fn next(binds: &mut Vec<Bind>, value: Bind) -> String {
    binds.push(value);
    format!("${}", binds.len())
}

/// A page of a user's live conversations: newest change first, after the keyset cursor
/// `(updated_at, id)` when given, in one folder and/or carrying any of some tags when asked.
/// Placeholders are numbered as conditions are added, so PostgreSQL sees no unused parameter.
/// A search needs `engine`'s dialect; the rest of the statement is the same on both.
pub fn list(
    engine: Engine,
    user_id: &str,
    filter: &ConversationFilter<'_>,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Statement {
    let mut binds = vec![Bind::Text(user_id.into()), Bind::Bool(filter.archived)];
    let mut sql = String::from(concat!(
        "SELECT ",
        conversation_columns!(),
        " FROM conversations WHERE user_id = $1 AND is_archived = $2 AND deleted_at IS NULL \
         AND expired_at IS NULL"
    ));
    if let Some(folder) = filter.folder {
        let p = next(&mut binds, Bind::Text(folder.to_string()));
        sql.push_str(&format!(" AND folder_id = {p}"));
    }
    if let Some((updated_at, id)) = after {
        let at = next(&mut binds, Bind::Int(updated_at));
        let id = next(&mut binds, Bind::Text(id.into()));
        sql.push_str(&format!(
            " AND (updated_at < {at} OR (updated_at = {at} AND id < {id}))"
        ));
    }
    if !filter.tags.is_empty() {
        let names: Vec<String> = filter
            .tags
            .iter()
            .take(MAX_TAG_FILTER)
            .map(|t| next(&mut binds, Bind::Text(t.clone())))
            .collect();
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id \
             WHERE ct.conversation_id = conversations.id AND t.user_id = $1 AND t.name IN ({}))",
            names.join(", ")
        ));
    }
    if let Some(terms) = filter.search {
        if terms.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            // Titles by substring (a title is a few words; its rows are the user's own), and
            // messages through the full-text index. Terms hold letters and digits only, so
            // they are no LIKE patterns.
            let titles: Vec<String> = terms
                .iter()
                .map(|t| {
                    let p = next(&mut binds, Bind::Text(t.clone()));
                    format!("lower(title) LIKE '%' || {p} || '%'")
                })
                .collect();
            let query = next(
                &mut binds,
                Bind::Text(super::search::query_text(engine, terms)),
            );
            sql.push_str(&format!(
                " AND (({}) OR id IN ({}))",
                titles.join(" AND "),
                super::search::matching_conversations(engine, "$1", &query)
            ));
        }
    }
    // The limit is written into the text, not bound: SQLite re-prepares a statement whose
    // LIMIT is a parameter on every run (measured: a full parse per list request), while a
    // literal lets the prepared statement be reused. It is a number from our own code.
    sql.push_str(&format!(" ORDER BY updated_at DESC, id DESC LIMIT {limit}"));
    Statement { sql, binds }
}

/// Moves live conversation $2 of user $1 into folder $3 (null: out of any), which must be the
/// same user's.
pub const MOVE: &str = concat!(
    "UPDATE conversations SET folder_id = $3 WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL \
     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM folders f WHERE f.id = $3 AND f.user_id = $1)) RETURNING ",
    conversation_columns!()
);
/// Updates title ($3), archive flag ($4), settings ($6) (null keeps each) and updated_at ($5).
pub const UPDATE: &str = concat!(
    "UPDATE conversations SET title = COALESCE($3, title), is_archived = COALESCE($4, is_archived), \
     settings = COALESCE($6, settings), updated_at = $5 WHERE user_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ",
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

/// Removes temporary conversations that expired before $1 (messages cascade).
pub const PURGE_EXPIRED: &str =
    "DELETE FROM conversations WHERE expired_at IS NOT NULL AND expired_at < $1";

/// Inserts a message; binds the columns in [`MessageRow`] order.
pub const INSERT_MESSAGE: &str = "INSERT INTO messages (id, conversation_id, user_id, parent_id, sender, text, \
     content, is_created_by_user, error, unfinished, model, endpoint, token_count, feedback, created_at, \
     updated_at, files) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
     $17)";
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
/// A page of conversation $2's messages (user $1) in tree order, after `(created_at, id)`
/// when given; the limit is literal for the reason given in [`list`].
pub fn messages_page(after: bool, limit: u32) -> String {
    let mut sql = String::from(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE conversation_id = $2 AND user_id = $1"
    ));
    if after {
        sql.push_str(" AND (created_at > $3 OR (created_at = $3 AND id > $4))");
    }
    sql.push_str(&format!(" ORDER BY created_at, id LIMIT {limit}"));
    sql
}

/// The whole tree of conversation $2 of user $1, parents first.
pub const MESSAGES: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE conversation_id = $2 AND user_id = $1 ORDER BY created_at, id"
);

/// A `conversations` row; the fields are its columns (see the migrations).
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub endpoint: Option<String>,
    pub endpoint_type: Option<String>,
    pub model: Option<String>,
    pub is_archived: bool,
    pub settings: String,
    pub folder_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expired_at: Option<i64>,
}

fn json_text(text: String) -> Result<JsonText, StoreError> {
    JsonText::parse_text(text).map_err(|e| StoreError::Other(Box::new(e)))
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
            settings: json_text(r.settings)?,
            folder_id: r.folder_id.as_deref().map(parse_id).transpose()?,
            tags: Vec::new(),
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
            expired_at: r.expired_at.map(from_millis).transpose()?,
        })
    }
}

/// A `messages` row; the fields are its columns (see the migrations).
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub user_id: String,
    pub parent_id: Option<String>,
    pub sender: String,
    pub text: String,
    pub content: Option<String>,
    pub is_created_by_user: bool,
    pub error: bool,
    pub unfinished: bool,
    pub model: Option<String>,
    pub endpoint: Option<String>,
    pub token_count: Option<i64>,
    pub feedback: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub files: Option<String>,
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
            content: r.content.map(json_text).transpose()?,
            is_created_by_user: r.is_created_by_user,
            error: r.error,
            unfinished: r.unfinished,
            model: r.model,
            endpoint: r.endpoint,
            token_count: r.token_count,
            feedback: r.feedback.map(json_text).transpose()?,
            files: r.files.map(json_text).transpose()?,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}
