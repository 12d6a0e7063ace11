//! Files: `/api/v1/files` uploads one in a request (the body is the file), lists, describes,
//! downloads (with ranges) and deletes the caller's. Resumable uploads are in `uploads`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::{FileId, UserFile};
use ferrochat_services::ServiceError;
use ferrochat_services::files::NewFile;
use ferrochat_web::json::ApiQuery;
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use crate::dto::{Page, rfc3339};

const PROBLEM: &str = "A problem (RFC 9457): `code` says which; see docs/errors.md";

/// A stored file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileDto {
    /// ID.
    pub id: String,
    /// Name it was uploaded with.
    pub filename: String,
    /// MIME type the uploader declared.
    pub content_type: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents (hex); also the download's ETag.
    pub sha256: String,
    /// Where it is kept: `local` or `s3`.
    pub source: String,
    /// Image width, when given.
    pub width: Option<u32>,
    /// Image height, when given.
    pub height: Option<u32>,
    /// What it is for (`message_attachment`, `avatar`, …).
    pub context: String,
    /// Download URL (needs the same credentials).
    pub content_url: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&UserFile> for FileDto {
    fn from(f: &UserFile) -> Self {
        FileDto {
            id: f.id.to_string(),
            filename: f.filename.clone(),
            content_type: f.content_type.clone(),
            bytes: f.bytes,
            sha256: f.sha256.clone(),
            source: f.source.clone(),
            width: f.width,
            height: f.height,
            context: f.context.clone(),
            content_url: format!("/api/v1/files/{}/content", f.id),
            created_at: rfc3339(f.created_at),
        }
    }
}

/// `POST /api/v1/files` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name.
    #[param(min_length = 1, max_length = 255)]
    pub filename: String,
    /// What it is for (default `message_attachment`).
    pub context: Option<String>,
}

/// `GET /api/v1/files` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListFiles {
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// The file ID in a path; a malformed one is simply not found.
pub(crate) fn file_id(text: &str) -> Result<FileId, ApiError> {
    text.parse()
        .map_err(|_| ServiceError::NotFound("file").into())
}

/// A header's value as a number, if present and numeric.
pub(crate) fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `POST /api/v1/files`: the request body is the file, its `Content-Type` the file's type. The
/// body streams to storage; `Content-Length`, when sent, lets an oversized file be refused
/// before it is read.
#[utoipa::path(
    post,
    path = "/api/v1/files",
    operation_id = "upload_file",
    tag = "files",
    summary = "Upload a file (the body is its contents)",
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes; any Content-Type (it is recorded as the file's type)"),
    responses((status = 201, body = FileDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn upload(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|t| t.split(';').next().unwrap_or(t).trim().to_owned());
    let new = NewFile {
        filename: q.filename,
        content_type,
        context: q.context,
        ..NewFile::default()
    };
    let file = state
        .services
        .files
        .upload(
            auth.user.id,
            new,
            number(&headers, "content-length"),
            body.into_data_stream(),
        )
        .await?;
    let location = format!("/api/v1/files/{}", file.id);
    let mut response = (StatusCode::CREATED, Json(FileDto::from(&file))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /api/v1/files`: newest first.
#[utoipa::path(
    get,
    path = "/api/v1/files",
    operation_id = "list_files",
    tag = "files",
    summary = "The caller's files",
    params(ListFiles),
    responses((status = 200, body = Page<FileDto>), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ListFiles>,
) -> Result<Json<Page<FileDto>>, ApiError> {
    let page = state
        .services
        .files
        .list(auth.user.id, q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(Page {
        data: page.files.iter().map(FileDto::from).collect(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/files/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/files/{id}",
    operation_id = "get_file",
    tag = "files",
    summary = "A file's description",
    params(("id" = String, Path, description = "File ID")),
    responses((status = 200, body = FileDto), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<FileDto>, ApiError> {
    let file = state
        .services
        .files
        .get(auth.user.id, file_id(&id)?)
        .await?;
    Ok(Json(FileDto::from(&file)))
}

/// `DELETE /api/v1/files/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/files/{id}",
    operation_id = "delete_file",
    tag = "files",
    summary = "Delete a file",
    params(("id" = String, Path, description = "File ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .files
        .delete(auth.user.id, file_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/files/{id}/content`: the bytes, as an attachment (never rendered inline, so
/// an uploaded HTML or SVG file cannot run script on this origin). One `Range` is honoured
/// (206); `If-None-Match` with the ETag answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/files/{id}/content",
    operation_id = "download_file",
    tag = "files",
    summary = "Download a file's contents",
    params(
        ("id" = String, Path, description = "File ID"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`"),
    ),
    responses(
        (status = 200, description = "The contents", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 304, description = "Unchanged (If-None-Match)"),
        (status = 416, description = "The range is outside the file"),
        (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn content(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = file_id(&id)?;
    let file = state.services.files.get(auth.user.id, id).await?;
    Ok(ferrochat_web::download::file_response(&state.services.files, &file, &headers).await?)
}
