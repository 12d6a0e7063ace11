//! `GET /api/messages` (§6.3): the search view's results with `search`, a page of one
//! conversation's messages with `conversationId`, one message with `messageId` too.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::MessageId;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde_json::json;

use crate::convert::{self, MessageOut};
use crate::convos::{conversation_id, error, form_pairs, from_service};

/// `GET /api/messages?search=&cursor=&pageSize=` → `{messages, nextCursor}`; each hit is a
/// `TMessage` with its conversation's `title` (and its `model`, as LibreChat's has). Without
/// `search` or `conversationId`, an empty page, as LibreChat answers.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Response {
    let (mut search, mut cursor, mut page_size) = (None, None, None);
    let (mut conversation, mut message) = (None, None);
    for (key, value) in form_pairs(query.as_deref().unwrap_or("")) {
        match key.as_str() {
            "search" if !value.trim().is_empty() => search = Some(value),
            "cursor" if !value.is_empty() && value != "null" => cursor = Some(value),
            "pageSize" if !value.is_empty() => match value.parse() {
                Ok(n) => page_size = Some(n),
                Err(_) => return error(StatusCode::BAD_REQUEST, "pageSize must be a number"),
            },
            "conversationId" if !value.is_empty() => conversation = Some(value),
            "messageId" if !value.is_empty() => message = Some(value),
            _ => {}
        }
    }
    if let Some(raw) = conversation {
        let Some(id) = conversation_id(&raw) else {
            return error(StatusCode::NOT_FOUND, "Conversation not found");
        };
        return match message {
            Some(mid) => one_message(&state, &auth, id, &mid).await,
            None => match state
                .services
                .conversations
                .messages_page(auth.user.id, id, cursor.as_deref(), page_size)
                .await
            {
                Ok(page) => Json(json!({
                    "messages": page.messages.iter().map(MessageOut::from).collect::<Vec<_>>(),
                    "nextCursor": page.next_cursor,
                }))
                .into_response(),
                Err(e) => from_service(e),
            },
        };
    }
    let Some(search) = search else {
        return Json(json!({ "messages": [], "nextCursor": null })).into_response();
    };
    match state
        .services
        .search
        .messages(
            auth.user.id,
            &search,
            "search",
            cursor.as_deref(),
            page_size,
        )
        .await
    {
        Ok(page) => Json(json!({
            "messages": page.hits.iter().map(convert::SearchHitOut::from).collect::<Vec<_>>(),
            "nextCursor": page.next_cursor,
        }))
        .into_response(),
        Err(e) => from_service(e),
    }
}

/// `conversationId` and `messageId`: that message alone, in a page (empty when it is not
/// there), as LibreChat answers.
async fn one_message(
    state: &AppState,
    auth: &AuthUser,
    conversation: ferrochat_core::ConversationId,
    raw: &str,
) -> Response {
    let conversations = &state.services.conversations;
    let found = match raw.parse::<MessageId>() {
        Ok(id) => conversations.message(auth.user.id, conversation, id).await,
        // Such text names no message, but the conversation must still be the caller's.
        Err(_) => conversations
            .get(auth.user.id, conversation)
            .await
            .map(|_| None),
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return from_service(e),
    };
    Json(json!({
        "messages": found.iter().map(MessageOut::from).collect::<Vec<_>>(),
        "nextCursor": null,
    }))
    .into_response()
}
