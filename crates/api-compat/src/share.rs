//! `/api/share`: shared links (§8.4), in LibreChat's shapes and `{message}` error bodies. The
//! share dialog asks `GET /api/share/link/:conversationId` whenever a conversation opens,
//! creates with `POST /api/share/:conversationId`, re-snapshots with `PATCH /api/share/:shareId`
//! (a new ID) and deletes; the settings table lists with `GET /api/share`; the public page
//! `/share/:shareId` reads `GET /api/share/:shareId`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::SharedLink;
use ferrochat_services::ServiceError;
use ferrochat_services::shares::{NewShare, ShareListing, ShareOrder, SharedView};
use ferrochat_web::share::{self, ViewError};
use ferrochat_web::{AppState, AuthUser, Client, MaybeUser};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::convert::{self, NO_PARENT};
use crate::convos::{conversation_id, form_pairs};
use crate::error::CompatError;
use crate::json::CompatJson;
use crate::types::iso;

type Answer = Result<Response, CompatError>;

fn fail(err: ServiceError) -> CompatError {
    match err {
        ServiceError::NotFound("shared link") => {
            CompatError::new(StatusCode::NOT_FOUND, "Share not found")
        }
        ServiceError::NotFound(_) => {
            CompatError::new(StatusCode::NOT_FOUND, "Conversation not found")
        }
        other => CompatError::from_service(other),
    }
}

fn created(link: &SharedLink) -> Response {
    Json(json!({
        "shareId": link.id.as_str(),
        "conversationId": link.conversation_id.to_string(),
    }))
    .into_response()
}

/// `GET /api/share/link/{conversationId}` → `{success, shareId, conversationId}`; `success:
/// false` with a null ID when the conversation has no link (or is not the caller's).
pub async fn link(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(raw): Path<String>,
) -> Answer {
    let found = match conversation_id(&raw) {
        Some(id) => state
            .services
            .shares
            .for_conversation(auth.user.id, id)
            .await
            .map_err(fail)?,
        None => None,
    };
    Ok(Json(json!({
        "success": found.is_some(),
        "shareId": found.as_ref().map(|l| l.id.as_str()),
        "conversationId": raw,
    }))
    .into_response())
}

/// `POST /api/share/{conversationId}` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    #[serde(default)]
    target_message_id: Option<String>,
}

/// `POST /api/share/{conversationId}` → `{shareId, conversationId}`. One link per
/// conversation, as in LibreChat: a second is a 409 (the dialog offers "update" instead).
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(raw): Path<String>,
    body: Option<CompatJson<CreateBody>>,
) -> Answer {
    let not_found = || CompatError::new(StatusCode::NOT_FOUND, "Conversation not found");
    let id = conversation_id(&raw).ok_or_else(not_found)?;
    let body = body.map(|CompatJson(b)| b).unwrap_or_default();
    let target = match body.target_message_id.as_deref() {
        None | Some("") | Some(NO_PARENT) => None,
        Some(text) => Some(text.parse().map_err(|_| {
            CompatError::new(
                StatusCode::BAD_REQUEST,
                "targetMessageId is not a message ID",
            )
        })?),
    };
    let shares = &state.services.shares;
    if shares
        .for_conversation(auth.user.id, id)
        .await
        .map_err(fail)?
        .is_some()
    {
        return Err(CompatError::new(
            StatusCode::CONFLICT,
            "Share already exists",
        ));
    }
    let options = NewShare {
        target_message_id: target,
        ..NewShare::default()
    };
    let link = shares
        .create(auth.user.id, id, options)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound("message") => {
                CompatError::new(StatusCode::NOT_FOUND, "Message not found")
            }
            other => fail(other),
        })?;
    Ok(created(&link))
}

/// `PATCH /api/share/{shareId}` → `{shareId, conversationId}` with a new ID: the link now shows
/// the conversation as it is, and the old URL stops working.
pub async fn refresh(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    let link = state
        .services
        .shares
        .refresh(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(created(&link))
}

/// `DELETE /api/share/{shareId}` → `{success, shareId, message}`; 404 `{message}`.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Answer {
    state
        .services
        .shares
        .delete(auth.user.id, &id)
        .await
        .map_err(fail)?;
    Ok(Json(json!({
        "success": true,
        "shareId": id,
        "message": "Share deleted successfully",
    }))
    .into_response())
}

/// `GET /api/share?pageSize=&isPublic=&sortBy=title|createdAt&sortDirection=asc|desc&search=&cursor=`
/// → `{links: [{shareId, title, isPublic, createdAt, conversationId}], nextCursor, hasNextPage}`.
/// Every link here is public, so `isPublic=false` lists none. Unknown sort values fall back to
/// newest first, as LibreChat's do.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Answer {
    let (mut page_size, mut public, mut search, mut cursor) = (None, true, None, None);
    let (mut by_title, mut ascending) = (false, false);
    for (key, value) in form_pairs(query.as_deref().unwrap_or("")) {
        match key.as_str() {
            "pageSize" if !value.is_empty() => {
                page_size = Some(value.parse().map_err(|_| {
                    CompatError::new(StatusCode::BAD_REQUEST, "pageSize must be a number")
                })?)
            }
            "isPublic" => public = value != "false",
            "sortBy" => by_title = value == "title",
            "sortDirection" => ascending = value == "asc",
            "search" if !value.trim().is_empty() => search = Some(value),
            "cursor" if !value.is_empty() && value != "null" && value != "undefined" => {
                cursor = Some(value)
            }
            _ => {}
        }
    }
    if !public {
        return Ok(
            Json(json!({ "links": [], "nextCursor": null, "hasNextPage": false })).into_response(),
        );
    }
    let order = match (by_title, ascending) {
        (false, false) => ShareOrder::CreatedDesc,
        (false, true) => ShareOrder::CreatedAsc,
        (true, true) => ShareOrder::TitleAsc,
        (true, false) => ShareOrder::TitleDesc,
    };
    let listing = ShareListing {
        order,
        search: search.as_deref(),
        cursor: cursor.as_deref(),
        limit: page_size,
    };
    let page = state
        .services
        .shares
        .list(auth.user.id, listing)
        .await
        .map_err(fail)?;
    let links: Vec<Value> = page
        .links
        .iter()
        .map(|l| {
            json!({
                "shareId": l.id.as_str(),
                "title": l.title,
                "isPublic": true,
                "createdAt": iso(l.created_at),
                "conversationId": l.conversation_id.to_string(),
            })
        })
        .collect();
    Ok(Json(json!({
        "links": links,
        "hasNextPage": page.next_cursor.is_some(),
        "nextCursor": page.next_cursor,
    }))
    .into_response())
}

/// `GET /api/share/{shareId}`: the public page's data, `{shareId, title, isPublic, createdAt,
/// updatedAt, conversationId, messages}` with aliases for every ID (NO_PARENT kept for roots).
/// No sign-in needed unless `ALLOW_SHARED_LINKS_PUBLIC=false`. A missing, expired or revoked
/// link is an empty 404, as LibreChat answers; a password goes in `X-Share-Password`.
pub async fn view(
    State(state): State<AppState>,
    MaybeUser(viewer): MaybeUser,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    match share::view(&state, &id, &headers, viewer.as_ref(), &client).await {
        Ok(view) => Ok(Json(shared_messages(&view)).into_response()),
        Err(ViewError::Service(ServiceError::NotFound(_))) => {
            Ok(StatusCode::NOT_FOUND.into_response())
        }
        Err(ViewError::Service(e)) => Err(CompatError::from_service(e)),
        Err(ViewError::SignInRequired) => Err(CompatError::new(
            StatusCode::UNAUTHORIZED,
            "Sign in to view shared links",
        )),
        Err(ViewError::RateLimited(wait)) => Err(CompatError::rate_limited(wait)),
    }
}

fn shared_messages(view: &SharedView) -> Value {
    let messages: Vec<Value> = view
        .messages
        .iter()
        .map(|m| {
            let mut out = convert::message(&m.message);
            if let Value::Object(map) = &mut out {
                map.insert("messageId".into(), m.id.clone().into());
                map.insert(
                    "parentMessageId".into(),
                    m.parent_id.as_deref().unwrap_or(NO_PARENT).into(),
                );
                map.insert(
                    "conversationId".into(),
                    view.conversation_alias.clone().into(),
                );
            }
            out
        })
        .collect();
    json!({
        "shareId": view.link.id.as_str(),
        "title": view.link.title,
        "isPublic": true,
        "createdAt": iso(view.link.created_at),
        "updatedAt": iso(view.link.updated_at),
        "conversationId": view.conversation_alias,
        "messages": messages,
    })
}
