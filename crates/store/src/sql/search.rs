//! Statements of full-text search, in each engine's dialect: SQLite's FTS5 and PostgreSQL's
//! text search differ too much to share one text, so both live here side by side, built from
//! the same terms and returning the same rows.
//!
//! SQLite indexes lazily: triggers queue the ID of every inserted, edited or deleted message
//! (one small row in the chat turn's own transaction), and [`SQLITE_INDEX_BATCH`] statements
//! move a batch of the queue into the FTS5 table later. An FTS5 insert in the turn itself
//! doubled the commit's time and added multi-millisecond merges at its tail (measured with
//! Python's sqlite3 on this machine: p50 31 → 65 µs, p99 0.1–0.3 → 4.1 ms; the queue row:
//! p50 +3 µs), and that commit sits on the time to first token. PostgreSQL keeps a stored
//! `tsvector` column, indexed with GIN, as it writes.

use ferrochat_core::Message;

use super::conversations::MessageRow;
use crate::{Engine, MessageHit, StoreError};

/// The body of a message as both engines index it: the text parts of `content`, then `text`.
/// SQLite's form; PostgreSQL's is the function `ferrochat_search_text` of its migration.
macro_rules! sqlite_search_text {
    () => {
        "(CASE WHEN m.content IS NOT NULL AND json_valid(m.content) AND json_type(m.content) = 'array' \
         THEN coalesce((SELECT group_concat(coalesce(json_extract(p.value, '$.text.value'), \
         json_extract(p.value, '$.text')), ' ') FROM json_each(m.content) p \
         WHERE json_extract(p.value, '$.type') = 'text'), '') || ' ' || m.text ELSE m.text END)"
    };
}

/// A query matching every term as a word prefix, for FTS5's `MATCH`. Terms are letters and
/// digits only (see [`crate::SearchStore`]), so quoting cannot be escaped.
pub fn fts5_query(terms: &[String]) -> String {
    let quoted: Vec<String> = terms.iter().map(|t| format!("\"{t}\"*")).collect();
    quoted.join(" AND ")
}

/// The same query for PostgreSQL's `to_tsquery`.
pub fn tsquery(terms: &[String]) -> String {
    let quoted: Vec<String> = terms.iter().map(|t| format!("'{t}':*")).collect();
    quoted.join(" & ")
}

/// The query text bound for `engine`.
pub fn query_text(engine: Engine, terms: &[String]) -> String {
    match engine {
        Engine::Sqlite => fts5_query(terms),
        Engine::Postgres => tsquery(terms),
    }
}

/// IDs of user `user`'s conversations with a message matching `query` (placeholders), for
/// the conversation list's search filter.
pub fn matching_conversations(engine: Engine, user: &str, query: &str) -> String {
    match engine {
        Engine::Sqlite => format!(
            "SELECT d.conversation_id FROM message_search_docs d WHERE d.user_id = {user} \
             AND d.doc IN (SELECT rowid FROM message_search WHERE message_search MATCH {query})"
        ),
        Engine::Postgres => format!(
            "SELECT m.conversation_id FROM messages m WHERE m.user_id = {user} \
             AND m.search @@ to_tsquery('simple', {query})"
        ),
    }
}

macro_rules! hit_columns {
    () => {
        "m.id, m.conversation_id, m.user_id, m.parent_id, m.sender, m.text, m.content, \
         m.is_created_by_user, m.error, m.unfinished, m.model, m.endpoint, m.token_count, \
         m.feedback, m.created_at, m.updated_at, m.files, c.title AS conversation_title, \
         c.model AS conversation_model, c.endpoint AS conversation_endpoint"
    };
}

/// Hits of user $1 for query $2, newest first, after `(created_at, id)` = ($3, $4) when
/// `after`; the limit is literal (see `conversations::list`).
pub fn hits(engine: Engine, after: bool, limit: u32) -> String {
    let mut sql = match engine {
        // The match is a list computed once: joined as a table, the planner may put FTS5 in
        // the inner loop and evaluate the whole match again for every row (30 s for a common
        // word over 50,000 messages). The owner's entries are walked newest first by their
        // index and the walk stops at a page; `INDEXED BY` keeps the planner from sorting all
        // hits instead (0.7 s for the same word).
        Engine::Sqlite => String::from(concat!(
            "SELECT ",
            hit_columns!(),
            " FROM message_search_docs d INDEXED BY message_search_docs_user \
             JOIN messages m ON m.id = d.message_id JOIN conversations c ON c.id = m.conversation_id \
             WHERE d.user_id = $1 \
             AND d.doc IN (SELECT rowid FROM message_search WHERE message_search MATCH $2)"
        )),
        Engine::Postgres => String::from(concat!(
            "SELECT ",
            hit_columns!(),
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.user_id = $1 AND m.search @@ to_tsquery('simple', $2)"
        )),
    };
    sql.push_str(" AND c.user_id = $1 AND c.deleted_at IS NULL AND c.expired_at IS NULL");
    // SQLite sorts by the entry's copy of the columns, which its index holds.
    let (at, id) = match engine {
        Engine::Sqlite => ("d.created_at", "d.message_id"),
        Engine::Postgres => ("m.created_at", "m.id"),
    };
    if after {
        sql.push_str(&format!(" AND ({at} < $3 OR ({at} = $3 AND {id} < $4))"));
    }
    sql.push_str(&format!(" ORDER BY {at} DESC, {id} DESC LIMIT {limit}"));
    sql
}

/// SQLite: whether anything waits to be indexed.
pub const SQLITE_PENDING: &str = "SELECT EXISTS (SELECT 1 FROM message_search_queue)";

/// SQLite: how many messages wait to be indexed, counting at most $1 + 1.
pub const SQLITE_BACKLOG: &str =
    "SELECT count(*) FROM (SELECT 1 FROM message_search_queue LIMIT $1 + 1)";

/// SQLite: one batch of the queue, as a JSON array of message IDs (`[]` when empty); the
/// statements of [`SQLITE_INDEX_BATCH`] take it as `$1`.
pub const SQLITE_NEXT_BATCH: &str = "SELECT json_group_array(message_id) FROM \
     (SELECT message_id FROM message_search_queue LIMIT 64)";

/// SQLite: indexes the batch `$1` (from [`SQLITE_NEXT_BATCH`]) in one transaction: drops each
/// message's old entry, adds one for those that still exist, and takes them off the queue.
pub const SQLITE_INDEX_BATCH: [&str; 5] = [
    "DELETE FROM message_search WHERE rowid IN (SELECT doc FROM message_search_docs \
     WHERE message_id IN (SELECT value FROM json_each($1)))",
    "DELETE FROM message_search_docs WHERE message_id IN (SELECT value FROM json_each($1))",
    "INSERT INTO message_search_docs (message_id, user_id, conversation_id, created_at) \
     SELECT m.id, m.user_id, m.conversation_id, m.created_at FROM messages m \
     WHERE m.id IN (SELECT value FROM json_each($1))",
    concat!(
        "INSERT INTO message_search (rowid, body) SELECT d.doc, ",
        sqlite_search_text!(),
        " FROM message_search_docs d JOIN messages m ON m.id = d.message_id \
         WHERE d.message_id IN (SELECT value FROM json_each($1))"
    ),
    "DELETE FROM message_search_queue WHERE message_id IN (SELECT value FROM json_each($1))",
];

/// A row of [`hits`]: the message's columns, then its conversation's.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct HitRow {
    #[sqlx(flatten)]
    pub message: MessageRow,
    pub conversation_title: String,
    pub conversation_model: Option<String>,
    pub conversation_endpoint: Option<String>,
}

impl TryFrom<HitRow> for MessageHit {
    type Error = StoreError;

    fn try_from(r: HitRow) -> Result<Self, Self::Error> {
        Ok(MessageHit {
            message: Message::try_from(r.message)?,
            conversation_title: r.conversation_title,
            conversation_model: r.conversation_model,
            conversation_endpoint: r.conversation_endpoint,
        })
    }
}
