//! Statements and rows of `api_keys`.

use ferrochat_core::{ApiKey, Scope};

use super::time::{from_millis, from_millis_opt, parse_id};
use crate::StoreError;

macro_rules! api_key_columns {
    () => {
        "id, user_id, name, prefix, scopes, expires_at, created_at"
    };
}

/// Inserts a key: the [`ApiKeyRow`] columns, then `token_hash` ($8).
pub const INSERT: &str = "INSERT INTO api_keys (id, user_id, name, prefix, scopes, expires_at, created_at, \
     token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// User $1's keys, oldest first.
pub const BY_USER: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys WHERE user_id = $1 ORDER BY created_at, id"
);
/// The key with token hash $1.
pub const BY_HASH: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys WHERE token_hash = $1"
);
/// Deletes key $2 of user $1.
pub const DELETE: &str = "DELETE FROM api_keys WHERE user_id = $1 AND id = $2";

/// An `api_keys` row.
#[derive(sqlx::FromRow)]
pub struct ApiKeyRow {
    id: String,
    user_id: String,
    name: String,
    prefix: String,
    scopes: String,
    expires_at: Option<i64>,
    created_at: i64,
}

/// Scopes as stored.
pub fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        let scopes = r
            .scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                Scope::parse(s).ok_or_else(|| {
                    StoreError::Other(format!("unknown scope `{s}` in database").into())
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ApiKey {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            name: r.name,
            prefix: r.prefix,
            scopes,
            expires_at: from_millis_opt(r.expires_at)?,
            created_at: from_millis(r.created_at)?,
        })
    }
}
