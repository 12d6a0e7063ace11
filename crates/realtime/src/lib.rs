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
//!
//! Presence: every open socket is one of its user's devices, registered while it is open (and
//! refreshed with each ping), shared by every instance through Redis when configured. A socket
//! that sends `{"type": "presence"}` gets its user's device list at once and again whenever a
//! device comes or goes, on any instance.
#![warn(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{State, ws::rejection::WebSocketUpgradeRejection};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use ferrochat_services::events::Event;
use ferrochat_services::events::EventKind;
use ferrochat_web::auth::{authenticate, bearer_token};
use ferrochat_web::{ApiError, AppState, AuthUser, Device, ErrorCode};
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
/// Longest wait for the presence registry.
const PRESENCE_WAIT: Duration = Duration::from_secs(2);
/// Longest user agent kept for the device list.
const MAX_USER_AGENT: usize = 256;

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
    let user_agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
    ws.on_upgrade(move |socket| session(state, socket, early, user_agent))
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

/// The user's devices, this socket's marked `current`.
async fn device_list(state: &AppState, user: &str, me: &str) -> Value {
    let devices: Vec<Device> = presence_call(state.presence.devices(user))
        .await
        .unwrap_or_default();
    let devices: Vec<Value> = devices
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "user_agent": d.user_agent,
                "connected_at": chrono::DateTime::from_timestamp_millis(d.connected_at_ms)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                "current": d.id == me,
            })
        })
        .collect();
    Value::Array(devices)
}

fn presence_frame(devices: &Value) -> Message {
    frame(&json!({ "type": "presence", "devices": devices }))
}

/// A call to the presence registry, bounded: an unreachable Redis must not stall the socket
/// (its events and pings go on; the device list is what suffers). Failures are logged.
async fn presence_call<T, E: std::fmt::Display>(
    call: impl std::future::Future<Output = Result<T, E>>,
) -> Option<T> {
    match tokio::time::timeout(PRESENCE_WAIT, call).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "presence registry unavailable");
            None
        }
        Err(_) => {
            tracing::warn!("presence registry did not answer in time");
            None
        }
    }
}

/// Registers (or refreshes) this socket as one of the user's devices.
async fn register(state: &AppState, user: &str, device: &Device) {
    presence_call(state.presence.join(user, device)).await;
}

async fn session(
    state: AppState,
    mut socket: WebSocket,
    early: Option<(AuthUser, String)>,
    user_agent: Option<String>,
) {
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
    let user_key = user.to_string();
    let device = Device {
        id: uuid::Uuid::new_v4().simple().to_string(),
        user_agent,
        connected_at_ms: chrono::Utc::now().timestamp_millis(),
    };
    let ready = json!({ "type": "ready", "user_id": user_key, "device_id": device.id });
    if socket.send(frame(&ready)).await.is_err() {
        return;
    }
    register(&state, &user_key, &device).await;
    state.services.events.presence(user);
    // The device list last sent, once this socket asked for it (and so for its changes).
    let mut presence: Option<Value> = None;
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    ping.tick().await;
    recheck.tick().await;
    let token: Arc<str> = token.into();
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(e) if e.user_id == user && e.kind == EventKind::PresenceChanged => {
                    if presence.is_none() {
                        continue;
                    }
                    let devices = device_list(&state, &user_key, &device.id).await;
                    if presence.as_ref() == Some(&devices) {
                        continue;
                    }
                    let message = presence_frame(&devices);
                    presence = Some(devices);
                    message
                }
                Ok(e) if e.user_id == user => event_frame(&e),
                Ok(_) => continue,
                // Fell behind the buffer: say how much was lost, so the client refetches.
                Err(RecvError::Lagged(missed)) => frame(&json!({ "type": "lagged", "missed": missed })),
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                    match value["type"].as_str() {
                        Some("ping") => frame(&json!({ "type": "pong" })),
                        Some("presence") => {
                            let devices = device_list(&state, &user_key, &device.id).await;
                            let message = presence_frame(&devices);
                            presence = Some(devices);
                            message
                        }
                        _ => continue,
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                // Pongs, pings (answered by the library) and binary frames.
                Some(Ok(_)) => continue,
            },
            _ = ping.tick() => {
                register(&state, &user_key, &device).await;
                Message::Ping(Default::default())
            }
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
    presence_call(state.presence.leave(&user_key, &device.id)).await;
    state.services.events.presence(user);
    tracing::debug!(%user, "event socket closed");
}
