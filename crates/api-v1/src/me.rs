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
