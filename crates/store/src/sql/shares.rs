//! Statements and rows of `shared_links`.

use ferrochat_core::SharedLink;

use super::conversations::{Bind, Statement, next};
use super::time::{from_millis, from_millis_opt, parse_id};
use crate::{ShareKey, ShareOrder, ShareQuery, StoreError};

macro_rules! link_columns {
    () => {
        "l.id, l.user_id, l.conversation_id, l.title, l.target_message_id, l.snapshot_at, \
         l.expires_at, l.password_hash IS NOT NULL AS has_password, l.created_at, l.updated_at"
    };
}

/// Links whose conversation is live.
macro_rules! live_links {
    () => {
        " FROM shared_links l JOIN conversations c ON c.id = l.conversation_id \
         AND c.deleted_at IS NULL"
    };
}

/// Inserts a link: id, user, conversation, title, target, snapshot, expiry, password hash,
/// created, updated ($1..$10).
pub const INSERT: &str = "INSERT INTO shared_links (id, user_id, conversation_id, title, \
     target_message_id, snapshot_at, expires_at, password_hash, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
/// Link $2 of user $1.
pub const GET: &str = concat!(
    "SELECT ",
    link_columns!(),
    live_links!(),
    " WHERE l.user_id = $1 AND l.id = $2"
);
/// The newest link of conversation $2 of user $1.
pub const BY_CONVERSATION: &str = concat!(
    "SELECT ",
    link_columns!(),
    live_links!(),
    " WHERE l.conversation_id = $2 AND l.user_id = $1 ORDER BY l.created_at DESC LIMIT 1"
);
/// Link $1 of anyone, with its password hash last.
pub const PUBLIC: &str = concat!(
    "SELECT ",
    link_columns!(),
    ", l.password_hash",
    live_links!(),
    " WHERE l.id = $1"
);
/// Rewrites link $2 of user $1: id $3, title $4, snapshot $5, expiry $6, updated $7; the
/// password hash becomes $9 when $8 is true.
pub const UPDATE: &str = "UPDATE shared_links SET id = $3, title = $4, snapshot_at = $5, \
     expires_at = $6, updated_at = $7, \
     password_hash = CASE WHEN $8 THEN $9 ELSE password_hash END \
     WHERE user_id = $1 AND id = $2";
/// Deletes link $2 of user $1.
pub const DELETE: &str = "DELETE FROM shared_links WHERE user_id = $1 AND id = $2";

/// A page of user $1's links in `query`'s order, after its keyset cursor, with titles holding
/// each of its words. Placeholders are numbered as conditions are added.
pub fn list(user_id: &str, query: &ShareQuery<'_>) -> Statement {
    let mut binds = vec![Bind::Text(user_id.into())];
    let mut sql = String::from(concat!(
        "SELECT ",
        link_columns!(),
        live_links!(),
        " WHERE l.user_id = $1"
    ));
    for word in query.title_words {
        let p = next(&mut binds, Bind::Text(word.clone()));
        sql.push_str(&format!(" AND lower(l.title) LIKE '%' || {p} || '%'"));
    }
    let (key, ascending) = match query.order {
        ShareOrder::CreatedDesc => ("l.created_at", false),
        ShareOrder::CreatedAsc => ("l.created_at", true),
        ShareOrder::TitleAsc => ("l.title", true),
        ShareOrder::TitleDesc => ("l.title", false),
    };
    if let Some(after) = &query.after {
        let (value, id) = match after {
            ShareKey::Created(at, id) => (Bind::Int(at.timestamp_millis()), id),
            ShareKey::Title(title, id) => (Bind::Text(title.clone()), id),
        };
        let v = next(&mut binds, value);
        let id = next(&mut binds, Bind::Text(id.to_string()));
        let op = if ascending { ">" } else { "<" };
        sql.push_str(&format!(
            " AND ({key} {op} {v} OR ({key} = {v} AND l.id {op} {id}))"
        ));
    }
    let dir = if ascending { "ASC" } else { "DESC" };
    // Literal limit, as in the conversation list (SQLite reuses the prepared statement).
    sql.push_str(&format!(
        " ORDER BY {key} {dir}, l.id {dir} LIMIT {}",
        query.limit
    ));
    Statement { sql, binds }
}

/// A `shared_links` row as read (the password only as a flag).
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub id: String,
    pub user_id: String,
    pub conversation_id: String,
    pub title: String,
    pub target_message_id: Option<String>,
    pub snapshot_at: i64,
    pub expires_at: Option<i64>,
    pub has_password: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A row of [`PUBLIC`]: the link and its password hash.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct PublicLinkRow {
    #[sqlx(flatten)]
    pub link: LinkRow,
    pub password_hash: Option<String>,
}

impl TryFrom<LinkRow> for SharedLink {
    type Error = StoreError;

    fn try_from(r: LinkRow) -> Result<Self, StoreError> {
        Ok(SharedLink {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            conversation_id: parse_id(&r.conversation_id)?,
            title: r.title,
            target_message_id: r.target_message_id.as_deref().map(parse_id).transpose()?,
            snapshot_at: from_millis(r.snapshot_at)?,
            expires_at: from_millis_opt(r.expires_at)?,
            has_password: r.has_password,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}
