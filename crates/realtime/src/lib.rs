//! The WebSocket door (`GET /api/v1/events`): while a socket is open, every change to its
//! user's data is pushed as one JSON text frame, so other tabs and devices refresh without
//! polling. Frames name the change and its IDs (`{"type": "message.created",
//! "conversation_id", "message_id", "at"}`); clients fetch what they show through the REST API.
//!
//! Sign-in: an `Authorization: Bearer` header on the upgrade request (an access token, or an
//! API key with the `read` scope), or, for browsers (which cannot set headers on a WebSocket),
//! a first frame `{"type": "auth", "token": "…"}` within 10 seconds. The credential is checked
//! again every minute; a revoked session, an expired token or a banned user closes the socket
//! with code 4401, and the client reconnects with a fresh token.
#![warn(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{State, ws::rejection::WebSocketUpgradeRejection};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ferrochat_services::events::Event;
use ferrochat_web::auth::{authenticate, bearer_token};
use ferrochat_web::{ApiError, AppState, AuthUser, ErrorCode};
use http::Method;
use http::request::Parts;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

/// The route.
pub const PATH: &str = "/api/v1/events";
/// How long an unauthenticated socket may wait before its `auth` frame.
const AUTH_WAIT: Duration = Duration::from_secs(10);
/// Pings keep proxies from closing an idle socket and find dead peers.
const PING_EVERY: Duration = Duration::from_secs(30);
/// How often the credential is checked again.
const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// Close code: the credential is missing, invalid or no longer valid.
const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code: the server is shutting down (RFC 6455 "going away").
const CLOSE_GOING_AWAY: u16 = 1001;

/// The WebSocket route.
pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(upgrade))
}

/// Accepts the upgrade; a bearer header is checked first, so a bad one is a plain 401.
async fn upgrade(
    State(state): State<AppState>,
    parts: Parts,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => {
            return ApiError::new(
                ErrorCode::BadRequest,
                format!("this route speaks WebSocket: {e}"),
            )
            .into_response();
        }
    };
    let early = match bearer_token(&parts) {
        Some(token) => match authenticate(&state, token, &Method::GET, PATH).await {
            Ok(user) => Some((user, token.to_owned())),
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    ws.on_upgrade(move |socket| session(state, socket, early))
}

fn frame(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

/// An event as a frame.
fn event_frame(e: &Event) -> Message {
    frame(&json!({
        "type": e.kind.as_str(),
        "conversation_id": e.conversation_id.map(|c| c.to_string()),
        "message_id": e.message_id.map(|m| m.to_string()),
        "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
}

/// Waits for `{"type": "auth", "token"}`; `None` (the socket is then closed) on anything else.
async fn first_frame_auth(state: &AppState, socket: &mut WebSocket) -> Option<(AuthUser, String)> {
    let message = tokio::time::timeout(AUTH_WAIT, socket.recv())
        .await
        .ok()??
        .ok()?;
    let Message::Text(text) = message else {
        return None;
    };
    let value: Value = serde_json::from_str(text.as_str()).ok()?;
    if value["type"] != "auth" {
        return None;
    }
    let token = value["token"].as_str()?.to_owned();
    let user = authenticate(state, &token, &Method::GET, PATH).await.ok()?;
    Some((user, token))
}

async fn session(state: AppState, mut socket: WebSocket, early: Option<(AuthUser, String)>) {
    let (auth, token) = match early {
        Some(found) => found,
        None => match first_frame_auth(&state, &mut socket).await {
            Some(found) => found,
            None => {
                let _ = socket
                    .send(close(CLOSE_UNAUTHORIZED, "authentication required"))
                    .await;
                return;
            }
        },
    };
    let user = auth.user.id;
    // Subscribed before `ready`: nothing that happens after the client sees it is missed.
    let mut events = state.services.events.subscribe();
    let ready = json!({ "type": "ready", "user_id": user.to_string() });
    if socket.send(frame(&ready)).await.is_err() {
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    ping.tick().await;
    recheck.tick().await;
    let token: Arc<str> = token.into();
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(e) if e.user_id == user => event_frame(&e),
                Ok(_) => continue,
                // Fell behind the buffer: say how much was lost, so the client refetches.
                Err(RecvError::Lagged(missed)) => frame(&json!({ "type": "lagged", "missed": missed })),
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                    if value["type"] == "ping" {
                        frame(&json!({ "type": "pong" }))
                    } else {
                        continue;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                // Pongs, pings (answered by the library) and binary frames.
                Some(Ok(_)) => continue,
            },
            _ = ping.tick() => Message::Ping(Default::default()),
            _ = recheck.tick() => {
                if authenticate(&state, &token, &Method::GET, PATH).await.is_ok() {
                    continue;
                }
                close(CLOSE_UNAUTHORIZED, "the session ended; reconnect with a fresh token")
            }
            () = state.shutdown.cancelled() => close(CLOSE_GOING_AWAY, "server shutting down"),
        };
        let closing = matches!(outgoing, Message::Close(_));
        if socket.send(outgoing).await.is_err() || closing {
            break;
        }
    }
    tracing::debug!(%user, "event socket closed");
}
