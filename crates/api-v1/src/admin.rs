//! `/api/v1/admin/users`: account administration. The [`AdminUser`] extractor admits
//! administrators only (401 without credentials, 403 for other users).

use axum::Json;
use axum::extract::{Path, State};
use ferrochat_core::{Role, UserId};
use ferrochat_services::ServiceError;
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::{AdminUser, ApiError, AppState};
use http::StatusCode;

use crate::dto::{BanBody, ListQuery, Page, RoleBody, UserDto};

fn parse_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse()
        .map_err(|_| ServiceError::NotFound("user").into())
}

/// `GET /api/v1/admin/users?cursor=&limit=`: every account, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    summary = "List users (administrators)",
    params(ListQuery),
    responses((status = 200, body = Page<UserDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<UserDto>>, ApiError> {
    let after = match q.cursor.as_deref() {
        Some(c) => Some(
            c.parse::<UserId>()
                .map_err(|_| ServiceError::invalid("cursor", "is not a cursor from this API"))?,
        ),
        None => None,
    };
    let page = state
        .services
        .users
        .list(after, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Page {
        data: page.users.iter().map(UserDto::from).collect(),
        has_more: page.next.is_some(),
        next_cursor: page.next.map(|id| id.to_string()),
    }))
}

/// `PUT /api/v1/admin/users/{id}/role`.
#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{id}/role",
    tag = "admin",
    summary = "Set a user's role",
    params(("id" = String, Path, description = "ID")),
    request_body = RoleBody,
    responses((status = 200, body = UserDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn set_role(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<UserDto>, ApiError> {
    let role: Role = body
        .role
        .parse()
        .map_err(|_| ServiceError::invalid("role", "must be USER or ADMIN"))?;
    let user = state
        .services
        .users
        .admin_set_role(admin.user.id, parse_id(&id)?, role)
        .await?;
    Ok(Json(UserDto::from(&user)))
}

/// `PUT /api/v1/admin/users/{id}/ban`: banning also ends every session of the account.
#[utoipa::path(
    put,
    path = "/api/v1/admin/users/{id}/ban",
    tag = "admin",
    summary = "Ban or unban a user",
    params(("id" = String, Path, description = "ID")),
    request_body = BanBody,
    responses((status = 200, body = UserDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn set_banned(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BanBody>,
) -> Result<Json<UserDto>, ApiError> {
    let user = state
        .services
        .users
        .admin_set_banned(admin.user.id, parse_id(&id)?, body.banned)
        .await?;
    Ok(Json(UserDto::from(&user)))
}

/// `DELETE /api/v1/admin/users/{id}`: the account and everything it owns.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    summary = "Delete a user and everything they own",
    params(("id" = String, Path, description = "ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .users
        .admin_delete(admin.user.id, parse_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
