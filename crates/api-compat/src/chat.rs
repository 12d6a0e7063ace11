//! `POST /api/agents/chat/{endpoint}` (§7): the LibreChat client's chat request, answered as
//! the event stream its `sse.js` parser reads, and `gen_title` (§5.7, §7.9).
//!
//! Framing rules that the client proved (§7.3, §12): one `event: message` frame per event with
//! one-line JSON; never a comment-only frame (it breaks the client's parser), so the heartbeat
//! is `event: ping` with `{}`; failures before anything is stored are a non-200 JSON `{text}`
//! answer, never an `event: error` (which leaves a new conversation's page broken).

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_services::chat::{ChatEvent, ChatInput, EditedPart, PartKind};
use ferrochat_web::{AppState, AuthUser};
use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::convert::{self, NO_PARENT};
use crate::error::CompatError;

/// Conversation settings a chat request may carry (§11.2 "Parameters" and routing extras);
/// everything else in the payload describes the message or the request, not the conversation.
const SETTINGS: &[&str] = &[
    "modelLabel",
    "chatGptLabel",
    "userLabel",
    "promptPrefix",
    "temperature",
    "top_p",
    "topP",
    "topK",
    "frequency_penalty",
    "presence_penalty",
    "max_tokens",
    "maxOutputTokens",
    "maxTokens",
    "maxContextTokens",
    "stop",
    "resendFiles",
    "imageDetail",
    "reasoning_effort",
    "reasoning_summary",
    "verbosity",
    "useResponsesApi",
    "web_search",
    "disableStreaming",
    "fileTokenLimit",
    "promptCache",
    "thinking",
    "thinkingBudget",
    "system",
    "region",
    "artifacts",
    "iconURL",
    "greeting",
    "spec",
    "examples",
    "context",
    "instructions",
    "additional_instructions",
    "append_current_datetime",
];

/// How long without an event before a heartbeat frame is sent. Short, because a write is also
/// how a dropped client is noticed (and its upstream call cancelled).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Largest write assembled from events that were already waiting.
const BATCH_BYTES: usize = 8 * 1024;
/// How long `gen_title` waits for a title being generated (Node: 20 s).
const TITLE_WAIT: Duration = Duration::from_secs(20);

/// The chat payload (§7.2): the fields the engine reads; the rest is filtered into settings.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    text: String,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    conversation_id: Option<String>,
    #[serde(default)]
    parent_message_id: Option<String>,
    #[serde(default)]
    override_parent_message_id: Option<String>,
    #[serde(default)]
    is_regenerate: bool,
    #[serde(default)]
    is_continued: bool,
    #[serde(default)]
    is_temporary: bool,
    /// With `isRegenerate`: the answer (`responseMessageId`) and the part of it the user
    /// rewrote; the value sits under the key named by `type` (§7.2).
    #[serde(default)]
    edited_content: Option<EditedContent>,
    #[serde(default)]
    response_message_id: Option<String>,
    /// Attached files (`[{file_id, filepath, type, …}]`); only the IDs are used.
    #[serde(default)]
    files: Vec<PayloadFile>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct PayloadFile {
    file_id: String,
}

#[derive(Debug, Deserialize)]
struct EditedContent {
    index: usize,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    think: Option<String>,
}

/// The service's form of an edited part; `Err` with the client's text when malformed.
fn edited_part(edit: EditedContent, answer: Option<&str>) -> Result<EditedPart, String> {
    let (kind, text) = match edit.kind.as_str() {
        "text" => (PartKind::Text, edit.text),
        "think" => (PartKind::Think, edit.think),
        other => return Err(format!("editedContent.type {other:?} is not text or think")),
    };
    let text = text.ok_or_else(|| format!("editedContent.{} is required", edit.kind))?;
    let answer = optional_id(answer, "responseMessageId")?
        .ok_or("responseMessageId is required with editedContent")?;
    Ok(EditedPart {
        answer,
        index: edit.index,
        kind,
        text,
    })
}

/// A failure before streaming: a non-200 JSON `{text}` (the client shows it in an error
/// bubble and, for a new conversation, stays on `/c/new`).
fn refuse(status: StatusCode, text: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "text": text.into() }))).into_response()
}

fn refuse_service(err: ServiceError) -> Response {
    match err {
        invalid @ ServiceError::Invalid(_) => refuse(
            StatusCode::BAD_REQUEST,
            CompatError::from_service(invalid).message,
        ),
        ServiceError::NotFound(_) => refuse(StatusCode::NOT_FOUND, "Conversation not found"),
        // LibreChat's typed errors, which the client localizes.
        ServiceError::Forbidden(kind) => {
            refuse(StatusCode::FORBIDDEN, json!({ "type": kind }).to_string())
        }
        // LibreChat's typed error, which the client words for the user.
        ServiceError::InsufficientBalance { balance, cost } => refuse(
            StatusCode::PAYMENT_REQUIRED,
            json!({ "type": "token_balance", "balance": balance, "tokenCost": cost }).to_string(),
        ),
        ServiceError::Conflict { field } => {
            refuse(StatusCode::CONFLICT, format!("{field} already in use"))
        }
        ServiceError::Unauthenticated => refuse(StatusCode::UNAUTHORIZED, "Unauthorized"),
        ServiceError::Unavailable(reason) => {
            tracing::warn!(%reason, "chat refused: a dependency is busy or down");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is busy; please try again in a moment.",
            )
        }
        other => {
            tracing::error!(error = %other, "chat request failed");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "An error occurred while processing your request. Please contact the Admin.",
            )
        }
    }
}

/// Reads an optional ID: absent, empty, `new`, `PENDING` and NO_PARENT mean none. The error
/// is the text of the 400 answer.
fn optional_id<T: std::str::FromStr>(raw: Option<&str>, field: &str) -> Result<Option<T>, String> {
    match raw.map(str::trim) {
        None | Some("" | "new" | "PENDING" | NO_PARENT) => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| format!("{field} is not a valid ID")),
    }
}

/// `POST /api/agents/chat/{endpoint}` (and without the segment): Node ignores the path and
/// reads `endpoint` from the body; the path is the fallback.
pub async fn chat(
    State(state): State<AppState>,
    auth: AuthUser,
    path: Option<Path<String>>,
    body: Bytes,
) -> Response {
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("Invalid request: {e}")),
    };
    let conversation_id = match optional_id(payload.conversation_id.as_deref(), "conversationId") {
        Ok(id) => id,
        Err(text) => return refuse(StatusCode::BAD_REQUEST, text),
    };
    let parent_message_id =
        match optional_id(payload.parent_message_id.as_deref(), "parentMessageId") {
            Ok(id) => id,
            Err(text) => return refuse(StatusCode::BAD_REQUEST, text),
        };
    // Regenerate and continue re-answer the stored user message (§7.8).
    let regenerate = if payload.is_regenerate || payload.is_continued {
        match optional_id(
            payload.override_parent_message_id.as_deref(),
            "overrideParentMessageId",
        ) {
            Ok(Some(id)) => Some(id),
            Ok(None) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "overrideParentMessageId is required to regenerate",
                );
            }
            Err(text) => return refuse(StatusCode::BAD_REQUEST, text),
        }
    } else {
        None
    };
    // "Edit an answer's part and resubmit" (§7.8) only comes with a regenerate.
    let edited = match payload.edited_content {
        Some(edit) if payload.is_regenerate => {
            match edited_part(edit, payload.response_message_id.as_deref()) {
                Ok(part) => Some(part),
                Err(text) => return refuse(StatusCode::BAD_REQUEST, text),
            }
        }
        _ => None,
    };
    let mut files = Vec::with_capacity(payload.files.len());
    for f in &payload.files {
        match f.file_id.parse() {
            Ok(id) => files.push(id),
            Err(_) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    format!("files: {} is not a file ID", f.file_id),
                );
            }
        }
    }
    let endpoint = payload
        .endpoint
        .filter(|e| !e.is_empty())
        .or_else(|| path.map(|Path(p)| p))
        .unwrap_or_default();
    let settings: Map<String, Value> = payload
        .rest
        .into_iter()
        .filter(|(k, _)| SETTINGS.contains(&k.as_str()))
        .collect();
    let input = ChatInput {
        endpoint,
        model: payload.model,
        conversation_id,
        parent_message_id,
        text: payload.text,
        regenerate,
        settings,
        is_temporary: payload.is_temporary,
        edited,
        files,
    };
    match state.services.chat.start(auth.user.id, input).await {
        Ok(rx) => stream(rx),
        Err(e) => refuse_service(e),
    }
}

/// Names the run step of each content part; `runId` is the answer's ID (§7.5).
#[derive(Default)]
struct Frames {
    response_id: String,
    /// `response_id` without dashes, as step and message IDs spell it.
    compact_id: String,
}

impl Frames {
    fn step_id(&self, index: u32) -> String {
        format!("step_{}_{index}", self.compact_id)
    }

    fn frame(value: &Value, out: &mut Vec<u8>) {
        out.extend_from_slice(b"event: message\ndata: ");
        // Serializing a `Value` into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
        out.extend_from_slice(b"\n\n");
    }

    /// A text or reasoning delta, most of what a stream carries, written straight into `out`:
    /// the JSON `json!` gives, without building a tree per upstream chunk (with thousands of
    /// streams open that tree was a large share of the server's CPU).
    fn delta(&self, index: u32, kind: PartKind, text: &str, out: &mut Vec<u8>) {
        let (event, field) = match kind {
            PartKind::Text => ("on_message_delta", "text"),
            PartKind::Think => ("on_reasoning_delta", "think"),
        };
        out.extend_from_slice(b"event: message\ndata: {\"data\":{\"delta\":{\"content\":[{\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\":");
        // Serializing a `&str` into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
        out.extend_from_slice(b",\"type\":\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\"}]},\"id\":\"step_");
        out.extend_from_slice(self.compact_id.as_bytes());
        let _ = write!(out, "_{index}\"}},\"event\":\"{event}\"}}\n\n");
    }

    fn encode(&mut self, event: ChatEvent, out: &mut Vec<u8>) {
        match event {
            ChatEvent::Created {
                user_message,
                response_id,
                ..
            } => {
                self.response_id = response_id.to_string();
                self.compact_id = self.response_id.replace('-', "");
                let created = json!({"created": true, "message": convert::message(&user_message)});
                Self::frame(&created, out);
            }
            ChatEvent::Part { index, .. } => {
                let step = json!({
                    "event": "on_run_step",
                    "data": {
                        "id": self.step_id(index),
                        "runId": self.response_id,
                        "index": index,
                        "stepIndex": index,
                        "type": "message_creation",
                        "stepDetails": {
                            "type": "message_creation",
                            "message_creation": { "message_id": format!("msg_{}_{index}", self.compact_id) }
                        },
                        "usage": null
                    }
                });
                Self::frame(&step, out);
            }
            ChatEvent::Delta { index, kind, text } => self.delta(index, kind, &text, out),
            ChatEvent::Final(f) => {
                let last = json!({
                    "final": true,
                    "conversation": convert::conversation(&f.conversation),
                    "title": f.conversation.title,
                    "requestMessage": convert::message(&f.request),
                    "responseMessage": convert::message(&f.response),
                });
                Self::frame(&last, out);
            }
        }
    }
}

/// The heartbeat frame: a named event with empty JSON, never a comment-only frame.
const PING: &[u8] = b"event: ping\ndata: {}\n\n";

/// The SSE body: events as frames, a heartbeat after a second of silence. Dropping it (the
/// client went away) drops the receiver, which cancels the generation.
struct EventBody {
    rx: mpsc::Receiver<ChatEvent>,
    frames: Frames,
    /// One timer for the stream's life, pushed back as events go out (a timer per event cost
    /// a timer-wheel insert and removal per upstream chunk).
    heartbeat: Pin<Box<tokio::time::Sleep>>,
}

impl futures_util::Stream for EventBody {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(event)) => {
                // Events already waiting go out in the same write.
                let mut out = Vec::with_capacity(512);
                this.frames.encode(event, &mut out);
                while out.len() < BATCH_BYTES {
                    match this.rx.try_recv() {
                        Ok(event) => this.frames.encode(event, &mut out),
                        Err(_) => break,
                    }
                }
                this.heartbeat
                    .as_mut()
                    .reset(tokio::time::Instant::now() + HEARTBEAT);
                Poll::Ready(Some(Ok(Bytes::from(out))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.heartbeat.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.heartbeat
                        .as_mut()
                        .reset(tokio::time::Instant::now() + HEARTBEAT);
                    Poll::Ready(Some(Ok(Bytes::from_static(PING))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

fn stream(rx: mpsc::Receiver<ChatEvent>) -> Response {
    let body = EventBody {
        rx,
        frames: Frames::default(),
        heartbeat: Box::pin(tokio::time::sleep(HEARTBEAT)),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache, no-transform")
        .header("x-accel-buffering", "no")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `POST /api/convos/gen_title` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitleRequest {
    #[serde(default)]
    conversation_id: Option<String>,
}

async fn title_for(state: &AppState, auth: &AuthUser, raw: Option<&str>) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Title not found or method not implemented for the conversation's endpoint"})),
        )
            .into_response()
    };
    let Some(id) = raw.and_then(|r| r.parse().ok()) else {
        return not_found();
    };
    match state
        .services
        .chat
        .title(auth.user.id, id, TITLE_WAIT)
        .await
    {
        Ok(Some(title)) => axum::Json(json!({ "title": title })).into_response(),
        Ok(None) | Err(ServiceError::NotFound(_)) => not_found(),
        Err(e) => crate::convos::from_service(e),
    }
}

/// `POST /api/convos/gen_title {conversationId}`: the title once generated (long-poll, ≤ 20 s),
/// else 404 `{message}` (§5.7).
pub async fn gen_title(
    State(state): State<AppState>,
    auth: AuthUser,
    crate::json::CompatJson(body): crate::json::CompatJson<TitleRequest>,
) -> Response {
    title_for(&state, &auth, body.conversation_id.as_deref()).await
}

/// `GET /api/convos/gen_title/{conversationId}`: what data-provider 0.8.5xx calls.
pub async fn gen_title_get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Response {
    title_for(&state, &auth, Some(&id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written delta frame is the JSON the tree form gives, for text that needs
    /// escaping too.
    #[test]
    fn delta_frames_match_the_json_form() {
        let frames = Frames {
            response_id: "0b1c-2d".into(),
            compact_id: "0b1c2d".into(),
        };
        for (kind, event, field) in [
            (PartKind::Text, "on_message_delta", "text"),
            (PartKind::Think, "on_reasoning_delta", "think"),
        ] {
            let text = "a \"quote\", a \\ and\nnew line, \u{1} and ünïcode 😀";
            let mut out = Vec::new();
            frames.delta(3, kind, text, &mut out);
            let out = String::from_utf8(out).unwrap();
            let data = out
                .strip_prefix("event: message\ndata: ")
                .and_then(|d| d.strip_suffix("\n\n"))
                .unwrap();
            assert!(!data.contains('\n'), "one line: {data}");
            let got: Value = serde_json::from_str(data).unwrap();
            let want = json!({
                "event": event,
                "data": { "id": "step_0b1c2d_3", "delta": { "content": [{"type": field, field: text}] } }
            });
            assert_eq!(got, want);
        }
    }
}
