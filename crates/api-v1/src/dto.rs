//! Wire shapes of the native API.

use ferrochat_core::User;
use serde::{Deserialize, Serialize};

/// Timestamps on the wire: RFC 3339 in UTC with milliseconds.
pub(crate) fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// For `PATCH` bodies: an absent field stays `None`, `null` becomes `Some(None)`.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A user as administrators see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    #[schema(value_type = Object)]
    pub settings: ferrochat_core::JsonText,
    /// Folder it is filed in, if any.
    pub folder_id: Option<String>,
    /// Bookmarks (filled on single reads, empty in lists).
    pub tags: Vec<String>,
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
            folder_id: c.folder_id.map(|f| f.to_string()),
            tags: c.tags.clone(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A folder.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FolderDto {
    /// ID.
    pub id: String,
    /// Name, unique per user.
    pub name: String,
    /// Live conversations in it.
    pub conversation_count: u64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&ferrochat_core::Folder> for FolderDto {
    fn from(f: &ferrochat_core::Folder) -> Self {
        FolderDto {
            id: f.id.to_string(),
            name: f.name.clone(),
            conversation_count: f.count,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(f.updated_at),
        }
    }
}

/// `POST /api/v1/folders` and `PATCH /api/v1/folders/{id}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderBody {
    /// 1-100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// `PUT /api/v1/conversations/{id}/folder` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    /// Target folder; `null` takes the conversation out of its folder. Required, so an empty
    /// body is refused rather than read as "out of any folder".
    #[serde(deserialize_with = "required_nullable")]
    pub folder_id: Option<String>,
}

/// A field that must be present but may be `null` (serde lets a plain `Option` be absent).
fn required_nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// Query of a folder's conversation list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationListQuery {
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `true` lists the archived conversations instead.
    #[serde(default)]
    pub archived: bool,
}

/// Query of `GET /api/v1/conversations`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationsQuery {
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `true` lists the archived conversations instead.
    #[serde(default)]
    pub archived: bool,
    /// Only conversations in this folder.
    pub folder_id: Option<String>,
    /// Only conversations carrying any of these bookmarks, comma-separated.
    pub tags: Option<String>,
    /// Only conversations whose title contains every word of this text or that hold a message
    /// matching it (see `GET /api/v1/search/messages`).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// `PATCH /api/v1/conversations/{id}` body; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    /// New title, 1-200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// Archive or unarchive.
    pub is_archived: Option<bool>,
    /// Settings to merge: keys replace the stored ones, `null` removes one.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One of the caller's sign-in sessions (a device or browser).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionDto {
    /// ID.
    pub id: String,
    /// Whether this is the session the request came with.
    pub current: bool,
    /// Client user agent when it signed in.
    pub user_agent: Option<String>,
    /// Client IP when it signed in.
    pub ip: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339: last refresh.
    pub last_used_at: String,
    /// RFC 3339: when it can no longer be refreshed.
    pub expires_at: String,
}

impl SessionDto {
    /// The session as its owner sees it; `current` marks the one in use.
    pub fn new(s: &ferrochat_core::Session, current: Option<ferrochat_core::SessionId>) -> Self {
        SessionDto {
            id: s.id.to_string(),
            current: Some(s.id) == current,
            user_agent: s.user_agent.clone(),
            ip: s.ip.clone(),
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            expires_at: rfc3339(s.expires_at),
        }
    }
}

/// A message in the native API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageDto<'a> {
    /// ID (LibreChat's `messageId`).
    pub id: String,
    /// Parent in the tree; `null` for a root.
    pub parent_id: Option<String>,
    /// `User` or the model's label.
    pub sender: &'a str,
    /// Whether the user wrote it.
    pub is_created_by_user: bool,
    /// Plain text.
    pub text: &'a str,
    /// Content parts, when the answer is made of parts.
    #[schema(value_type = Option<Vec<Object>>)]
    pub content: Option<&'a serde_json::value::RawValue>,
    /// Model that wrote it.
    pub model: Option<&'a str>,
    /// Endpoint that served it.
    pub endpoint: Option<&'a str>,
    /// Tokens it counts.
    pub token_count: Option<i64>,
    /// Whether it records a failure.
    pub error: bool,
    /// Whether generation stopped before the end.
    pub unfinished: bool,
    /// The user's rating.
    #[schema(value_type = Option<Object>)]
    pub feedback: Option<&'a serde_json::value::RawValue>,
    /// Files attached to it: `[{file_id, filename, type, bytes, filepath, width, height}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub files: Option<&'a serde_json::value::RawValue>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl<'a> From<&'a ferrochat_core::Message> for MessageDto<'a> {
    fn from(m: &'a ferrochat_core::Message) -> Self {
        MessageDto {
            id: m.id.to_string(),
            parent_id: m.parent_id.map(|p| p.to_string()),
            sender: &m.sender,
            is_created_by_user: m.is_created_by_user,
            text: &m.text,
            content: m.content.as_ref().map(ferrochat_core::JsonText::as_raw),
            model: m.model.as_deref(),
            endpoint: m.endpoint.as_deref(),
            token_count: m.token_count,
            error: m.error,
            unfinished: m.unfinished,
            feedback: m.feedback.as_ref().map(ferrochat_core::JsonText::as_raw),
            files: m.files.as_ref().map(ferrochat_core::JsonText::as_raw),
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
        }
    }
}

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Whether another page exists.
    pub has_more: bool,
}

/// List query parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-200 (default 50).
    pub limit: Option<u32>,
}

/// `PUT …/role` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `USER` or `ADMIN`.
    pub role: String,
}

/// `PUT …/ban` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanBody {
    /// Ban (`true`) or lift the ban (`false`).
    pub banned: bool,
}

/// Query of `GET /api/v1/search/messages`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What to look for: every word must start a word of the message (case and, on SQLite,
    /// accents ignored); punctuation only separates words. At most 16 words.
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A message that matched a search.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHitDto<'a> {
    /// The message.
    pub message: MessageDto<'a>,
    /// Its conversation.
    pub conversation: HitConversationDto<'a>,
}

/// What a search hit shows of its conversation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HitConversationDto<'a> {
    /// ID.
    pub id: String,
    /// Title.
    pub title: &'a str,
    /// Model.
    pub model: Option<&'a str>,
    /// Endpoint.
    pub endpoint: Option<&'a str>,
}

impl<'a> From<&'a ferrochat_services::search::MessageHit> for SearchHitDto<'a> {
    fn from(hit: &'a ferrochat_services::search::MessageHit) -> Self {
        SearchHitDto {
            message: MessageDto::from(&hit.message),
            conversation: HitConversationDto {
                id: hit.message.conversation_id.to_string(),
                title: &hit.conversation_title,
                model: hit.conversation_model.as_deref(),
                endpoint: hit.conversation_endpoint.as_deref(),
            },
        }
    }
}

/// The caller's weekly digest subscription.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DigestDto {
    /// Whether this server sends weekly digests (mail configured, not turned off).
    pub available: bool,
    /// Whether the caller gets them.
    pub subscribed: bool,
    /// RFC 3339: when they subscribed.
    pub subscribed_at: Option<String>,
    /// RFC 3339: when the next digest goes out.
    pub next_at: String,
}

impl From<&ferrochat_services::DigestStatus> for DigestDto {
    fn from(s: &ferrochat_services::DigestStatus) -> Self {
        Self {
            available: s.available,
            subscribed: s.subscribed_at.is_some(),
            subscribed_at: s.subscribed_at.map(rfc3339),
            next_at: rfc3339(s.next_at),
        }
    }
}

/// `PUT /api/v1/me/digest` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DigestBody {
    /// Get the weekly digest (`true`) or stop it (`false`).
    pub subscribed: bool,
}

/// What a run of the weekly digests did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DigestRunDto {
    /// RFC 3339: the start of the week the digests covered (null when digests are off).
    pub week_start: Option<String>,
    /// Digests sent.
    pub sent: u32,
    /// Subscribers without activity that week (claimed, nothing sent).
    pub quiet: u32,
    /// Digests the mail server did not take (retried at the next scheduled run).
    pub failed: u32,
}

/// Query of the unsubscribe link.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UnsubscribeQuery {
    /// The token from the digest's link.
    pub token: String,
}

/// One of the caller's devices: an open event socket (`GET /api/v1/events`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceDto {
    /// Random ID given when the socket opened (its `ready` frame says it).
    pub id: String,
    /// The socket's `User-Agent`.
    pub user_agent: Option<String>,
    /// RFC 3339: when it connected.
    pub connected_at: Option<String>,
}

impl From<&ferrochat_web::Device> for DeviceDto {
    fn from(d: &ferrochat_web::Device) -> Self {
        Self {
            id: d.id.clone(),
            user_agent: d.user_agent.clone(),
            connected_at: chrono::DateTime::from_timestamp_millis(d.connected_at_ms).map(rfc3339),
        }
    }
}

/// Whether the caller is online, and on which devices.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PresenceDto {
    /// At least one device is connected.
    pub online: bool,
    /// Open sockets, oldest connection first.
    pub devices: Vec<DeviceDto>,
}

/// How many users and devices are online, on every instance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OnlineDto {
    /// Users with at least one open event socket.
    pub users: u64,
    /// Open event sockets.
    pub devices: u64,
}

/// The server's speech engines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SpeechDto {
    /// `POST /api/v1/speech/transcriptions` works.
    pub speech_to_text: bool,
    /// `POST /api/v1/speech/synthesis` works.
    pub text_to_speech: bool,
    /// The voices offered, the first being the default.
    pub voices: Vec<String>,
}

/// What a recording said.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TranscriptDto {
    /// The text.
    pub text: String,
}

/// `POST /api/v1/speech/synthesis` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthesisBody {
    /// The text, at most 4,096 characters.
    pub input: String,
    /// One of the voices of `GET /api/v1/speech`.
    #[serde(default)]
    pub voice: Option<String>,
}
