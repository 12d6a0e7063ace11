//! Webhooks and their delivery queue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Delivery, DeliveryId, DeliveryStatus, UserId, Webhook, WebhookId};

use crate::StoreResult;

/// A delivery a worker has claimed, with what it needs to send it.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// Its webhook's URL now (an edit applies to retries).
    pub url: String,
    /// Its webhook's sealed signing secret.
    pub secret: String,
}

/// The outcome of one attempt.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// Where the delivery stands after it.
    pub status: DeliveryStatus,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// When the next one is due (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The receiver's status code, if it answered.
    pub response_status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// Rows of `webhooks` and `webhook_deliveries`.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new webhook with its sealed secret.
    async fn create_webhook(&self, hook: &Webhook, sealed_secret: &str) -> StoreResult<()>;

    /// One of a user's webhooks.
    async fn webhook(&self, user_id: UserId, id: WebhookId) -> StoreResult<Webhook>;

    /// A user's webhooks, oldest first.
    async fn webhooks(&self, user_id: UserId) -> StoreResult<Vec<Webhook>>;

    /// The users who have an active webhook.
    async fn users_with_active_webhooks(&self) -> StoreResult<Vec<UserId>>;

    /// The active webhooks of any of these users (one query for a batch of events).
    async fn active_webhooks(&self, users: &[UserId]) -> StoreResult<Vec<Webhook>>;

    /// Rewrites the user's webhook `hook.id` (URL, events, description, active, reason,
    /// update time) and its secret when one is given; `NotFound` when there is none.
    async fn update_webhook(&self, hook: &Webhook, sealed_secret: Option<&str>) -> StoreResult<()>;

    /// Deletes one of a user's webhooks and its deliveries; `false` when there was none.
    async fn delete_webhook(&self, user_id: UserId, id: WebhookId) -> StoreResult<bool>;

    /// Turns a webhook off for a reason (its receiver is gone).
    async fn disable_webhook(
        &self,
        id: WebhookId,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Queues deliveries, all or none.
    async fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()>;

    /// Claims up to `limit` pending deliveries of active webhooks due at `now` and not leased
    /// by another worker, leasing them until `lease_until`. Two workers never claim the same.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;

    /// Whether a pending delivery of an active webhook is due at `now` (a read, so an idle
    /// worker's poll never takes the write lock).
    async fn has_due_deliveries(&self, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Records an attempt at a delivery and releases its lease.
    async fn record_attempt(&self, id: DeliveryId, attempt: &Attempt) -> StoreResult<()>;

    /// A page of a webhook's deliveries, newest first, after the keyset cursor.
    async fn deliveries(
        &self,
        user_id: UserId,
        webhook_id: WebhookId,
        after: Option<(DateTime<Utc>, DeliveryId)>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;

    /// One delivery of one of the user's webhooks.
    async fn delivery(
        &self,
        user_id: UserId,
        webhook_id: WebhookId,
        id: DeliveryId,
    ) -> StoreResult<Delivery>;

    /// Deletes delivered and failed deliveries created before `before`; returns how many.
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Makes a delivery pending again, due at `now` (a manual redelivery); its attempt count
    /// starts over.
    async fn retry_delivery(
        &self,
        user_id: UserId,
        webhook_id: WebhookId,
        id: DeliveryId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
