//! `/api/v1/tags` (bookmarks) and `/api/v1/presets`, and message edits, over the same services
//! as the LibreChat door.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::{ConversationId, MessageId, Preset, Tag};
use ferrochat_services::ServiceError;
use ferrochat_services::presets::PresetInput;
use ferrochat_web::json::ApiJson;
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dto::{MessageDto, Page, present, rfc3339};

/// A bookmark.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagDto {
    /// Its name (how it is addressed).
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Place in the menu, 0 first.
    pub position: i64,
    /// Live conversations carrying it.
    pub count: u64,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Tag> for TagDto {
    fn from(t: &Tag) -> Self {
        TagDto {
            name: t.name.clone(),
            description: t.description.clone(),
            position: t.position,
            count: t.count,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// A preset.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PresetDto {
    /// ID.
    pub id: String,
    /// Name in the menu.
    pub title: Option<String>,
    /// Whether new chats start from it.
    pub is_default: bool,
    /// Place in the menu.
    pub position: Option<i64>,
    /// Endpoint, model and parameters.
    #[schema(value_type = Object)]
    pub settings: Value,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Preset> for PresetDto {
    fn from(p: &Preset) -> Self {
        PresetDto {
            id: p.id.clone(),
            title: p.title.clone(),
            is_default: p.is_default,
            position: p.position,
            settings: p.settings.clone(),
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

fn page<T>(data: Vec<T>) -> Page<T> {
    Page {
        data,
        next_cursor: None,
        has_more: false,
    }
}

/// `GET /api/v1/tags`: the caller's bookmarks in menu order.
#[utoipa::path(
    get,
    path = "/api/v1/tags",
    tag = "tags",
    summary = "List bookmarks in menu order",
    responses((status = 200, body = Page<TagDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list_tags(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Page<TagDto>>, ApiError> {
    let tags = state.services.tags.list(auth.user.id).await?;
    Ok(Json(page(tags.iter().map(TagDto::from).collect())))
}

/// `POST /api/v1/tags` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTag {
    /// 1-100 characters, unique per user.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Up to 1,000 characters.
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// `POST /api/v1/tags`: 201, or 409 when the name is taken.
#[utoipa::path(
    post,
    path = "/api/v1/tags",
    tag = "tags",
    summary = "Create a bookmark",
    request_body = NewTag,
    responses((status = 201, body = TagDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create_tag(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewTag>,
) -> Result<Response, ApiError> {
    let tags = &state.services.tags;
    if tags.get(auth.user.id, body.name.trim()).await.is_ok() {
        return Err(ServiceError::Conflict { field: "name" }.into());
    }
    let tag = tags
        .create(auth.user.id, &body.name, body.description.as_deref(), None)
        .await?;
    Ok((StatusCode::CREATED, Json(TagDto::from(&tag))).into_response())
}

/// `PATCH /api/v1/tags/{name}` body; absent fields stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagPatch {
    /// New name, 1-100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// New description; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    /// New place in the menu.
    pub position: Option<i64>,
}

/// `PATCH /api/v1/tags/{name}`.
#[utoipa::path(
    patch,
    path = "/api/v1/tags/{name}",
    tag = "tags",
    summary = "Rename, describe or move a bookmark",
    params(("name" = String, Path, description = "Bookmark name")),
    request_body = TagPatch,
    responses((status = 200, body = TagDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn update_tag(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<TagPatch>,
) -> Result<Json<TagDto>, ApiError> {
    let tag = state
        .services
        .tags
        .update(
            auth.user.id,
            &name,
            body.name.as_deref(),
            body.description.as_ref().map(|d| d.as_deref()),
            body.position,
        )
        .await?;
    Ok(Json(TagDto::from(&tag)))
}

/// `DELETE /api/v1/tags/{name}`: 204; its conversations stay.
#[utoipa::path(
    delete,
    path = "/api/v1/tags/{name}",
    tag = "tags",
    summary = "Delete a bookmark",
    params(("name" = String, Path, description = "Bookmark name")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete_tag(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.services.tags.delete(auth.user.id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/conversations/{id}/tags` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTags {
    /// Exactly these bookmarks (missing ones are created).
    pub tags: Vec<String>,
}

/// `PUT /api/v1/conversations/{id}/tags`: `{tags}` in menu order.
#[utoipa::path(
    put,
    path = "/api/v1/conversations/{id}/tags",
    tag = "tags",
    summary = "Set a conversation's bookmarks",
    params(("id" = String, Path, description = "ID")),
    request_body = SetTags,
    responses((status = 200, body = crate::openapi::TagList), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn set_conversation_tags(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetTags>,
) -> Result<Json<Value>, ApiError> {
    let id: ConversationId = id
        .parse()
        .map_err(|_| ServiceError::NotFound("conversation"))?;
    let tags = state
        .services
        .tags
        .set_for_conversation(auth.user.id, id, &body.tags)
        .await?;
    Ok(Json(serde_json::json!({ "tags": tags })))
}

/// `GET /api/v1/presets`.
#[utoipa::path(
    get,
    path = "/api/v1/presets",
    tag = "presets",
    summary = "List presets",
    responses((status = 200, body = Page<PresetDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list_presets(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Page<PresetDto>>, ApiError> {
    let presets = state.services.presets.list(auth.user.id).await?;
    Ok(Json(page(presets.iter().map(PresetDto::from).collect())))
}

/// `POST /api/v1/presets` body (also replaces one with the same `id`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPreset {
    /// Keep to replace an existing preset; absent makes a new one.
    pub id: Option<String>,
    /// Name in the menu, up to 200 characters.
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// Make it the default (at most one).
    pub is_default: Option<bool>,
    /// Place in the menu.
    pub position: Option<i64>,
    /// Endpoint, model and parameters (an object, up to 64 KiB).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: serde_json::Map<String, Value>,
}

/// `POST /api/v1/presets`: 201 with the stored preset.
#[utoipa::path(
    post,
    path = "/api/v1/presets",
    tag = "presets",
    summary = "Create or replace a preset",
    request_body = NewPreset,
    responses((status = 201, body = PresetDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn save_preset(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewPreset>,
) -> Result<Response, ApiError> {
    let preset = state
        .services
        .presets
        .save(
            auth.user.id,
            PresetInput {
                id: body.id,
                title: body.title,
                default: body.is_default,
                order: body.position,
                settings: Value::Object(body.settings),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(PresetDto::from(&preset))).into_response())
}

/// `DELETE /api/v1/presets/{id}`: 204, 404 when there is no such preset.
#[utoipa::path(
    delete,
    path = "/api/v1/presets/{id}",
    tag = "presets",
    summary = "Delete a preset",
    params(("id" = String, Path, description = "ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete_preset(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state
        .services
        .presets
        .delete(auth.user.id, Some(&id))
        .await?
    {
        0 => Err(ServiceError::NotFound("preset").into()),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

fn message_ids(cid: &str, mid: &str) -> Result<(ConversationId, MessageId), ApiError> {
    let c = cid
        .parse()
        .map_err(|_| ServiceError::NotFound("conversation"))?;
    let m = mid.parse().map_err(|_| ServiceError::NotFound("message"))?;
    Ok((c, m))
}

/// `PATCH /api/v1/conversations/{id}/messages/{message_id}` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessagePatch {
    /// New text (of the whole message, or of content part `index`).
    pub text: String,
    /// The content part to replace, for answers made of parts.
    pub index: Option<usize>,
}

/// `PATCH /api/v1/conversations/{id}/messages/{message_id}`: edits the text in place.
#[utoipa::path(
    patch,
    path = "/api/v1/conversations/{id}/messages/{message_id}",
    tag = "messages",
    summary = "Edit a message's text",
    params(("id" = String, Path, description = "ID"), ("message_id" = String, Path, description = "Message ID")),
    request_body = MessagePatch,
    responses((status = 200, body = MessageDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn edit_message(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((cid, mid)): Path<(String, String)>,
    ApiJson(body): ApiJson<MessagePatch>,
) -> Result<Response, ApiError> {
    let (c, m) = message_ids(&cid, &mid)?;
    let message = state
        .services
        .conversations
        .edit_message(auth.user.id, c, m, &body.text, body.index)
        .await?;
    Ok(Json(MessageDto::from(&message)).into_response())
}

/// `DELETE /api/v1/conversations/{id}/messages/{message_id}`: the message and its replies (a
/// subtree goes as a whole, so no reply is left without its parent); 204.
#[utoipa::path(
    delete,
    path = "/api/v1/conversations/{id}/messages/{message_id}",
    tag = "messages",
    summary = "Delete a message and its replies",
    params(("id" = String, Path, description = "ID"), ("message_id" = String, Path, description = "Message ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete_message(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((cid, mid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (c, m) = message_ids(&cid, &mid)?;
    state
        .services
        .conversations
        .delete_message(auth.user.id, c, m)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
