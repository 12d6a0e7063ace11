//! `/api/v1/me`: the caller's account and sign-in sessions.

use axum::Json;
use axum::extract::{Path, State};
use ferrochat_core::SessionId;
use ferrochat_services::ServiceError;
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::StatusCode;

use crate::dto::{Page, SessionDto, UserDto};

/// `GET /api/v1/me`.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "get_me",
    tag = "me",
    summary = "The caller's account",
    responses((status = 200, body = UserDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(auth: AuthUser) -> Json<UserDto> {
    Json(UserDto::from(&auth.user))
}

/// `PUT /api/v1/me/avatar`: the body, a PNG, JPEG, GIF or WebP image of at most 2 MB (its
/// type is told by its first bytes), becomes the caller's picture; the account comes back with
/// its new `avatar` link, which loads without credentials (an `<img>` sends none). The picture
/// it replaces is deleted.
#[utoipa::path(
    put,
    path = "/api/v1/me/avatar",
    operation_id = "set_avatar",
    tag = "me",
    summary = "Set the caller's picture",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The image's bytes (PNG, JPEG, GIF or WebP; at most 2 MB)"),
    responses((status = 200, body = UserDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn set_avatar(
    State(state): State<AppState>,
    auth: AuthUser,
    body: axum::body::Body,
) -> Result<Json<UserDto>, ApiError> {
    let url = state
        .services
        .files
        .set_avatar(auth.user.id, body.into_data_stream())
        .await?;
    let mut user = auth.user.clone();
    user.avatar = Some(url);
    Ok(Json(UserDto::from(&user)))
}

/// `DELETE /api/v1/me/avatar`: the account shows no picture (204); an uploaded one is deleted.
#[utoipa::path(
    delete,
    path = "/api/v1/me/avatar",
    operation_id = "clear_avatar",
    tag = "me",
    summary = "Remove the caller's picture",
    responses((status = 204, description = "Removed"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn clear_avatar(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<StatusCode, ApiError> {
    state.services.files.clear_avatar(auth.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me/sessions`: live sessions, newest first, the current one marked (one page).
#[utoipa::path(
    get,
    path = "/api/v1/me/sessions",
    tag = "me",
    summary = "The caller's live sessions",
    responses((status = 200, body = Page<SessionDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Page<SessionDto>>, ApiError> {
    let list = state.services.auth.sessions(auth.user.id).await?;
    Ok(Json(Page {
        data: list
            .iter()
            .map(|s| SessionDto::new(s, auth.session_id))
            .collect(),
        next_cursor: None,
        has_more: false,
    }))
}

/// `DELETE /api/v1/me/sessions/{id}`: signs that session out at once (204); its access and
/// refresh tokens stop working on their next use.
#[utoipa::path(
    delete,
    path = "/api/v1/me/sessions/{id}",
    tag = "me",
    summary = "Sign a session out",
    params(("id" = String, Path, description = "ID")),
    responses((status = 204, description = "Signed out"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: SessionId = id.parse().map_err(|_| ServiceError::NotFound("session"))?;
    state
        .services
        .auth
        .revoke_own_session(auth.user.id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
