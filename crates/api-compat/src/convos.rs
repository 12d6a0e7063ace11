//! `/api/convos` and `/api/messages/{conversationId}` (§5, §6.2); `search` filters the list by
//! title and message text.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use ferrochat_core::ConversationId;
use ferrochat_services::ServiceError;
use ferrochat_services::conversations::ConversationFilter;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::convert;
use crate::json::CompatJson;

/// The `{error}` body these routes use (§1).
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

pub(crate) fn from_service(err: ServiceError) -> Response {
    match err {
        ServiceError::NotFound(_) => error(StatusCode::NOT_FOUND, "Conversation not found"),
        ServiceError::Invalid(fields) => {
            let text: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            error(StatusCode::BAD_REQUEST, &text.join("; "))
        }
        other => crate::error::CompatError::from_service(other).into_response(),
    }
}

/// Parses a conversation ID from the client; anything that is not one is simply not found.
pub(crate) fn conversation_id(raw: &str) -> Option<ConversationId> {
    raw.parse().ok()
}

/// `GET /api/convos`: `{conversations, nextCursor}`; the client sends no query on the first page,
/// `cursor` on later ones, `isArchived=true` from the archive table.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    RawQuery(query): RawQuery,
) -> Response {
    let mut cursor = None;
    let mut limit = None;
    let mut archived = false;
    let mut tags = Vec::new();
    let mut search = None;
    for (key, value) in form_pairs(query.as_deref().unwrap_or("")) {
        match key.as_str() {
            "cursor" if !value.is_empty() => cursor = Some(value),
            "limit" => match value.parse() {
                Ok(n) => limit = Some(n),
                Err(_) => return error(StatusCode::BAD_REQUEST, "limit must be a number"),
            },
            "isArchived" => archived = value == "true",
            // Repeatable (`tags=a&tags=b`); the client's axios also sends `tags[]=a`.
            "tags" | "tags[]" if !value.is_empty() => tags.push(value),
            "search" if !value.trim().is_empty() => search = Some(value),
            _ => {}
        }
    }
    let terms = match search
        .as_deref()
        .map(|q| ferrochat_services::search::terms(q, "search"))
    {
        Some(Ok(terms)) => Some(terms),
        Some(Err(e)) => return from_service(e),
        None => None,
    };
    let filter = ConversationFilter {
        archived,
        folder: None,
        tags: &tags,
        search: terms.as_deref(),
    };
    match state
        .services
        .conversations
        .list(auth.user.id, &filter, cursor.as_deref(), limit)
        .await
    {
        Ok(page) => {
            let conversations = page
                .conversations
                .iter()
                .map(convert::ListItem::from)
                .collect();
            Json(ListPage {
                conversations,
                next_cursor: page.next_cursor,
            })
            .into_response()
        }
        Err(e) => from_service(e),
    }
}

/// `GET /api/convos` answer.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ListPage<'a> {
    conversations: Vec<convert::ListItem<'a>>,
    next_cursor: Option<String>,
}

/// Splits a query string into decoded pairs.
pub(crate) fn form_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(hex) = bytes.get(i + 1..i + 3)
                && let Ok(b) = u8::from_str_radix(&String::from_utf8_lossy(hex), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `GET /api/convos/{conversationId}`: the full conversation, or 404 with an empty body.
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = conversation_id(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.services.conversations.get(auth.user.id, id).await {
        Ok(c) => Json(convert::conversation(&c)).into_response(),
        Err(ServiceError::NotFound(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => from_service(e),
    }
}

/// `{arg: {...}}`, the envelope the client wraps these bodies in.
#[derive(Debug, Deserialize)]
pub struct Arg<T> {
    arg: T,
}

/// `POST /api/convos/update` argument.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateArg {
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    is_archived: Option<bool>,
    /// Everything else the client sent: settings to merge (see [`NOT_SETTINGS`]).
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// Keys of an update that identify or describe the stored document rather than its settings;
/// they never reach the settings patch.
const NOT_SETTINGS: &[&str] = &[
    "_id",
    "__v",
    "user",
    "conversationId",
    "title",
    "isArchived",
    "endpoint",
    "endpointType",
    "model",
    "createdAt",
    "updatedAt",
    "messages",
    "tags",
    "expiredAt",
    "source",
    "thread_id",
];

/// `POST /api/convos/update`: rename or (un)archive; 201 with the whole conversation.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<Arg<UpdateArg>>,
) -> Response {
    let mut arg = body.arg;
    arg.rest
        .retain(|key, _| !NOT_SETTINGS.contains(&key.as_str()));
    let Some(raw) = arg.conversation_id.as_deref() else {
        return error(StatusCode::BAD_REQUEST, "conversationId is required");
    };
    let Some(id) = conversation_id(raw) else {
        return error(StatusCode::NOT_FOUND, "Conversation not found");
    };
    match state
        .services
        .conversations
        .update(
            auth.user.id,
            id,
            arg.title.as_deref(),
            arg.is_archived,
            Some(&arg.rest),
        )
        .await
    {
        Ok(c) => (StatusCode::CREATED, Json(convert::conversation(&c))).into_response(),
        Err(e) => from_service(e),
    }
}

/// `DELETE /api/convos` argument.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteArg {
    #[serde(default)]
    conversation_id: Option<String>,
}

fn deleted(count: u64) -> Response {
    let body = json!({
        "acknowledged": true,
        "deletedCount": count,
        "messages": { "acknowledged": true, "deletedCount": 0 }
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `DELETE /api/convos`: soft-deletes one conversation (restorable until purged).
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<Arg<DeleteArg>>,
) -> Response {
    let Some(raw) = body.arg.conversation_id else {
        return error(StatusCode::BAD_REQUEST, "no parameters provided");
    };
    let Some(id) = conversation_id(&raw) else {
        return deleted(0);
    };
    match state.services.conversations.delete(auth.user.id, id).await {
        Ok(done) => deleted(u64::from(done)),
        Err(e) => from_service(e),
    }
}

/// `DELETE /api/convos/all`: soft-deletes every conversation of the user.
pub async fn delete_all(State(state): State<AppState>, auth: AuthUser) -> Response {
    match state.services.conversations.delete_all(auth.user.id).await {
        Ok(n) => deleted(n),
        Err(e) => from_service(e),
    }
}

/// `GET /api/messages/{conversationId}`: the whole tree, parents first; `new` is `[]`.
pub async fn messages(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Response {
    if id == "new" {
        return Json(json!([])).into_response();
    }
    let Some(id) = conversation_id(&id) else {
        return error(StatusCode::NOT_FOUND, "Conversation not found");
    };
    match state
        .services
        .conversations
        .messages(auth.user.id, id)
        .await
    {
        Ok(list) => Json(
            list.iter()
                .map(convert::MessageOut::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => from_service(e),
    }
}

/// Maps message-route failures to LibreChat's `{error}` bodies.
fn message_error(err: ServiceError) -> Response {
    match err {
        ServiceError::NotFound("message") => error(StatusCode::NOT_FOUND, "Message not found"),
        ServiceError::Invalid(fields) if fields.iter().any(|f| f.field == "index") => {
            let message = fields
                .iter()
                .find(|f| f.field == "index")
                .map(|f| f.message.clone())
                .unwrap_or_default();
            error(StatusCode::BAD_REQUEST, &message)
        }
        other => from_service(other),
    }
}

fn ids(cid: &str, mid: &str) -> Option<(ConversationId, ferrochat_core::MessageId)> {
    Some((cid.parse().ok()?, mid.parse().ok()?))
}

/// `PUT /api/messages/{cid}/{mid}` body.
#[derive(Debug, Deserialize)]
pub struct EditBody {
    text: String,
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)]
    model: Option<String>,
}

/// `PUT /api/messages/{cid}/{mid}`: edits the text (or one text part, with `index`).
pub async fn edit_message(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((cid, mid)): Path<(String, String)>,
    CompatJson(body): CompatJson<EditBody>,
) -> Response {
    let Some((cid, mid)) = ids(&cid, &mid) else {
        return error(StatusCode::NOT_FOUND, "Message not found");
    };
    match state
        .services
        .conversations
        .edit_message(auth.user.id, cid, mid, &body.text, body.index)
        .await
    {
        Ok(m) => {
            let full = convert::message(&m);
            Json(json!({
                "messageId": full["messageId"],
                "conversationId": full["conversationId"],
                "parentMessageId": full["parentMessageId"],
                "sender": full["sender"],
                "text": full["text"],
                "isCreatedByUser": full["isCreatedByUser"],
                "tokenCount": full["tokenCount"],
                "feedback": m.feedback.as_ref().map(|f| f.to_value()),
            }))
            .into_response()
        }
        Err(e) => message_error(e),
    }
}

/// `PUT …/feedback` body.
#[derive(Debug, Deserialize)]
pub struct FeedbackBody {
    #[serde(default)]
    feedback: Option<Feedback>,
}

/// A rating.
#[derive(Debug, Deserialize)]
pub struct Feedback {
    rating: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// `PUT /api/messages/{cid}/{mid}/feedback`: sets or clears the rating.
pub async fn message_feedback(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((cid, mid)): Path<(String, String)>,
    CompatJson(body): CompatJson<FeedbackBody>,
) -> Response {
    let Some((cid, mid)) = ids(&cid, &mid) else {
        return error(StatusCode::NOT_FOUND, "Message not found");
    };
    let feedback = body.feedback.map(|f| (f.rating, f.tag, f.text));
    match state.services.conversations.set_feedback(auth.user.id, cid, mid, feedback).await {
        Ok(m) => Json(json!({ "messageId": m.id.to_string(), "conversationId": m.conversation_id.to_string(), "feedback": m.feedback.as_ref().map(|f| f.to_value()) }))
            .into_response(),
        Err(e) => message_error(e),
    }
}

/// `DELETE /api/messages/{cid}/{mid}`: the message and its descendants; 204.
pub async fn delete_message(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((cid, mid)): Path<(String, String)>,
) -> Response {
    let Some((cid, mid)) = ids(&cid, &mid) else {
        return error(StatusCode::NOT_FOUND, "Message not found");
    };
    match state
        .services
        .conversations
        .delete_message(auth.user.id, cid, mid)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => message_error(e),
    }
}
