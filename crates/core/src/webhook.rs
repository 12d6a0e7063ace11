//! Webhooks: a user's HTTPS endpoint that is sent their events, signed, and retried until it
//! answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DeliveryId, UserId, WebhookId};

/// A registered webhook (its signing secret is kept apart, sealed, and shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// ID.
    pub id: WebhookId,
    /// Owner: only the owner's events are sent.
    pub user_id: UserId,
    /// Where events are POSTed.
    pub url: String,
    /// Event names it wants (`conversation.created`, …), or `*` for all.
    pub events: Vec<String>,
    /// The owner's note.
    pub description: String,
    /// Whether events are sent to it.
    pub active: bool,
    /// Why the server turned it off (the receiver answered 410 Gone), if it did.
    pub disabled_reason: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    /// Whether it wants events of this name.
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: every retry failed, or the receiver said it is gone.
    Failed,
}

impl DeliveryStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One event on its way to one webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// ID; receivers see it as `webhook-id` and use it to drop duplicates.
    pub id: DeliveryId,
    /// The webhook.
    pub webhook_id: WebhookId,
    /// Its owner.
    pub user_id: UserId,
    /// Event name.
    pub event: String,
    /// The JSON body sent, byte for byte on every attempt.
    pub payload: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's status code on the last attempt, if it answered.
    pub response_status: Option<u16>,
    /// What went wrong on the last attempt.
    pub last_error: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
