//! Single-use tokens sent by mail (password reset, email verification).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::UserId;
use crate::id::AuthTokenId;

/// What a mailed token allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    /// Setting a new password.
    ResetPassword,
    /// Confirming an email address.
    VerifyEmail,
}

impl TokenPurpose {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::VerifyEmail => "verify_email",
        }
    }
}

/// A stored token (its hash, never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthToken {
    /// Primary key.
    pub id: AuthTokenId,
    /// Whose token it is.
    pub user_id: UserId,
    /// What it allows.
    pub purpose: TokenPurpose,
    /// SHA-256 (hex) of the token.
    pub token_hash: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}
