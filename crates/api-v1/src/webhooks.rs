//! Webhooks: `/api/v1/webhooks` registers and manages the caller's; each has a delivery log
//! under `/deliveries`, a test `ping` and a `secret` rotation. How deliveries are signed and
//! retried: docs/webhooks.md.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::{Delivery, Webhook};
use ferrochat_services::webhooks::{NewWebhook, WebhookChange};
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::dto::{Page, rfc3339};

/// A webhook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookDto {
    /// ID.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// Event names it receives, or `*` for all.
    pub events: Vec<String>,
    /// The owner's note.
    pub description: String,
    /// Whether events are sent to it.
    pub active: bool,
    /// Why the server turned it off, when it did (the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Webhook> for WebhookDto {
    fn from(h: &Webhook) -> Self {
        WebhookDto {
            id: h.id.to_string(),
            url: h.url.clone(),
            events: h.events.clone(),
            description: h.description.clone(),
            active: h.active,
            disabled_reason: h.disabled_reason.clone(),
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
        }
    }
}

/// A new webhook, with its signing secret (shown only here).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhookDto {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// `whsec_…`: verifies the `webhook-signature` header (Standard Webhooks). Store it now.
    pub secret: String,
}

/// A new signing secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SecretDto {
    /// `whsec_…`; the old secret no longer signs.
    pub secret: String,
}

/// One event's delivery to a webhook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryDto {
    /// ID; the receiver sees it as `webhook-id`, the same on every attempt.
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// Event name.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// RFC 3339: when the next attempt is due (pending only).
    pub next_attempt_at: Option<String>,
    /// RFC 3339.
    pub last_attempt_at: Option<String>,
    /// The receiver's status code on the last attempt, if it answered.
    pub response_status: Option<u16>,
    /// What went wrong on the last attempt.
    pub last_error: Option<String>,
    /// The body sent (the same bytes on every attempt).
    pub payload: serde_json::Value,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&Delivery> for DeliveryDto {
    fn from(d: &Delivery) -> Self {
        let pending = d.status == ferrochat_core::DeliveryStatus::Pending;
        DeliveryDto {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            event: d.event.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: pending.then(|| rfc3339(d.next_attempt_at)),
            last_attempt_at: d.last_attempt_at.map(rfc3339),
            response_status: d.response_status,
            last_error: d.last_error.clone(),
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            created_at: rfc3339(d.created_at),
        }
    }
}

/// `POST /api/v1/webhooks` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An http(s) URL on a public address (unless the operator allowlists it).
    #[schema(max_length = 2048)]
    pub url: String,
    /// Event names (`conversation.created`, `message.created`, …; docs/webhooks.md), or
    /// `["*"]` for all.
    pub events: Vec<String>,
    /// A note (at most 500 characters).
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// `POST /api/v1/webhooks`: 201 with the webhook and its secret.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "create_webhook",
    tag = "webhooks",
    summary = "Register a webhook",
    request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhookDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<Response, ApiError> {
    let new = NewWebhook {
        url: body.url,
        events: body.events,
        description: body.description,
    };
    let (hook, secret) = state.services.webhooks.create(auth.user.id, new).await?;
    let created = CreatedWebhookDto {
        webhook: WebhookDto::from(&hook),
        secret,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /api/v1/webhooks`: the caller's webhooks, oldest first (one page: a user has few).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "list_webhooks",
    tag = "webhooks",
    summary = "The caller's webhooks",
    responses((status = 200, body = Page<WebhookDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Page<WebhookDto>>, ApiError> {
    let hooks = state.services.webhooks.list(auth.user.id).await?;
    Ok(Json(Page {
        data: hooks.iter().map(WebhookDto::from).collect(),
        next_cursor: None,
        has_more: false,
    }))
}

/// `GET /api/v1/webhooks/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    operation_id = "get_webhook",
    tag = "webhooks",
    summary = "One of the caller's webhooks",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 200, body = WebhookDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<WebhookDto>, ApiError> {
    let hook = state.services.webhooks.get(auth.user.id, &id).await?;
    Ok(Json(WebhookDto::from(&hook)))
}

/// `PATCH /api/v1/webhooks/{id}` body; absent fields stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// New URL.
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// New event list.
    pub events: Option<Vec<String>>,
    /// New note.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// On or off; turning it on again resumes its held deliveries.
    pub active: Option<bool>,
}

/// `PATCH /api/v1/webhooks/{id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    operation_id = "update_webhook",
    tag = "webhooks",
    summary = "Change a webhook's URL, events, note, or turn it on or off",
    params(("id" = String, Path, description = "Webhook ID")),
    request_body = WebhookPatch,
    responses((status = 200, body = WebhookDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn patch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookPatch>,
) -> Result<Json<WebhookDto>, ApiError> {
    let change = WebhookChange {
        url: body.url,
        events: body.events,
        description: body.description,
        active: body.active,
    };
    let hook = state
        .services
        .webhooks
        .update(auth.user.id, &id, change)
        .await?;
    Ok(Json(WebhookDto::from(&hook)))
}

/// `DELETE /api/v1/webhooks/{id}`: 204; pending deliveries are dropped.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "delete_webhook",
    tag = "webhooks",
    summary = "Delete a webhook and its delivery log",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.services.webhooks.delete(auth.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/webhooks/{id}/secret`: a new signing secret, effective at once.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/secret",
    operation_id = "rotate_webhook_secret",
    tag = "webhooks",
    summary = "Rotate a webhook's signing secret",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 200, body = SecretDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SecretDto>, ApiError> {
    let secret = state
        .services
        .webhooks
        .rotate_secret(auth.user.id, &id)
        .await?;
    Ok(Json(SecretDto { secret }))
}

/// `POST /api/v1/webhooks/{id}/ping`: 202; queues a `webhook.ping` event to it.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/ping",
    operation_id = "ping_webhook",
    tag = "webhooks",
    summary = "Send a test event",
    params(("id" = String, Path, description = "Webhook ID")),
    responses((status = 202, body = DeliveryDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn ping(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let delivery = state.services.webhooks.ping(auth.user.id, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryDto::from(&delivery))).into_response())
}

/// `GET /api/v1/webhooks/{id}/deliveries` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveries {
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// `GET /api/v1/webhooks/{id}/deliveries`: newest first; kept 30 days once finished.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    summary = "A webhook's delivery log",
    params(("id" = String, Path, description = "Webhook ID"), ListDeliveries),
    responses((status = 200, body = Page<DeliveryDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListDeliveries>,
) -> Result<Json<Page<DeliveryDto>>, ApiError> {
    let page = state
        .services
        .webhooks
        .deliveries(auth.user.id, &id, q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(Page {
        data: page.deliveries.iter().map(DeliveryDto::from).collect(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/webhooks/{id}/deliveries/{delivery_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}",
    operation_id = "get_webhook_delivery",
    tag = "webhooks",
    summary = "One delivery",
    params(("id" = String, Path, description = "Webhook ID"), ("delivery_id" = String, Path, description = "Delivery ID")),
    responses((status = 200, body = DeliveryDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delivery(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryDto>, ApiError> {
    let d = state
        .services
        .webhooks
        .delivery(auth.user.id, &id, &delivery_id)
        .await?;
    Ok(Json(DeliveryDto::from(&d)))
}

/// `POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver`: 202; sends it again now,
/// with a fresh retry schedule.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    operation_id = "redeliver_webhook_delivery",
    tag = "webhooks",
    summary = "Send a delivery again",
    params(("id" = String, Path, description = "Webhook ID"), ("delivery_id" = String, Path, description = "Delivery ID")),
    responses((status = 202, body = DeliveryDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn redeliver(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let d = state
        .services
        .webhooks
        .redeliver(auth.user.id, &id, &delivery_id)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryDto::from(&d))).into_response())
}
