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
