//! `/api/v1/conversations`: list (keyset cursor; archived, folder and bookmark filters), get,
//! patch, soft delete and restore, over the same service as the LibreChat door.

use axum::Json;
use axum::extract::{Path, State};
use ferrochat_core::{ConversationId, FolderId};
use ferrochat_services::ServiceError;
use ferrochat_services::conversations::ConversationFilter;
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::StatusCode;

use crate::dto::{
    ConversationDto, ConversationPatch, ConversationsQuery, ListQuery, MessageDto, Page,
};

fn conversation_id(raw: &str) -> Result<ConversationId, ApiError> {
    raw.parse()
        .map_err(|_| ServiceError::NotFound("conversation").into())
}

/// `GET /api/v1/conversations?cursor=&limit=&archived=&folder_id=&tags=a,b&q=`: newest change
/// first; the cursor is stable under concurrent inserts and deletes.
#[utoipa::path(
    get,
    path = "/api/v1/conversations",
    operation_id = "list_conversations",
    tag = "conversations",
    summary = "List conversations, newest change first",
    params(ConversationsQuery),
    responses((status = 200, body = Page<ConversationDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ConversationsQuery>,
) -> Result<Json<Page<ConversationDto>>, ApiError> {
    let folder = match q.folder_id.as_deref() {
        Some(raw) => {
            let id: FolderId = raw.parse().map_err(|_| ServiceError::NotFound("folder"))?;
            state.services.folders.get(auth.user.id, id).await?;
            Some(id)
        }
        None => None,
    };
    let tags: Vec<String> = q
        .tags
        .as_deref()
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let terms =
        q.q.as_deref()
            .filter(|text| !text.trim().is_empty())
            .map(|text| ferrochat_services::search::terms(text, "q"))
            .transpose()?;
    let filter = ConversationFilter {
        archived: q.archived,
        folder,
        tags: &tags,
        search: terms.as_deref(),
    };
    page(&state, &auth, &filter, q.cursor.as_deref(), q.limit).await
}

/// One page of the caller's conversations in the native list shape; the folder listing uses
/// it too.
pub(crate) async fn page(
    state: &AppState,
    auth: &AuthUser,
    filter: &ConversationFilter<'_>,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<Json<Page<ConversationDto>>, ApiError> {
    let page = state
        .services
        .conversations
        .list(auth.user.id, filter, cursor, limit)
        .await?;
    Ok(Json(Page {
        data: page
            .conversations
            .iter()
            .map(ConversationDto::from)
            .collect(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/conversations/{id}`, with its bookmarks.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}",
    operation_id = "get_conversation",
    tag = "conversations",
    summary = "One conversation",
    params(("id" = String, Path, description = "ID")),
    responses((status = 200, body = ConversationDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ConversationDto>, ApiError> {
    let c = state
        .services
        .conversations
        .get(auth.user.id, conversation_id(&id)?)
        .await?;
    Ok(Json(ConversationDto::from(&c)))
}

/// `PATCH /api/v1/conversations/{id}`: title, archive flag and a settings patch.
#[utoipa::path(
    patch,
    path = "/api/v1/conversations/{id}",
    tag = "conversations",
    summary = "Rename, archive or change settings",
    params(("id" = String, Path, description = "ID")),
    request_body = ConversationPatch,
    responses((status = 200, body = ConversationDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn patch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConversationPatch>,
) -> Result<Json<ConversationDto>, ApiError> {
    let c = state
        .services
        .conversations
        .update(
            auth.user.id,
            conversation_id(&id)?,
            body.title.as_deref(),
            body.is_archived,
            body.settings.as_ref(),
        )
        .await?;
    Ok(Json(ConversationDto::from(&c)))
}

/// `DELETE /api/v1/conversations/{id}`: soft delete (204); `restore` brings it back until the
/// retention period purges it.
#[utoipa::path(
    delete,
    path = "/api/v1/conversations/{id}",
    operation_id = "delete_conversation",
    tag = "conversations",
    summary = "Delete (soft; restorable)",
    params(("id" = String, Path, description = "ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .services
        .conversations
        .delete(auth.user.id, conversation_id(&id)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServiceError::NotFound("conversation").into())
    }
}

/// `POST /api/v1/conversations/{id}/restore`: brings back a deleted conversation until it is
/// purged (`CONVERSATION_RETENTION`).
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/restore",
    tag = "conversations",
    summary = "Bring a deleted conversation back",
    params(("id" = String, Path, description = "ID")),
    responses((status = 200, body = ConversationDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn restore(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ConversationDto>, ApiError> {
    let conversation = state
        .services
        .conversations
        .restore(auth.user.id, conversation_id(&id)?)
        .await?;
    Ok(Json(ConversationDto::from(&conversation)))
}

/// `GET /api/v1/conversations/{id}/messages?cursor=&limit=`: the tree in pages (parents before
/// children, 100 by default, at most 500), for conversations of any length.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/messages",
    tag = "messages",
    summary = "A conversation's messages, parents first, in pages",
    params(("id" = String, Path, description = "ID"), ListQuery),
    responses((status = 200, body = Page<MessageDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn messages(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let page = state
        .services
        .conversations
        .messages_page(
            auth.user.id,
            conversation_id(&id)?,
            q.cursor.as_deref(),
            q.limit,
        )
        .await?;
    let body = Page {
        data: page
            .messages
            .iter()
            .map(MessageDto::from)
            .collect::<Vec<_>>(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    };
    Ok(Json(body).into_response())
}

/// What an import stored.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportDto {
    /// The file's format: `librechat`, `chatgpt` or `chatbot-ui`.
    pub format: &'static str,
    /// The new conversations' IDs, in file order.
    pub conversations: Vec<String>,
    /// Messages stored.
    pub messages: usize,
    /// Conversations left out because they held no message.
    pub skipped_empty: usize,
}

/// `POST /api/v1/conversations/import`: the body is an export file as is (LibreChat's JSON
/// export, ChatGPT's `conversations.json` or chatbot-ui's export), at most
/// `CONVERSATION_IMPORT_MAX_FILE_SIZE_BYTES`. Nothing is stored when any of it is invalid.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/import",
    operation_id = "import_conversations",
    tag = "conversations",
    summary = "Import conversations from a LibreChat, ChatGPT or chatbot-ui export",
    request_body(content = Object, content_type = "application/json", description = "The export file"),
    responses((status = 201, body = ImportDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn import(
    State(state): State<AppState>,
    auth: AuthUser,
    body: axum::body::Body,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let limit = usize::try_from(state.config.import_max_bytes).unwrap_or(usize::MAX);
    let file = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            ferrochat_web::ErrorCode::PayloadTooLarge,
            format!(
                "the file is larger than {limit} bytes (CONVERSATION_IMPORT_MAX_FILE_SIZE_BYTES)"
            ),
        )
    })?;
    let report = state
        .services
        .imports
        .import(auth.user.id, Vec::from(file))
        .await?;
    let dto = ImportDto {
        format: report.format,
        conversations: report.conversations.iter().map(|c| c.to_string()).collect(),
        messages: report.messages,
        skipped_empty: report.skipped_empty,
    };
    Ok((http::StatusCode::CREATED, Json(dto)).into_response())
}

/// `GET /api/v1/conversations/{id}/export` query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (LibreChat's export format, every branch; importable here and by LibreChat),
    /// `markdown` or `pdf` (the branch on screen: from the first message to the newest).
    pub format: String,
}

/// `GET /api/v1/conversations/{id}/export?format=json|markdown|pdf`: the conversation as a
/// file (`Content-Disposition: attachment` with a name from the title).
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/export",
    operation_id = "export_conversation",
    tag = "conversations",
    summary = "Export a conversation as JSON, Markdown or PDF",
    params(("id" = String, Path, description = "Conversation ID"), ExportQuery),
    responses(
        (status = 200, description = "The file", content(
            (Object = "application/json"),
            (String = "text/markdown"),
            (Vec<u8> = "application/pdf"),
        )),
        (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn export(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let format = ferrochat_services::export::ExportFormat::parse(&q.format)?;
    let id: ConversationId = id
        .parse()
        .map_err(|_| ServiceError::NotFound("conversation"))?;
    let file = state
        .services
        .conversations
        .export(auth.user.id, id, format)
        .await?;
    let ascii: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    Ok((
        [
            (http::header::CONTENT_TYPE, file.content_type.to_owned()),
            (http::header::CONTENT_DISPOSITION, disposition),
        ],
        file.bytes,
    )
        .into_response())
}
