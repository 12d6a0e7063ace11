//! Carries domain events between instances through a Redis channel, so a user's socket on one
//! instance hears changes made through another. Each instance tags what it publishes with its
//! own origin and ignores its own messages when they come back (local subscribers already had
//! them from the in-process bus).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_cache::RedisChannel;
use ferrochat_services::events::{Event, EventBus, EventKind, EventRelay};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Events waiting to be published; beyond this (Redis down or slow) new ones are dropped and
/// logged rather than held without bound.
const QUEUE: usize = 4096;

/// The bus's [`EventRelay`]: hands events to the publishing task without waiting.
struct RedisRelay {
    origin: Arc<str>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl EventRelay for RedisRelay {
    fn relay(&self, event: &Event) {
        if self.tx.try_send(encode(&self.origin, event)).is_err() {
            tracing::warn!(
                kind = event.kind.as_str(),
                "event relay queue full; event not sent to other instances"
            );
        }
    }
}

fn encode(origin: &str, e: &Event) -> Vec<u8> {
    json!({
        "origin": origin,
        "user_id": e.user_id.to_string(),
        "kind": e.kind.as_str(),
        "conversation_id": e.conversation_id.map(|c| c.to_string()),
        "message_id": e.message_id.map(|m| m.to_string()),
        "at": e.at.timestamp_millis(),
    })
    .to_string()
    .into_bytes()
}

/// The event and its origin; `None` for anything that is not one of ours.
fn decode(payload: &[u8]) -> Option<(String, Event)> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let id = |key: &str| -> Option<Option<String>> {
        match &v[key] {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.clone())),
            _ => None,
        }
    };
    let event = Event {
        user_id: v["user_id"].as_str()?.parse().ok()?,
        kind: EventKind::parse(v["kind"].as_str()?)?,
        conversation_id: id("conversation_id")?.map(|c| c.parse()).transpose().ok()?,
        message_id: id("message_id")?.map(|m| m.parse()).transpose().ok()?,
        at: DateTime::<Utc>::from_timestamp_millis(v["at"].as_i64()?)?,
    };
    Some((v["origin"].as_str()?.to_owned(), event))
}

/// Connects `bus` to the channel `<prefix>:events` at `url`: subscribed when this returns, then
/// publishing and listening in the background (resubscribing after a lost connection) until
/// `shutdown`.
pub async fn start(
    bus: &EventBus,
    url: &str,
    prefix: &str,
    shutdown: CancellationToken,
) -> Result<(), ferrochat_cache::CacheError> {
    let channel = RedisChannel::connect(url, &format!("{prefix}:events")).await?;
    let mut incoming = Box::pin(channel.subscribe().await?);
    let origin: Arc<str> = uuid::Uuid::new_v4().simple().to_string().into();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(QUEUE);

    let publisher = channel.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                payload = rx.recv() => match payload {
                    Some(p) => {
                        if let Err(e) = publisher.publish(&p).await {
                            tracing::warn!(error = %e, "publishing an event to Redis failed");
                        }
                    }
                    None => break,
                },
                () = stop.cancelled() => break,
            }
        }
    });

    let listener_bus = bus.clone();
    let me = origin.clone();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            tokio::select! {
                message = incoming.next() => match message {
                    Some(payload) => match decode(&payload) {
                        Some((from, event)) if *from != *me => listener_bus.deliver(event),
                        Some(_) => {}
                        None => tracing::warn!("ignored a malformed event from Redis"),
                    },
                    None => {
                        tracing::warn!("lost the Redis event subscription; resubscribing");
                        loop {
                            tokio::select! {
                                () = tokio::time::sleep(backoff) => {}
                                () = shutdown.cancelled() => return,
                            }
                            match channel.subscribe().await {
                                Ok(stream) => {
                                    incoming = Box::pin(stream);
                                    backoff = Duration::from_millis(200);
                                    break;
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "resubscribing to Redis events failed");
                                    backoff = (backoff * 2).min(Duration::from_secs(10));
                                }
                            }
                        }
                    }
                },
                () = shutdown.cancelled() => return,
            }
        }
    });

    bus.set_relay(Arc::new(RedisRelay { origin, tx }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::{ConversationId, MessageId, UserId};

    #[test]
    fn events_survive_the_wire_and_junk_is_ignored() {
        let e = Event {
            user_id: UserId::new(),
            kind: EventKind::MessageDeleted,
            conversation_id: Some(ConversationId::new()),
            message_id: Some(MessageId::new()),
            at: DateTime::from_timestamp_millis(1_764_000_000_123).unwrap_or_default(),
        };
        assert_eq!(
            decode(&encode("me", &e)),
            Some(("me".to_owned(), e.clone()))
        );
        let cleared = Event {
            kind: EventKind::ConversationsCleared,
            conversation_id: None,
            message_id: None,
            ..e
        };
        assert_eq!(decode(&encode("x", &cleared)).map(|d| d.1), Some(cleared));
        for junk in [
            &b"nope"[..],
            b"{}",
            br#"{"origin":"x","user_id":"u","kind":"message.created","at":1}"#,
        ] {
            assert_eq!(decode(junk), None);
        }
    }
}
