//! Presence: which of the caller's devices are connected (`/api/v1/me/presence`), and how many
//! users are online (`/api/v1/admin/presence`). A device is an open event socket; see
//! docs/realtime.md.

use axum::Json;
use axum::extract::State;
use ferrochat_services::ServiceError;
use ferrochat_web::{AdminUser, ApiError, AppState, AuthUser};

use crate::dto::{DeviceDto, OnlineDto, PresenceDto};

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::from(ServiceError::Unavailable(format!("presence: {e}")))
}

/// `GET /api/v1/me/presence`.
#[utoipa::path(
    get,
    path = "/api/v1/me/presence",
    operation_id = "get_presence",
    tag = "me",
    summary = "The caller's connected devices (open event sockets)",
    responses((status = 200, body = PresenceDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn mine(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<PresenceDto>, ApiError> {
    let devices = state
        .presence
        .devices(&auth.user.id.to_string())
        .await
        .map_err(unavailable)?;
    Ok(Json(PresenceDto {
        online: !devices.is_empty(),
        devices: devices.iter().map(DeviceDto::from).collect(),
    }))
}

/// `GET /api/v1/admin/presence`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/presence",
    operation_id = "get_online",
    tag = "admin",
    summary = "How many users and devices are online",
    responses((status = 200, body = OnlineDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn everyone(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<OnlineDto>, ApiError> {
    let online = state.presence.online().await.map_err(unavailable)?;
    Ok(Json(OnlineDto {
        users: online.users,
        devices: online.devices,
    }))
}
