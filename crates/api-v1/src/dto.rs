//! Wire shapes of the native API.

use ferrochat_core::User;
use serde::{Deserialize, Serialize};

/// Timestamps on the wire: RFC 3339 in UTC with milliseconds.
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A user as administrators see it.
#[derive(Debug, Serialize)]
pub struct UserDto {
    /// ID.
    pub id: String,
    /// Login address.
    pub email: String,
    /// Handle.
    pub username: Option<String>,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// `USER` or `ADMIN`.
    pub role: &'static str,
    /// `local` or the sign-in provider that created the account.
    pub provider: String,
    /// Whether the address is verified.
    pub email_verified: bool,
    /// Whether the account is banned.
    pub banned: bool,
    /// Whether sign-in needs a second factor.
    pub two_factor_enabled: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.to_string(),
            email: u.email.clone(),
            username: u.username.clone(),
            name: u.name.clone(),
            avatar: u.avatar.clone(),
            role: u.role.as_str(),
            provider: u.provider.clone(),
            email_verified: u.email_verified,
            banned: u.banned,
            two_factor_enabled: u.two_factor_enabled,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// A conversation in the native API.
#[derive(Debug, Serialize)]
pub struct ConversationDto {
    /// ID (LibreChat's `conversationId`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Endpoint key.
    pub endpoint: Option<String>,
    /// `custom` for custom endpoints.
    pub endpoint_type: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Archived conversations are listed separately.
    pub is_archived: bool,
    /// Model parameters and other client settings.
    pub settings: serde_json::Value,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&ferrochat_core::Conversation> for ConversationDto {
    fn from(c: &ferrochat_core::Conversation) -> Self {
        ConversationDto {
            id: c.id.to_string(),
            title: c.title.clone(),
            endpoint: c.endpoint.clone(),
            endpoint_type: c.endpoint_type.clone(),
            model: c.model.clone(),
            is_archived: c.is_archived,
            settings: c.settings.clone(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Whether another page exists.
    pub has_more: bool,
}

/// List query parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<u32>,
}

/// `PUT …/role` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `USER` or `ADMIN`.
    pub role: String,
}

/// `PUT …/ban` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanBody {
    /// Ban (`true`) or lift the ban (`false`).
    pub banned: bool,
}
