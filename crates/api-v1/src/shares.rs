//! Shared links: `/api/v1/conversations/{id}/shares` makes one, `/api/v1/shares` lists and
//! manages the caller's, `/api/v1/public/shares/{id}` is what a viewer of the link reads (no
//! sign-in needed unless the server says so; a password goes in `X-Share-Password`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ferrochat_core::{ConversationId, SharedLink};
use ferrochat_services::ServiceError;
use ferrochat_services::shares::{NewShare, ShareChange, ShareListing, ShareOrder, SharedView};
use ferrochat_web::json::{ApiJson, ApiQuery};
use ferrochat_web::share::{self, ViewError};
use ferrochat_web::{ApiError, AppState, AuthUser, Client, ErrorCode, MaybeUser};
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::dto::{MessageDto, Page, present, rfc3339};

/// A shared link, as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShareDto {
    /// ID: the secret part of the URL.
    pub id: String,
    /// The page to hand out (the LibreChat client's `/share/{id}`).
    pub url: String,
    /// The conversation shown.
    pub conversation_id: String,
    /// The conversation's title when the link was made or refreshed.
    pub title: String,
    /// Only the branch from the root down to this message is shown, when set.
    pub target_message_id: Option<String>,
    /// RFC 3339: messages created after this are not shown (refresh to move it).
    pub snapshot_at: String,
    /// RFC 3339; `null`: the link does not expire.
    pub expires_at: Option<String>,
    /// Whether viewers must give a password.
    pub has_password: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl ShareDto {
    fn new(link: &SharedLink, client_url: &str) -> Self {
        ShareDto {
            id: link.id.to_string(),
            url: format!("{}/share/{}", client_url.trim_end_matches('/'), link.id),
            conversation_id: link.conversation_id.to_string(),
            title: link.title.clone(),
            target_message_id: link.target_message_id.map(|m| m.to_string()),
            snapshot_at: rfc3339(link.snapshot_at),
            expires_at: link.expires_at.map(rfc3339),
            has_password: link.has_password,
            created_at: rfc3339(link.created_at),
            updated_at: rfc3339(link.updated_at),
        }
    }
}

fn dto(state: &AppState, link: &SharedLink) -> ShareDto {
    ShareDto::new(link, &state.config.server.domain_client)
}

/// `POST /api/v1/conversations/{id}/shares` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShare {
    /// Share only the branch from the root down to this message.
    pub target_message_id: Option<String>,
    /// RFC 3339, in the future; absent: the link does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// Viewers must give it (8-128 characters).
    #[schema(min_length = 8, max_length = 128)]
    pub password: Option<String>,
}

/// `POST /api/v1/conversations/{id}/shares`: 201 with the link. A conversation may have
/// several (different branches, expiries or passwords).
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/shares",
    operation_id = "create_share",
    tag = "shares",
    summary = "Share a conversation (or one branch of it) by link",
    params(("id" = String, Path, description = "Conversation ID")),
    request_body = CreateShare,
    responses((status = 201, body = ShareDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateShare>,
) -> Result<Response, ApiError> {
    let conversation: ConversationId = id
        .parse()
        .map_err(|_| ServiceError::NotFound("conversation"))?;
    let target_message_id = body
        .target_message_id
        .as_deref()
        .map(|t| {
            t.parse()
                .map_err(|_| ServiceError::invalid("target_message_id", "is not a message ID"))
        })
        .transpose()?;
    let options = NewShare {
        target_message_id,
        expires_at: body.expires_at,
        password: body.password,
    };
    let link = state
        .services
        .shares
        .create(auth.user.id, conversation, options)
        .await?;
    Ok((StatusCode::CREATED, Json(dto(&state, &link))).into_response())
}

/// `GET /api/v1/shares` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListShares {
    /// `created` (default) or `title`.
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    pub order: Option<String>,
    /// Words the title must contain.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Cursor from a previous page (of the same sort).
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// `GET /api/v1/shares`: the caller's links (of live conversations).
#[utoipa::path(
    get,
    path = "/api/v1/shares",
    operation_id = "list_shares",
    tag = "shares",
    summary = "The caller's shared links",
    params(ListShares),
    responses((status = 200, body = Page<ShareDto>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ListShares>,
) -> Result<Json<Page<ShareDto>>, ApiError> {
    let ascending = match q.order.as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(ServiceError::invalid("order", "must be asc or desc").into()),
    };
    let order = match (q.sort.as_deref(), ascending) {
        (None | Some("created"), false) => ShareOrder::CreatedDesc,
        (None | Some("created"), true) => ShareOrder::CreatedAsc,
        (Some("title"), false) => ShareOrder::TitleDesc,
        (Some("title"), true) => ShareOrder::TitleAsc,
        _ => return Err(ServiceError::invalid("sort", "must be created or title").into()),
    };
    let listing = ShareListing {
        order,
        search: q.q.as_deref(),
        cursor: q.cursor.as_deref(),
        limit: q.limit,
    };
    let page = state.services.shares.list(auth.user.id, listing).await?;
    Ok(Json(Page {
        data: page.links.iter().map(|l| dto(&state, l)).collect(),
        has_more: page.next_cursor.is_some(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/v1/shares/{id}`.
#[utoipa::path(
    get,
    path = "/api/v1/shares/{id}",
    operation_id = "get_share",
    tag = "shares",
    summary = "One of the caller's shared links",
    params(("id" = String, Path, description = "Link ID")),
    responses((status = 200, body = ShareDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ShareDto>, ApiError> {
    let link = state.services.shares.get(auth.user.id, &id).await?;
    Ok(Json(dto(&state, &link)))
}

/// `PATCH /api/v1/shares/{id}` body; absent fields stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SharePatch {
    /// New RFC 3339 expiry, in the future; `null`: never expires.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// New password (8-128 characters); `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
}

/// `PATCH /api/v1/shares/{id}`: changes who can open the link, not what it shows.
#[utoipa::path(
    patch,
    path = "/api/v1/shares/{id}",
    operation_id = "update_share",
    tag = "shares",
    summary = "Change a link's expiry or password",
    params(("id" = String, Path, description = "Link ID")),
    request_body = SharePatch,
    responses((status = 200, body = ShareDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn patch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SharePatch>,
) -> Result<Json<ShareDto>, ApiError> {
    let change = ShareChange {
        expires_at: body.expires_at,
        password: body.password,
    };
    let link = state
        .services
        .shares
        .update(auth.user.id, &id, change)
        .await?;
    Ok(Json(dto(&state, &link)))
}

/// `POST /api/v1/shares/{id}/refresh`: the link shows the conversation as it is now, under a
/// new ID (the old URL stops working).
#[utoipa::path(
    post,
    path = "/api/v1/shares/{id}/refresh",
    operation_id = "refresh_share",
    tag = "shares",
    summary = "Re-snapshot a link under a new ID",
    params(("id" = String, Path, description = "Link ID")),
    responses((status = 200, body = ShareDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn refresh(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ShareDto>, ApiError> {
    let link = state.services.shares.refresh(auth.user.id, &id).await?;
    Ok(Json(dto(&state, &link)))
}

/// `DELETE /api/v1/shares/{id}`: 204; the URL stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/shares/{id}",
    operation_id = "delete_share",
    tag = "shares",
    summary = "Delete a shared link",
    params(("id" = String, Path, description = "Link ID")),
    responses((status = 204, description = "Deleted"), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.services.shares.delete(auth.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a viewer of a link reads.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SharedViewDto<'a> {
    /// The link's ID.
    pub id: String,
    /// The conversation's title.
    pub title: &'a str,
    /// An alias of the conversation (`convo_…`), new on every read.
    pub conversation_id: &'a str,
    /// The messages shown, parents first; IDs are aliases (`msg_…`), new on every read.
    pub messages: Vec<MessageDto<'a>>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339; `null`: the link does not expire.
    pub expires_at: Option<String>,
}

impl<'a> From<&'a SharedView> for SharedViewDto<'a> {
    fn from(view: &'a SharedView) -> Self {
        let messages = view
            .messages
            .iter()
            .map(|m| {
                let mut dto = MessageDto::from(&m.message);
                dto.id = m.id.clone();
                dto.parent_id = m.parent_id.clone();
                // The owner's ratings are theirs.
                dto.feedback = None;
                dto
            })
            .collect();
        SharedViewDto {
            id: view.link.id.to_string(),
            title: &view.link.title,
            conversation_id: &view.conversation_alias,
            messages,
            created_at: rfc3339(view.link.created_at),
            updated_at: rfc3339(view.link.updated_at),
            expires_at: view.link.expires_at.map(rfc3339),
        }
    }
}

/// `GET /api/v1/public/shares/{id}`: the link's messages. Missing, expired and revoked links
/// are all `not_found`; a link behind a password answers `password_required` (401) until
/// `X-Share-Password` holds the right one; guesses are rate limited per link and address.
#[utoipa::path(
    get,
    path = "/api/v1/public/shares/{id}",
    operation_id = "view_share",
    tag = "shares",
    summary = "Read a shared link (no sign-in needed unless the server requires it)",
    security((), ("bearer" = [])),
    params(
        ("id" = String, Path, description = "Link ID"),
        ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one"),
    ),
    responses((status = 200, body = SharedViewDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn view(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    match share::view(&state, &id, &headers, viewer.as_ref(), &client).await {
        Ok(view) => Ok(Json(SharedViewDto::from(&view)).into_response()),
        Err(ViewError::Service(e)) => Err(e.into()),
        Err(ViewError::SignInRequired) => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "this server opens shared links for signed-in users only",
        )),
        Err(ViewError::RateLimited(wait)) => Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "too many password attempts; retry in {} s",
                wait.as_secs().max(1)
            ),
        )),
    }
}
