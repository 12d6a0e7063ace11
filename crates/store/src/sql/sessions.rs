//! Statements and row type for `sessions`.

use ferrochat_core::Session;

use super::time::{from_millis, from_millis_opt, parse_id};
use crate::StoreError;

macro_rules! session_columns {
    () => {
        "id, user_id, token_hash, expires_at, created_at, last_used_at, revoked_at, user_agent, ip"
    };
}

/// Inserts a session; binds the columns in [`SessionRow`] order.
pub const INSERT: &str = "INSERT INTO sessions (id, user_id, token_hash, expires_at, created_at, \
     last_used_at, revoked_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Selects by token hash ($1).
pub const BY_TOKEN_HASH: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE token_hash = $1"
);
/// Compare-and-swap rotation: binds id, old hash, new hash, new expiry, now.
pub const ROTATE: &str = "UPDATE sessions SET token_hash = $3, expires_at = $4, last_used_at = $5 \
     WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL AND expires_at > $5";
/// Remembers a rotated-away token hash ($1) of session $2 at $3.
pub const RECORD_ROTATED: &str =
    "INSERT INTO rotated_refresh_tokens (token_hash, session_id, rotated_at) VALUES ($1, $2, $3)";
/// The session a rotated-away token hash ($1) belonged to.
pub const BY_ROTATED_HASH: &str =
    "SELECT session_id FROM rotated_refresh_tokens WHERE token_hash = $1";
/// Selects by id ($1).
pub const BY_ID: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE id = $1"
);
/// Revokes session $1 at $2 unless already revoked.
pub const REVOKE: &str = "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
/// Revokes all live sessions of user $1 at $2.
pub const REVOKE_ALL: &str =
    "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
/// Revokes all live sessions of user $1 at $2 except session $3.
pub const REVOKE_ALL_EXCEPT: &str = "UPDATE sessions SET revoked_at = $2 \
     WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3";
/// A user's sessions, newest first.
pub const LIST_FOR_USER: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
);
/// Deletes sessions that expired before $1.
pub const DELETE_EXPIRED: &str = "DELETE FROM sessions WHERE expires_at < $1";

/// A `sessions` row as both engines return it.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    id: String,
    user_id: String,
    token_hash: String,
    expires_at: i64,
    created_at: i64,
    last_used_at: i64,
    revoked_at: Option<i64>,
    user_agent: Option<String>,
    ip: Option<String>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, Self::Error> {
        Ok(Session {
            id: parse_id(&row.id)?,
            user_id: parse_id(&row.user_id)?,
            token_hash: row.token_hash,
            expires_at: from_millis(row.expires_at)?,
            created_at: from_millis(row.created_at)?,
            last_used_at: from_millis(row.last_used_at)?,
            revoked_at: from_millis_opt(row.revoked_at)?,
            user_agent: row.user_agent,
            ip: row.ip,
        })
    }
}
