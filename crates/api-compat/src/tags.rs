//! `/api/tags`: bookmarks (§8.3). Answers use LibreChat's tag shape and `{error}` bodies.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::Tag;
use ferrochat_services::ServiceError;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::convos::{conversation_id, error, from_service};
use crate::json::{CompatJson, present};
use crate::types::iso;

/// LibreChat's `TConversationTag`.
fn tag(t: &Tag) -> Value {
    json!({
        "_id": t.id.to_string(),
        "user": t.user_id.to_string(),
        "tag": t.name,
        "description": t.description,
        "count": t.count,
        "position": t.position,
        "createdAt": iso(t.created_at),
        "updatedAt": iso(t.updated_at),
    })
}

fn tag_error(err: ServiceError) -> Response {
    match err {
        ServiceError::NotFound("tag") => error(StatusCode::NOT_FOUND, "Tag not found"),
        ServiceError::Conflict { .. } => error(StatusCode::CONFLICT, "Tag already exists"),
        other => from_service(other),
    }
}

/// `GET /api/tags`: the user's bookmarks in menu order, with counts.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> Response {
    match state.services.tags.list(auth.user.id).await {
        Ok(tags) => Json(tags.iter().map(tag).collect::<Vec<_>>()).into_response(),
        Err(e) => tag_error(e),
    }
}

/// `POST /api/tags` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    tag: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    add_to_conversation: Option<bool>,
}

/// `POST /api/tags`: creates a bookmark (an existing name is returned as is), optionally
/// putting it on a conversation; 200 with the tag.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<CreateBody>,
) -> Response {
    let conversation = match (body.add_to_conversation, body.conversation_id.as_deref()) {
        (Some(true), Some(raw)) => match conversation_id(raw) {
            Some(id) => Some(id),
            None => return error(StatusCode::NOT_FOUND, "Conversation not found"),
        },
        _ => None,
    };
    match state
        .services
        .tags
        .create(
            auth.user.id,
            &body.tag,
            body.description.as_deref(),
            conversation,
        )
        .await
    {
        Ok(t) => Json(tag(&t)).into_response(),
        Err(e) => tag_error(e),
    }
}

/// `PUT /api/tags/{tag}` body; `description: null` clears it.
#[derive(Debug, Deserialize)]
pub struct UpdateBody {
    #[serde(default)]
    tag: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    #[serde(default)]
    position: Option<i64>,
}

/// `PUT /api/tags/{tag}`: renames, describes or moves a bookmark.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(name): Path<String>,
    CompatJson(body): CompatJson<UpdateBody>,
) -> Response {
    match state
        .services
        .tags
        .update(
            auth.user.id,
            &name,
            body.tag.as_deref(),
            body.description.as_ref().map(Option::as_deref),
            body.position,
        )
        .await
    {
        Ok(t) => Json(tag(&t)).into_response(),
        Err(e) => tag_error(e),
    }
}

/// `DELETE /api/tags/{tag}`: deletes a bookmark; answers with it as it was.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(name): Path<String>,
) -> Response {
    match state.services.tags.delete(auth.user.id, &name).await {
        Ok(t) => Json(tag(&t)).into_response(),
        Err(e) => tag_error(e),
    }
}

/// `PUT /api/tags/convo/{conversationId}` body; the client also sends the `tag` it toggled,
/// which the list already reflects.
#[derive(Debug, Deserialize)]
pub struct ConversationTagsBody {
    #[serde(default)]
    tags: Vec<String>,
}

/// `PUT /api/tags/convo/{conversationId}`: sets exactly these bookmarks on the conversation;
/// answers with its new list.
pub async fn set_for_conversation(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(raw): Path<String>,
    CompatJson(body): CompatJson<ConversationTagsBody>,
) -> Response {
    let Some(id) = conversation_id(&raw) else {
        return error(StatusCode::NOT_FOUND, "Conversation not found");
    };
    match state
        .services
        .tags
        .set_for_conversation(auth.user.id, id, &body.tags)
        .await
    {
        Ok(names) => Json(names).into_response(),
        Err(e) => tag_error(e),
    }
}
