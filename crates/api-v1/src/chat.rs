//! `POST /api/v1/chat`: the chat engine through the native door — the same service, checks and
//! persistence as the LibreChat route, with the native shapes. `"stream": true` (the default)
//! answers `text/event-stream` with these events, one JSON object per `data:` line:
//!
//! | event | data |
//! |---|---|
//! | `created` | `{conversation, message, response_id}`: the user's message is stored |
//! | `part` | `{index, kind}`: a content part starts (`kind`: `text` or `reasoning`) |
//! | `delta` | `{index, kind, text}`: text appended to that part |
//! | `done` | `{conversation, message, usage, outcome, error}`: the answer as stored; last event |
//! | `ping` | `{}`: sent after a second without events |
//!
//! `"stream": false` waits for the answer and returns the `done` object (201). Closing the
//! connection stops the generation; the partial answer is kept either way.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_core::{ConversationId, MessageId};
use ferrochat_services::ServiceError;
use ferrochat_services::chat::{ChatEvent, ChatInput, FinalEvent, PartKind};
use ferrochat_web::json::ApiJson;
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::dto::{ConversationDto, MessageDto};

/// Silence after which a `ping` event is sent.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// `POST /api/v1/chat` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatBody {
    /// Endpoint key (`openAI`, a custom endpoint's name, …).
    #[schema(min_length = 1)]
    pub endpoint: String,
    /// Model; the endpoint's first model when absent.
    pub model: Option<String>,
    /// The user's message (ignored with `regenerate`).
    #[serde(default)]
    pub text: String,
    /// Continue this conversation; absent starts a new one.
    pub conversation_id: Option<String>,
    /// The message answered; absent for a root message.
    pub parent_id: Option<String>,
    /// Answer this stored user message again (a sibling of its other answers).
    pub regenerate: Option<String>,
    /// Model parameters (LibreChat's names: `temperature`, `top_p`, `max_tokens`,
    /// `promptPrefix`, …), stored on the conversation.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
    /// Stream events (default) or answer once done.
    #[serde(default = "yes")]
    pub stream: bool,
    /// IDs of the caller's files to attach to the message (`/api/v1/files`): images go to
    /// vision models, text files into the prompt. At most 10.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub files: Vec<String>,
}

fn yes() -> bool {
    true
}

fn id<T: std::str::FromStr>(raw: Option<&str>, field: &'static str) -> Result<Option<T>, ApiError> {
    raw.map(|r| {
        r.parse()
            .map_err(|_| ServiceError::invalid(field, "is not a valid ID").into())
    })
    .transpose()
}

fn kind(k: PartKind) -> &'static str {
    match k {
        PartKind::Text => "text",
        PartKind::Think => "reasoning",
    }
}

/// The `done` object.
fn done(f: &FinalEvent) -> Value {
    let g = &f.generation;
    json!({
        "conversation": ConversationDto::from(&f.conversation),
        "message": MessageDto::from(&f.response),
        "usage": {
            "prompt_tokens": g.prompt_tokens,
            "completion_tokens": g.completion_tokens,
            "reported_by_provider": g.usage_reported,
            "token_cost": g.token_cost,
        },
        "outcome": g.outcome,
        "error": g.error_code.as_ref().map(|code| json!({"code": code})),
        "time_to_first_token_ms": g.ttft_ms,
        "duration_ms": g.duration_ms,
    })
}

fn frame(event: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

fn encode(event: ChatEvent) -> Bytes {
    match event {
        ChatEvent::Created {
            conversation,
            user_message,
            response_id,
            ..
        } => frame(
            "created",
            &json!({
                "conversation": ConversationDto::from(&*conversation),
                "message": MessageDto::from(&*user_message),
                "response_id": response_id.to_string(),
            }),
        ),
        ChatEvent::Part { index, kind: k } => {
            frame("part", &json!({"index": index, "kind": kind(k)}))
        }
        ChatEvent::Delta {
            index,
            kind: k,
            text,
        } => frame(
            "delta",
            &json!({"index": index, "kind": kind(k), "text": text}),
        ),
        ChatEvent::Final(f) => frame("done", &done(&f)),
    }
}

/// `POST /api/v1/chat`.
#[utoipa::path(
    post,
    path = "/api/v1/chat",
    tag = "chat",
    summary = "Send a message and get the answer (stream or whole)",
    request_body = ChatBody,
    responses((status = 200, description = "`text/event-stream`: created, part, delta, done, ping", content_type = "text/event-stream", body = String), (status = 201, description = "With `stream: false`: the stored answer", body = crate::openapi::ChatDone), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn chat(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<ChatBody>,
) -> Result<Response, ApiError> {
    let input = ChatInput {
        endpoint: body.endpoint,
        model: body.model,
        conversation_id: id::<ConversationId>(body.conversation_id.as_deref(), "conversation_id")?,
        parent_message_id: id::<MessageId>(body.parent_id.as_deref(), "parent_id")?,
        text: body.text,
        regenerate: id::<MessageId>(body.regenerate.as_deref(), "regenerate")?,
        settings: body.settings,
        is_temporary: false,
        edited: None,
        files: body
            .files
            .iter()
            .map(|f| {
                f.parse().map_err(|_| {
                    ApiError::from(ServiceError::invalid("files", "is not a list of file IDs"))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let mut rx = state.services.chat.start(auth.user.id, input).await?;
    if !body.stream {
        // Dropping the receiver when the client leaves stops the generation, as with streams.
        while let Some(event) = rx.recv().await {
            if let ChatEvent::Final(f) = event {
                return Ok((StatusCode::CREATED, axum::Json(done(&f))).into_response());
            }
        }
        return Err(ApiError::internal());
    }
    Ok(stream(rx))
}

fn stream(rx: mpsc::Receiver<ChatEvent>) -> Response {
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        match tokio::time::timeout(HEARTBEAT, rx.recv()).await {
            Ok(Some(event)) => Some((Ok::<_, std::convert::Infallible>(encode(event)), rx)),
            Ok(None) => None,
            Err(_) => Some((Ok(frame("ping", &json!({}))), rx)),
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache, no-transform")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
