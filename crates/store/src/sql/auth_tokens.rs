//! Statements and row type for `auth_tokens`.

use ferrochat_core::{AuthToken, TokenPurpose};

use super::time::{from_millis, parse_id};
use crate::StoreError;

/// Inserts a token: id, user_id, purpose, token_hash, expires_at, created_at.
pub const INSERT: &str = "INSERT INTO auth_tokens (id, user_id, purpose, token_hash, expires_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// Unspent, unexpired tokens of user $1 for purpose $2 at time $3.
pub const LIVE: &str = "SELECT id, user_id, purpose, token_hash, expires_at, created_at FROM auth_tokens \
     WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3";
/// Spends token $1 at $2 unless it was spent already (so two redemptions cannot both win).
pub const SPEND: &str = "UPDATE auth_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
/// Deletes user $1's tokens for purpose $2 (a new one replaces them).
pub const DELETE_FOR_USER: &str = "DELETE FROM auth_tokens WHERE user_id = $1 AND purpose = $2";

/// An `auth_tokens` row.
#[derive(Debug, sqlx::FromRow)]
pub struct AuthTokenRow {
    id: String,
    user_id: String,
    purpose: String,
    token_hash: String,
    expires_at: i64,
    created_at: i64,
}

impl TryFrom<AuthTokenRow> for AuthToken {
    type Error = StoreError;

    fn try_from(row: AuthTokenRow) -> Result<Self, Self::Error> {
        let purpose = match row.purpose.as_str() {
            "reset_password" => TokenPurpose::ResetPassword,
            "verify_email" => TokenPurpose::VerifyEmail,
            other => {
                return Err(StoreError::Other(
                    format!("unknown token purpose `{other}`").into(),
                ));
            }
        };
        Ok(AuthToken {
            id: parse_id(&row.id)?,
            user_id: parse_id(&row.user_id)?,
            purpose,
            token_hash: row.token_hash,
            expires_at: from_millis(row.expires_at)?,
            created_at: from_millis(row.created_at)?,
        })
    }
}
