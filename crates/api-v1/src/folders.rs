//! `/api/v1/folders`: folders and filing conversations into them. A conversation sits in at
//! most one folder; deleting a folder keeps its conversations.

use axum::Json;
use axum::extract::{Path, State};
use ferrochat_core::{ConversationId, FolderId};
use ferrochat_services::ServiceError;
use ferrochat_services::conversations::ConversationFilter;
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::StatusCode;

use crate::dto::{ConversationDto, ConversationListQuery, FolderBody, FolderDto, MoveBody, Page};

fn folder_id(raw: &str) -> Result<FolderId, ApiError> {
    raw.parse()
        .map_err(|_| ServiceError::NotFound("folder").into())
}

/// `GET /api/v1/folders`: every folder of the caller, by name (one page).
#[utoipa::path(
    get,
    path = "/api/v1/folders",
    operation_id = "list_folders",
    tag = "folders",
    summary = "List folders",
    responses((status = 200, body = Page<FolderDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Page<FolderDto>>, ApiError> {
    let folders = state.services.folders.list(auth.user.id).await?;
    Ok(Json(Page {
        data: folders.iter().map(FolderDto::from).collect(),
        next_cursor: None,
        has_more: false,
    }))
}

/// `POST /api/v1/folders`: 201 with the new folder; 409 when the name is taken.
#[utoipa::path(
    post,
    path = "/api/v1/folders",
    operation_id = "create_folder",
    tag = "folders",
    summary = "Create a folder",
    request_body = FolderBody,
    responses((status = 201, body = FolderDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<FolderBody>,
) -> Result<(StatusCode, Json<FolderDto>), ApiError> {
    let folder = state
        .services
        .folders
        .create(auth.user.id, &body.name)
        .await?;
    Ok((StatusCode::CREATED, Json(FolderDto::from(&folder))))
}

/// `GET /api/v1/folders/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/folders/{id}",
    operation_id = "get_folder",
    tag = "folders",
    summary = "One folder",
    params(("id" = String, Path, description = "ID")),
    responses((status = 200, body = FolderDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<FolderDto>, ApiError> {
    let folder = state
        .services
        .folders
        .get(auth.user.id, folder_id(&id)?)
        .await?;
    Ok(Json(FolderDto::from(&folder)))
}

/// `PATCH /api/v1/folders/{id}`: renames.
#[utoipa::path(
    patch,
    path = "/api/v1/folders/{id}",
    tag = "folders",
    summary = "Rename a folder",
    params(("id" = String, Path, description = "ID")),
    request_body = FolderBody,
    responses((status = 200, body = FolderDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn rename(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FolderBody>,
) -> Result<Json<FolderDto>, ApiError> {
    let folder = state
        .services
        .folders
        .rename(auth.user.id, folder_id(&id)?, &body.name)
        .await?;
    Ok(Json(FolderDto::from(&folder)))
}

/// `DELETE /api/v1/folders/{id}`: 204; its conversations stay, outside any folder.
#[utoipa::path(
    delete,
    path = "/api/v1/folders/{id}",
    operation_id = "delete_folder",
    tag = "folders",
    summary = "Delete a folder (its conversations stay)",
    params(("id" = String, Path, description = "ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .folders
        .delete(auth.user.id, folder_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/folders/{id}/conversations?cursor=&limit=&archived=`: the folder's
/// conversations, newest change first, with the same keyset cursor as every conversation list.
#[utoipa::path(
    get,
    path = "/api/v1/folders/{id}/conversations",
    tag = "folders",
    summary = "A folder's conversations",
    params(("id" = String, Path, description = "ID"), ConversationListQuery),
    responses((status = 200, body = Page<ConversationDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn conversations(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ConversationListQuery>,
) -> Result<Json<Page<ConversationDto>>, ApiError> {
    let folder = folder_id(&id)?;
    state.services.folders.get(auth.user.id, folder).await?;
    let filter = ConversationFilter {
        archived: q.archived,
        folder: Some(folder),
        tags: &[],
        search: None,
    };
    crate::conversations::page(&state, &auth, &filter, q.cursor.as_deref(), q.limit).await
}

/// `PUT /api/v1/conversations/{id}/folder`: files the conversation (`folder_id: null` takes it
/// out); answers with the conversation.
#[utoipa::path(
    put,
    path = "/api/v1/conversations/{id}/folder",
    tag = "folders",
    summary = "File a conversation in a folder, or take it out",
    params(("id" = String, Path, description = "ID")),
    request_body = MoveBody,
    responses((status = 200, body = ConversationDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn move_conversation(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MoveBody>,
) -> Result<Json<ConversationDto>, ApiError> {
    let conversation: ConversationId = id
        .parse()
        .map_err(|_| ServiceError::NotFound("conversation"))?;
    let folder = body.folder_id.as_deref().map(folder_id).transpose()?;
    let moved = state
        .services
        .folders
        .move_conversation(auth.user.id, conversation, folder)
        .await?;
    Ok(Json(ConversationDto::from(&moved)))
}
