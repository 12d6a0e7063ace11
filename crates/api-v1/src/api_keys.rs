//! `/api/v1/me/api-keys`: the caller's personal API keys. The token is in the creation answer
//! only. Creating and revoking keys takes a signed-in session: a key cannot mint or remove keys.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ferrochat_core::{ApiKey, ApiKeyId};
use ferrochat_services::ServiceError;
use ferrochat_web::json::ApiJson;
use ferrochat_web::{ApiError, AppState, AuthUser, ErrorCode};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::dto::{Page, rfc3339};

/// A key as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyDto {
    /// ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    /// `read`, `write`, `chat`, `admin`.
    pub scopes: Vec<&'static str>,
    /// RFC 3339, or `null` for a key that does not expire.
    pub expires_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&ApiKey> for ApiKeyDto {
    fn from(k: &ApiKey) -> Self {
        ApiKeyDto {
            id: k.id.to_string(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.iter().map(|s| s.as_str()).collect(),
            expires_at: k.expires_at.map(rfc3339),
            created_at: rfc3339(k.created_at),
        }
    }
}

/// A scope name, for the schema.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum KeyScope {
    /// GET requests.
    Read,
    /// Changes.
    Write,
    /// `/api/v1/chat`.
    Chat,
    /// `/api/v1/admin` (administrators only).
    Admin,
}

/// `POST /api/v1/me/api-keys` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// A name, 1-100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Scopes: `read`, `write`, `chat`, `admin` (administrators only).
    #[schema(min_items = 1, inline, value_type = Vec<KeyScope>)]
    pub scopes: Vec<String>,
    /// RFC 3339 expiry; absent for a key that does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

fn session_only(auth: &AuthUser) -> Result<(), ApiError> {
    if auth.api_key.is_some() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "API keys are managed from a signed-in session, not with a key",
        ));
    }
    Ok(())
}

/// `GET /api/v1/me/api-keys`.
#[utoipa::path(
    get,
    path = "/api/v1/me/api-keys",
    operation_id = "list_api_keys",
    tag = "api keys",
    summary = "The caller's API keys",
    responses((status = 200, body = Page<ApiKeyDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Page<ApiKeyDto>>, ApiError> {
    let keys = state.services.api_keys.list(auth.user.id).await?;
    Ok(Json(Page {
        data: keys.iter().map(ApiKeyDto::from).collect(),
        next_cursor: None,
        has_more: false,
    }))
}

/// `POST /api/v1/me/api-keys`: 201 with the key and its `token`, shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/me/api-keys",
    operation_id = "create_api_key",
    tag = "api keys",
    summary = "Create an API key (the token is in this answer only)",
    request_body = CreateKey,
    responses((status = 201, body = crate::openapi::CreatedKeyDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreateKey>,
) -> Result<Response, ApiError> {
    session_only(&auth)?;
    let created = state
        .services
        .api_keys
        .create(&auth.user, &body.name, &body.scopes, body.expires_at)
        .await?;
    let mut out = serde_json::to_value(ApiKeyDto::from(&created.key))
        .map_err(|e| ApiError::from(ServiceError::Internal(Box::new(e))))?;
    out["token"] = created.token.into();
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `DELETE /api/v1/me/api-keys/{id}`: revoked at once (204).
#[utoipa::path(
    delete,
    path = "/api/v1/me/api-keys/{id}",
    tag = "api keys",
    summary = "Revoke an API key",
    params(("id" = String, Path, description = "ID")),
    responses((status = 204, description = "Revoked"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn revoke(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    session_only(&auth)?;
    let id: ApiKeyId = id.parse().map_err(|_| ServiceError::NotFound("API key"))?;
    state.services.api_keys.revoke(auth.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
