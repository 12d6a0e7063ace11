//! Domain events: what changed, for whom. Services publish one after each change is stored;
//! the WebSocket door forwards a user's own events to their open sockets, so other tabs and
//! devices refresh without polling.
//!
//! An event names the change and the IDs involved, never the content: a client refetches what
//! it shows through the API, with the usual permission checks, so an event can never leak more
//! than its recipient may read. Delivery is best effort (a slow socket that falls behind is told
//! how many it missed and should refetch); webhooks get events through an outbox (see
//! `webhooks`) that queues them durably.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ferrochat_core::{ConversationId, MessageId, UserId};
use tokio::sync::broadcast;

/// Events buffered for the slowest subscriber before it is told it lagged.
const BUFFER: usize = 4096;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A conversation was created (new chat, fork, duplicate, import).
    ConversationCreated,
    /// Its title, settings, archive flag, folder or bookmarks changed.
    ConversationUpdated,
    /// It was deleted (soft: it can be restored).
    ConversationDeleted,
    /// It was restored.
    ConversationRestored,
    /// All of the user's conversations were deleted.
    ConversationsCleared,
    /// A message was stored (a user's, or a finished, aborted or failed answer).
    MessageCreated,
    /// A message's text or feedback changed.
    MessageUpdated,
    /// A message was deleted.
    MessageDeleted,
    /// One of the user's devices connected or disconnected (see `GET /api/v1/me/presence`).
    PresenceChanged,
}

impl EventKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ConversationCreated => "conversation.created",
            EventKind::ConversationUpdated => "conversation.updated",
            EventKind::ConversationDeleted => "conversation.deleted",
            EventKind::ConversationRestored => "conversation.restored",
            EventKind::ConversationsCleared => "conversations.cleared",
            EventKind::MessageCreated => "message.created",
            EventKind::MessageUpdated => "message.updated",
            EventKind::MessageDeleted => "message.deleted",
            EventKind::PresenceChanged => "presence.changed",
        }
    }

    /// Whether webhooks may carry it: changes to the user's data are; presence (a socket
    /// opening or closing) is news for the user's other sockets only.
    pub fn hookable(self) -> bool {
        !matches!(self, EventKind::PresenceChanged)
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            EventKind::ConversationCreated,
            EventKind::ConversationUpdated,
            EventKind::ConversationDeleted,
            EventKind::ConversationRestored,
            EventKind::ConversationsCleared,
            EventKind::MessageCreated,
            EventKind::MessageUpdated,
            EventKind::MessageDeleted,
            EventKind::PresenceChanged,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Whose data changed: only their sockets get it.
    pub user_id: UserId,
    /// What happened.
    pub kind: EventKind,
    /// The conversation (none for [`EventKind::ConversationsCleared`]).
    pub conversation_id: Option<ConversationId>,
    /// The message, for message events.
    pub message_id: Option<MessageId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Carries events published here elsewhere: to other instances (Redis pub/sub when several
/// share a database), or to the webhook queue.
pub trait EventRelay: Send + Sync {
    /// Takes an event published here; must not block.
    fn relay(&self, event: &Event);
}

/// The in-process fan-out every service publishes to and every socket subscribes to.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    relay: Arc<std::sync::OnceLock<Arc<dyn EventRelay>>>,
    outbox: Arc<std::sync::OnceLock<Arc<dyn EventRelay>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BUFFER).0,
            relay: Arc::default(),
            outbox: Arc::default(),
        }
    }
}

impl EventBus {
    /// Publishes an event made here: to this instance's subscribers and, through the relay,
    /// to the other instances'. Costs a channel send; never waits.
    pub fn publish(&self, event: Event) {
        if let Some(relay) = self.relay.get() {
            relay.relay(&event);
        }
        if let Some(outbox) = self.outbox.get() {
            outbox.relay(&event);
        }
        self.deliver(event);
    }

    /// Hands an event that arrived from another instance to this one's subscribers only.
    pub fn deliver(&self, event: Event) {
        // No subscriber is not an error: nobody is listening.
        let _ = self.tx.send(Arc::new(event));
    }

    /// A receiver of every event from now on (filter by user).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Sets where events go beyond this instance; once, at start.
    pub fn set_relay(&self, relay: Arc<dyn EventRelay>) {
        let _ = self.relay.set(relay);
    }

    /// Sets where events made here are queued for durable consumers (webhooks); once, at
    /// start. Only this instance's own events go there: each instance queues what it made.
    pub fn set_outbox(&self, outbox: Arc<dyn EventRelay>) {
        let _ = self.outbox.set(outbox);
    }

    /// Shorthand: an event about a conversation.
    pub fn conversation(&self, user: UserId, kind: EventKind, id: ConversationId) {
        self.publish(Event {
            user_id: user,
            kind,
            conversation_id: Some(id),
            message_id: None,
            at: Utc::now(),
        });
    }

    /// Publishes that one of `user`'s devices connected or disconnected.
    pub fn presence(&self, user: UserId) {
        self.publish(Event {
            user_id: user,
            kind: EventKind::PresenceChanged,
            conversation_id: None,
            message_id: None,
            at: Utc::now(),
        });
    }

    /// Shorthand: an event about a message.
    pub fn message(
        &self,
        user: UserId,
        kind: EventKind,
        conversation: ConversationId,
        id: MessageId,
    ) {
        self.publish(Event {
            user_id: user,
            kind,
            conversation_id: Some(conversation),
            message_id: Some(id),
            at: Utc::now(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "conversation.created",
            "conversation.updated",
            "conversation.deleted",
            "conversation.restored",
            "conversations.cleared",
            "message.created",
            "message.updated",
            "message.deleted",
        ] {
            assert_eq!(EventKind::parse(name).map(EventKind::as_str), Some(name));
        }
        assert_eq!(EventKind::parse("nope"), None);
    }

    #[tokio::test]
    async fn subscribers_get_what_is_published_and_the_relay_sees_local_events_only() {
        #[derive(Default)]
        struct Count(std::sync::atomic::AtomicUsize);
        impl EventRelay for Count {
            fn relay(&self, _: &Event) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let bus = EventBus::default();
        let relay = Arc::new(Count::default());
        bus.set_relay(relay.clone());
        let mut rx = bus.subscribe();
        let (user, c) = (UserId::new(), ConversationId::new());
        bus.conversation(user, EventKind::ConversationCreated, c);
        let got = rx.recv().await.ok();
        assert_eq!(
            got.map(|e| (e.kind, e.conversation_id)),
            Some((EventKind::ConversationCreated, Some(c)))
        );
        bus.deliver(Event {
            user_id: user,
            kind: EventKind::ConversationsCleared,
            conversation_id: None,
            message_id: None,
            at: Utc::now(),
        });
        assert_eq!(
            rx.recv().await.ok().map(|e| e.kind),
            Some(EventKind::ConversationsCleared)
        );
        assert_eq!(relay.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
