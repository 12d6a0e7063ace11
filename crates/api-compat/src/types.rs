//! LibreChat's wire types (§2, §11.1 of the reference), pinned here and converted at the edge.

use ferrochat_core::User;
use serde::{Deserialize, Serialize};

/// `POST /api/auth/login` body.
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    /// Login address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /api/auth/register` body.
#[derive(Debug, Deserialize)]
pub struct RegisterRequest {
    /// Display name.
    pub name: String,
    /// Login address.
    pub email: String,
    /// Optional handle.
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    pub password: String,
    /// Repeated password.
    pub confirm_password: String,
    /// Invite token (`/register?token=`); accepted and ignored until invites exist.
    #[serde(default)]
    pub token: Option<String>,
}

/// `TUser`: the user as the client stores it. Never carries password hashes or secrets.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TUser {
    /// ID (the client reads `id`).
    pub id: String,
    /// The same ID under Mongo's name, which some client code reads.
    #[serde(rename = "_id")]
    pub underscore_id: String,
    /// Display name.
    pub name: String,
    /// Handle; empty when unset, as LibreChat sends it.
    pub username: String,
    /// Login address.
    pub email: String,
    /// Whether the address is verified.
    pub email_verified: bool,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// `USER` or `ADMIN`.
    pub role: String,
    /// `local` or the sign-in provider.
    pub provider: String,
    /// Two-factor state.
    pub two_factor_enabled: bool,
    /// Terms acceptance.
    pub terms_accepted: bool,
    /// ISO-8601.
    pub created_at: String,
    /// ISO-8601.
    pub updated_at: String,
}

/// ISO-8601 with milliseconds and `Z`, as JavaScript's `Date#toISOString` writes it.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl From<&User> for TUser {
    fn from(u: &User) -> Self {
        TUser {
            id: u.id.to_string(),
            underscore_id: u.id.to_string(),
            name: u.name.clone(),
            username: u.username.clone().unwrap_or_default(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            avatar: u.avatar.clone(),
            role: u.role.as_str().to_owned(),
            provider: u.provider.clone(),
            two_factor_enabled: u.two_factor_enabled,
            terms_accepted: u.terms_accepted,
            created_at: iso(u.created_at),
            updated_at: iso(u.updated_at),
        }
    }
}

/// Login and refresh answer: the access token and the user.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// Bearer access token.
    pub token: String,
    /// The signed-in user.
    pub user: TUser,
}
