//! `POST /api/convos/duplicate` and `POST /api/convos/fork` (§5.8): both answer
//! `{conversation, messages}` with the new conversation and its messages, parents first.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_services::fork::{Copied, ForkOption, ForkRequest};
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::convert;
use crate::convos::{conversation_id, error, from_service};
use crate::json::CompatJson;

fn copied(status: StatusCode, c: &Copied) -> Response {
    let messages: Vec<_> = c.messages.iter().map(convert::message).collect();
    let body = json!({
        "conversation": convert::conversation(&c.conversation),
        "messages": messages,
    });
    (status, Json(body)).into_response()
}

fn copy_error(err: ServiceError) -> Response {
    match err {
        ServiceError::NotFound("message") => error(StatusCode::NOT_FOUND, "Message not found"),
        other => from_service(other),
    }
}

/// `POST /api/convos/duplicate` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateBody {
    conversation_id: String,
    #[serde(default)]
    title: Option<String>,
}

/// `POST /api/convos/duplicate`: 201 with the copy.
pub async fn duplicate(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<DuplicateBody>,
) -> Response {
    let Some(id) = conversation_id(&body.conversation_id) else {
        return error(StatusCode::NOT_FOUND, "Conversation not found");
    };
    match state
        .services
        .conversations
        .duplicate(auth.user.id, id, body.title.as_deref())
        .await
    {
        Ok(c) => copied(StatusCode::CREATED, &c),
        Err(e) => copy_error(e),
    }
}

/// `POST /api/convos/fork` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForkBody {
    conversation_id: String,
    message_id: String,
    #[serde(default)]
    option: Option<String>,
    #[serde(default)]
    split_at_target: bool,
    #[serde(default)]
    latest_message_id: Option<String>,
}

/// `POST /api/convos/fork`: 200 with the fork.
pub async fn fork(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<ForkBody>,
) -> Response {
    let option = match body.option.as_deref().unwrap_or("") {
        "directPath" => ForkOption::DirectPath,
        "includeBranches" => ForkOption::IncludeBranches,
        "" | "targetLevel" | "default" => ForkOption::TargetLevel,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "option must be directPath, includeBranches or targetLevel",
            );
        }
    };
    let Some(conversation) = conversation_id(&body.conversation_id) else {
        return error(StatusCode::NOT_FOUND, "Conversation not found");
    };
    let not_found = || error(StatusCode::NOT_FOUND, "Message not found");
    let Ok(message) = body.message_id.parse() else {
        return not_found();
    };
    let latest = match body.latest_message_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match raw.parse() {
            Ok(id) => Some(id),
            Err(_) => return not_found(),
        },
    };
    let request = ForkRequest {
        conversation,
        message,
        option,
        split_at_target: body.split_at_target,
        latest_message: latest,
    };
    match state
        .services
        .conversations
        .fork(auth.user.id, &request)
        .await
    {
        Ok(c) => copied(StatusCode::OK, &c),
        Err(e) => copy_error(e),
    }
}
