//! Webhooks: a user registers an http(s) URL and the events they want; each of their events
//! is queued once per matching webhook, POSTed signed, and retried on a schedule until the
//! receiver answers 2xx.
//!
//! The signature follows Standard Webhooks (<https://www.standardwebhooks.com>), so receivers
//! can verify with its libraries: `webhook-id` (the delivery ID, the same on every retry, for
//! deduplication), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature`
//! (`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`, keyed by the secret after its
//! `whsec_` prefix, base64-decoded). The secret is shown once, and kept sealed.
//!
//! Durability: a delivery is a row before anything is sent, so it survives restarts and
//! retries from any instance (workers lease rows, so two never send the same attempt). The
//! event itself reaches the queue just after the change commits, through the event bus; a
//! crash in that instant loses it (the change is not lost, the notification is).
//!
//! Every URL goes through the egress guard, when it is registered and on each attempt (the
//! client resolves through the guard and follows no redirects): a user cannot make the server
//! call its own network unless the operator allowlists it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ferrochat_core::{Delivery, DeliveryId, DeliveryStatus, UserId, Webhook, WebhookId};
use ferrochat_providers::HttpClient;
use ferrochat_providers::egress::{EgressError, EgressGuard};
use ferrochat_store::{Attempt, ClaimedDelivery, DynStore};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::{Notify, mpsc};

use crate::crypto::SecretBox;
use crate::error::not_found;
use crate::events::{Event, EventKind, EventRelay};
use crate::{Clock, ServiceError, ServiceResult, paging};

/// Longest URL accepted.
const MAX_URL: usize = 2048;
/// Longest description accepted.
const MAX_DESCRIPTION: usize = 500;
/// Most event names one webhook may list.
const MAX_EVENTS: usize = 16;
/// Deliveries a worker sends at once.
const BATCH: u32 = 16;
/// How often a worker looks for due deliveries when nothing woke it (retries falling due,
/// deliveries queued by another instance).
const POLL: Duration = Duration::from_secs(1);
/// Longest wait a receiver's `Retry-After` may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Longest error text kept per attempt.
const MAX_ERROR: usize = 500;
/// Events waiting to be queued before new ones are dropped (with a warning).
const OUTBOX: usize = 10_000;
/// How often the worker re-reads who has webhooks (how soon one made on another instance
/// starts receiving).
const HOOKED_REFRESH: chrono::Duration = chrono::Duration::seconds(5);
/// Events queued with one lookup at most (the users' IDs are the statement's parameters).
const BATCH_EVENTS: usize = 256;
/// Finished deliveries are kept this long for the log, then pruned.
const KEEP_FINISHED: chrono::Duration = chrono::Duration::days(30);
/// Default and largest page of the delivery log.
const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;
/// The event a test ping sends.
pub const PING: &str = "webhook.ping";

/// What the operator allows.
#[derive(Clone, Debug)]
pub struct WebhookPolicy {
    /// Webhooks can be registered and are delivered.
    pub enabled: bool,
    /// Waits between attempts; a delivery is given up after the last.
    pub retry_delays: Vec<Duration>,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// Webhooks per user.
    pub max_per_user: u32,
}

/// A new webhook.
#[derive(Clone, Debug, Default)]
pub struct NewWebhook {
    /// Where to POST.
    pub url: String,
    /// Event names, or `*`.
    pub events: Vec<String>,
    /// A note.
    pub description: Option<String>,
}

/// Changes to a webhook; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct WebhookChange {
    /// New URL.
    pub url: Option<String>,
    /// New event list.
    pub events: Option<Vec<String>>,
    /// New note.
    pub description: Option<String>,
    /// On or off (turning it on clears the reason the server turned it off).
    pub active: Option<bool>,
}

/// A page of a webhook's deliveries.
#[derive(Clone, Debug)]
pub struct DeliveryPage {
    /// Newest first.
    pub deliveries: Vec<Delivery>,
    /// Cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// Webhooks and their deliveries.
#[derive(Clone)]
pub struct WebhookService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    secrets: SecretBox,
    guard: EgressGuard,
    client: HttpClient,
    policy: Arc<WebhookPolicy>,
    wake: Arc<Notify>,
    hooked: Arc<Hooked>,
}

/// Which users have an active webhook, so the events of everyone else (nearly all of them) are
/// dropped without a query. Loaded and then refreshed by the worker every few seconds, which
/// is how a webhook made on another instance is seen; changes made here apply at once. Until
/// the first load nothing is filtered. A user who no longer has one only costs a query until
/// the next refresh.
#[derive(Default)]
struct Hooked {
    users: std::sync::RwLock<Option<HashSet<UserId>>>,
}

impl Hooked {
    fn may_have(&self, user: UserId) -> bool {
        match &*self.users.read().unwrap_or_else(|p| p.into_inner()) {
            None => true,
            Some(set) => set.contains(&user),
        }
    }

    /// Known to be nobody (so there is nothing to deliver but what wakes the worker).
    fn nobody(&self) -> bool {
        self.users
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(HashSet::is_empty)
    }

    fn add(&self, user: UserId) {
        if let Some(set) = self
            .users
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            set.insert(user);
        }
    }

    fn replace(&self, users: Vec<UserId>) {
        *self.users.write().unwrap_or_else(|p| p.into_inner()) = Some(users.into_iter().collect());
    }
}

impl WebhookService {
    /// Builds the service; `guard` judges every URL.
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        secrets: SecretBox,
        guard: EgressGuard,
        policy: WebhookPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            secrets,
            client: guard.client(),
            guard,
            policy: Arc::new(policy),
            wake: Arc::default(),
            hooked: Arc::default(),
        }
    }

    /// What the operator allows.
    pub fn policy(&self) -> &WebhookPolicy {
        &self.policy
    }

    fn check_enabled(&self) -> ServiceResult<()> {
        if self.policy.enabled {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(
                "webhooks are turned off on this server",
            ))
        }
    }

    /// Registers a webhook; returns it and its signing secret (shown this once).
    pub async fn create(&self, user: UserId, new: NewWebhook) -> ServiceResult<(Webhook, String)> {
        self.check_enabled()?;
        let url = self.check_url(&new.url).await?;
        let events = check_events(&new.events)?;
        let description = check_description(new.description.as_deref().unwrap_or(""))?;
        let existing = self.store.webhooks(user).await?;
        if existing.len() >= usize::try_from(self.policy.max_per_user).unwrap_or(usize::MAX) {
            return Err(ServiceError::invalid(
                "url",
                format!(
                    "you have {} webhooks, the most this server allows; delete one first",
                    existing.len()
                ),
            ));
        }
        let now = self.clock.now();
        let hook = Webhook {
            id: WebhookId::new(),
            user_id: user,
            url,
            events,
            description,
            active: true,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        let secret = new_secret()?;
        self.store
            .create_webhook(&hook, &self.secrets.seal(secret.as_bytes())?)
            .await?;
        self.hooked.add(user);
        Ok((hook, secret))
    }

    /// The user's webhooks, oldest first.
    pub async fn list(&self, user: UserId) -> ServiceResult<Vec<Webhook>> {
        self.check_enabled()?;
        Ok(self.store.webhooks(user).await?)
    }

    /// One of the user's webhooks.
    pub async fn get(&self, user: UserId, id: &str) -> ServiceResult<Webhook> {
        self.check_enabled()?;
        let id = parse_hook_id(id)?;
        self.store
            .webhook(user, id)
            .await
            .map_err(not_found("webhook"))
    }

    /// Changes one of the user's webhooks.
    pub async fn update(
        &self,
        user: UserId,
        id: &str,
        change: WebhookChange,
    ) -> ServiceResult<Webhook> {
        let mut hook = self.get(user, id).await?;
        if let Some(url) = change.url {
            hook.url = self.check_url(&url).await?;
        }
        if let Some(events) = change.events {
            hook.events = check_events(&events)?;
        }
        if let Some(description) = change.description {
            hook.description = check_description(&description)?;
        }
        if let Some(active) = change.active {
            hook.active = active;
            if active {
                hook.disabled_reason = None;
            }
        }
        hook.updated_at = self.clock.now();
        self.store
            .update_webhook(&hook, None)
            .await
            .map_err(not_found("webhook"))?;
        if hook.active {
            self.hooked.add(user);
            // Deliveries held while it was off are due now.
            self.wake.notify_one();
        }
        Ok(hook)
    }

    /// Gives a webhook a new secret (returned this once); the old one stops signing at once.
    pub async fn rotate_secret(&self, user: UserId, id: &str) -> ServiceResult<String> {
        let mut hook = self.get(user, id).await?;
        let secret = new_secret()?;
        hook.updated_at = self.clock.now();
        self.store
            .update_webhook(&hook, Some(&self.secrets.seal(secret.as_bytes())?))
            .await
            .map_err(not_found("webhook"))?;
        Ok(secret)
    }

    /// Deletes one of the user's webhooks and its queue.
    pub async fn delete(&self, user: UserId, id: &str) -> ServiceResult<()> {
        self.check_enabled()?;
        let id = parse_hook_id(id)?;
        if self.store.delete_webhook(user, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("webhook"))
        }
    }

    /// A page of a webhook's deliveries, newest first.
    pub async fn deliveries(
        &self,
        user: UserId,
        id: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<DeliveryPage> {
        let hook = self.get(user, id).await?;
        let limit = paging::limit(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = cursor
            .map(paging::decode_cursor::<DeliveryId>)
            .transpose()?;
        let mut deliveries = self
            .store
            .deliveries(user, hook.id, after, limit + 1)
            .await?;
        let next_cursor = paging::finish(&mut deliveries, limit, |d| {
            paging::cursor(d.created_at, d.id)
        });
        Ok(DeliveryPage {
            deliveries,
            next_cursor,
        })
    }

    /// One delivery.
    pub async fn delivery(
        &self,
        user: UserId,
        id: &str,
        delivery: &str,
    ) -> ServiceResult<Delivery> {
        let hook = self.get(user, id).await?;
        let delivery: DeliveryId = delivery
            .parse()
            .map_err(|_| ServiceError::NotFound("delivery"))?;
        self.store
            .delivery(user, hook.id, delivery)
            .await
            .map_err(not_found("delivery"))
    }

    /// Sends a delivery again (whatever became of it), with a fresh retry schedule.
    pub async fn redeliver(
        &self,
        user: UserId,
        id: &str,
        delivery: &str,
    ) -> ServiceResult<Delivery> {
        let found = self.delivery(user, id, delivery).await?;
        self.store
            .retry_delivery(user, found.webhook_id, found.id, self.clock.now())
            .await?;
        self.wake.notify_one();
        self.delivery(user, id, delivery).await
    }

    /// Queues a `webhook.ping` to one webhook, whatever events it wants: a receiver's check.
    pub async fn ping(&self, user: UserId, id: &str) -> ServiceResult<Delivery> {
        let hook = self.get(user, id).await?;
        if !hook.active {
            return Err(ServiceError::invalid(
                "active",
                "the webhook is off; turn it on to send to it",
            ));
        }
        let now = self.clock.now();
        self.hooked.add(user);
        let delivery = queued(&hook, PING, json!({ "webhook_id": hook.id }), now);
        self.store
            .enqueue_deliveries(std::slice::from_ref(&delivery))
            .await?;
        self.wake.notify_one();
        Ok(delivery)
    }

    /// Queues each event for each of its owner's active webhooks that want it, with one lookup
    /// for the whole batch (a busy server publishes thousands of events a second, and almost
    /// no user has a webhook); returns how many deliveries were queued.
    pub async fn enqueue(&self, events: &[Event]) -> ServiceResult<usize> {
        if !self.policy.enabled || events.is_empty() {
            return Ok(0);
        }
        let mut users: Vec<UserId> = events
            .iter()
            .map(|e| e.user_id)
            .filter(|u| self.hooked.may_have(*u))
            .collect();
        if users.is_empty() {
            return Ok(0);
        }
        users.sort();
        users.dedup();
        let hooks = self.store.active_webhooks(&users).await?;
        if hooks.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now();
        let mut deliveries: Vec<Delivery> = Vec::new();
        for event in events {
            let name = event.kind.as_str();
            let data = event_data(event);
            deliveries.extend(
                hooks
                    .iter()
                    .filter(|h| h.user_id == event.user_id && h.wants(name))
                    .map(|h| queued(h, name, data.clone(), now)),
            );
        }
        if deliveries.is_empty() {
            return Ok(0);
        }
        self.store.enqueue_deliveries(&deliveries).await?;
        self.wake.notify_one();
        Ok(deliveries.len())
    }

    /// An [`EventRelay`] for the event bus that hands this instance's events to a task that
    /// queues them, so publishing never waits on the database. Spawns that task.
    pub fn outbox(&self) -> Arc<dyn EventRelay> {
        let (tx, mut rx) = mpsc::channel::<Event>(OUTBOX);
        let service = self.clone();
        tokio::spawn(async move {
            let mut batch: Vec<Event> = Vec::with_capacity(BATCH_EVENTS);
            while let Some(event) = rx.recv().await {
                batch.push(event);
                while batch.len() < BATCH_EVENTS {
                    match rx.try_recv() {
                        Ok(more) => batch.push(more),
                        Err(_) => break,
                    }
                }
                if let Err(e) = service.enqueue(&batch).await {
                    tracing::warn!(error = %e, events = batch.len(), "webhook queueing failed");
                }
                batch.clear();
            }
        });
        Arc::new(Outbox {
            tx,
            hooked: self.hooked.clone(),
        })
    }

    /// Delivers what is due, forever: woken when something is queued here, and every second
    /// for retries and other instances' queues. Prunes finished deliveries hourly.
    pub async fn run_worker(self) {
        let mut last_prune: Option<DateTime<Utc>> = None;
        let mut last_refresh: Option<DateTime<Utc>> = None;
        loop {
            let now = self.clock.now();
            if last_refresh.is_none_or(|at| now - at > HOOKED_REFRESH) {
                match self.store.users_with_active_webhooks().await {
                    Ok(users) => {
                        self.hooked.replace(users);
                        last_refresh = Some(now);
                    }
                    Err(e) => tracing::warn!(error = %e, "reading who has webhooks failed"),
                }
            }
            if last_prune.is_none_or(|at| now - at > chrono::Duration::hours(1)) {
                last_prune = Some(now);
                if let Err(e) = self.store.prune_deliveries(now - KEEP_FINISHED).await {
                    tracing::warn!(error = %e, "pruning webhook deliveries failed");
                }
            }
            let sent = match self.deliver_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery pass failed");
                    0
                }
            };
            if sent < usize::try_from(BATCH).unwrap_or(usize::MAX) {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        }
    }

    /// Claims and attempts one batch of due deliveries; returns how many were attempted.
    pub async fn deliver_due(&self) -> ServiceResult<usize> {
        let now = self.clock.now();
        if self.hooked.nobody() || !self.store.has_due_deliveries(now).await? {
            return Ok(0);
        }
        // A lease outlives the longest attempt, so no other worker takes it meanwhile.
        let lease = chrono::Duration::from_std(self.policy.timeout + Duration::from_secs(30))
            .unwrap_or(chrono::Duration::minutes(1));
        let claimed = self.store.claim_deliveries(now, now + lease, BATCH).await?;
        let n = claimed.len();
        futures_util::future::join_all(claimed.into_iter().map(|c| self.attempt(c))).await;
        Ok(n)
    }

    async fn attempt(&self, claimed: ClaimedDelivery) {
        let ClaimedDelivery {
            delivery,
            url,
            secret,
        } = claimed;
        let outcome = match self.secrets.open(&secret) {
            Ok(secret) => self.send(&delivery, &url, &secret).await,
            Err(_) => Sent::Failed(None, "the signing secret cannot be read".into()),
        };
        let at = self.clock.now();
        let tried = delivery.attempts.saturating_add(1);
        let next_delay = self
            .policy
            .retry_delays
            .get(usize::try_from(delivery.attempts).unwrap_or(usize::MAX))
            .copied();
        let attempt = match outcome {
            Sent::Delivered(code) => Attempt {
                status: DeliveryStatus::Delivered,
                at,
                next_attempt_at: at,
                response_status: Some(code),
                error: None,
            },
            Sent::Gone(code) => {
                let reason = "the receiver answered 410 Gone";
                if let Err(e) = self
                    .store
                    .disable_webhook(delivery.webhook_id, reason, at)
                    .await
                {
                    tracing::warn!(error = %e, "turning a gone webhook off failed");
                }
                Attempt {
                    status: DeliveryStatus::Failed,
                    at,
                    next_attempt_at: at,
                    response_status: Some(code),
                    error: Some(reason.into()),
                }
            }
            Sent::Failed(code, error) => Attempt {
                status: DeliveryStatus::Failed,
                at,
                next_attempt_at: at,
                response_status: code,
                error: Some(error),
            },
            Sent::Retry(code, error, retry_after) => match next_delay {
                None => Attempt {
                    status: DeliveryStatus::Failed,
                    at,
                    next_attempt_at: at,
                    response_status: code,
                    error: Some(format!("{error} (gave up after {tried} attempts)")),
                },
                Some(delay) => {
                    // The schedule's wait, or longer when the receiver asked for it.
                    let wait = retry_after.map_or(delay, |asked| asked.max(delay));
                    Attempt {
                        status: DeliveryStatus::Pending,
                        at,
                        next_attempt_at: at + chrono::Duration::from_std(wait).unwrap_or_default(),
                        response_status: code,
                        error: Some(error),
                    }
                }
            },
        };
        if let Err(e) = self.store.record_attempt(delivery.id, &attempt).await {
            // The lease runs out and the delivery is attempted again: at least once.
            tracing::warn!(error = %e, delivery = %delivery.id, "recording a webhook attempt failed");
        }
    }

    /// One POST; what became of it.
    async fn send(&self, delivery: &Delivery, url: &str, secret: &[u8]) -> Sent {
        let timestamp = self.clock.now().timestamp();
        let signature = match sign(
            secret,
            &delivery.id.to_string(),
            timestamp,
            &delivery.payload,
        ) {
            Some(s) => s,
            None => return Sent::Failed(None, "the signing secret is malformed".into()),
        };
        let request = self
            .client
            .post(url)
            .header("user-agent", "ferrochat-webhooks")
            .header("webhook-id", &delivery.id.to_string())
            .header("webhook-timestamp", &timestamp.to_string())
            .header("webhook-signature", &signature)
            .body("application/json", delivery.payload.clone().into_bytes());
        match tokio::time::timeout(self.policy.timeout, request.send()).await {
            Err(_) => Sent::Retry(None, "the receiver did not answer in time".into(), None),
            Ok(Err(e)) => Sent::Retry(None, clip(&e.to_string()), None),
            Ok(Ok(res)) => {
                let code = res.status().as_u16();
                if res.status().is_success() {
                    Sent::Delivered(code)
                } else if code == 410 {
                    Sent::Gone(code)
                } else {
                    let retry_after = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                    Sent::Retry(
                        Some(code),
                        format!("the receiver answered {code}"),
                        retry_after,
                    )
                }
            }
        }
    }

    async fn check_url(&self, url: &str) -> ServiceResult<String> {
        let url = url.trim();
        if url.is_empty() || url.len() > MAX_URL {
            return Err(ServiceError::invalid(
                "url",
                format!("must be an http(s) URL of at most {MAX_URL} characters"),
            ));
        }
        match self.guard.check_url(url).await {
            Ok(()) => Ok(url.to_owned()),
            Err(EgressError::BadUrl) => Err(ServiceError::invalid(
                "url",
                "must be an http(s) URL with a host",
            )),
            Err(EgressError::Unresolvable) => {
                Err(ServiceError::invalid("url", "its host does not resolve"))
            }
            Err(EgressError::Blocked(ip)) => Err(ServiceError::invalid(
                "url",
                format!(
                    "points to {ip}, a private, local or reserved address; the server's operator can allow it (EGRESS_ALLOWLIST)"
                ),
            )),
        }
    }
}

/// What one POST came to.
enum Sent {
    /// 2xx.
    Delivered(u16),
    /// 410: the receiver is gone for good.
    Gone(u16),
    /// Cannot succeed by retrying (this server cannot sign it).
    Failed(Option<u16>, String),
    /// Try again later (at least after the receiver's `Retry-After`, when it gave one).
    Retry(Option<u16>, String, Option<Duration>),
}

/// Hands events to the queueing task without waiting.
struct Outbox {
    tx: mpsc::Sender<Event>,
    hooked: Arc<Hooked>,
}

impl EventRelay for Outbox {
    fn relay(&self, event: &Event) {
        // Decided here, on the publisher's thread: waking the queueing task for an event that
        // nobody receives cost the chat path's first token measurable time (chat-bench).
        if !event.kind.hookable() || !self.hooked.may_have(event.user_id) {
            return;
        }
        if self.tx.try_send(event.clone()).is_err() {
            tracing::warn!(
                event = event.kind.as_str(),
                "webhook queue is full; an event was not queued"
            );
        }
    }
}

/// A pending delivery of `event` with `data` to `hook`, due now.
fn queued(hook: &Webhook, event: &str, data: serde_json::Value, now: DateTime<Utc>) -> Delivery {
    let id = DeliveryId::new();
    let payload = json!({
        "id": id,
        "type": event,
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    });
    Delivery {
        id,
        webhook_id: hook.id,
        user_id: hook.user_id,
        event: event.to_owned(),
        payload: payload.to_string(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        last_attempt_at: None,
        response_status: None,
        last_error: None,
        created_at: now,
    }
}

/// An event's IDs, as the WebSocket door sends them (never content: the receiver fetches it
/// through the API with its own credentials).
fn event_data(event: &Event) -> serde_json::Value {
    json!({
        "user_id": event.user_id,
        "conversation_id": event.conversation_id,
        "message_id": event.message_id,
        "at": event.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// `v1,<base64 HMAC-SHA256>` of `id.timestamp.payload`, keyed by the `whsec_` secret's bytes.
pub fn sign(secret: &[u8], id: &str, timestamp: i64, payload: &str) -> Option<String> {
    let text = std::str::from_utf8(secret).ok()?;
    let key = B64
        .decode(text.strip_prefix("whsec_").unwrap_or(text))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(payload.as_bytes());
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// `whsec_` and 32 random bytes in base64, Standard Webhooks' secret form.
fn new_secret() -> ServiceResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(e.to_string().into()))?;
    Ok(format!("whsec_{}", B64.encode(bytes)))
}

fn parse_hook_id(id: &str) -> ServiceResult<WebhookId> {
    id.parse().map_err(|_| ServiceError::NotFound("webhook"))
}

/// Known event names (or `*`), each once, at least one.
fn check_events(events: &[String]) -> ServiceResult<Vec<String>> {
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(ServiceError::invalid(
            "events",
            format!("must list 1 to {MAX_EVENTS} event names, or \"*\" for all"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for name in events {
        let name = name.trim();
        if name != "*" && !EventKind::parse(name).is_some_and(EventKind::hookable) {
            return Err(ServiceError::invalid(
                "events",
                format!("{name:?} is not an event name (see docs/webhooks.md)"),
            ));
        }
        if !out.iter().any(|e| e == name) {
            out.push(name.to_owned());
        }
    }
    Ok(out)
}

fn check_description(text: &str) -> ServiceResult<String> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(ServiceError::invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(text.to_owned())
}

fn clip(text: &str) -> String {
    text.chars().take(MAX_ERROR).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification, verified by its reference
    /// libraries.
    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(
            secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn events_are_known_names_once() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_events(&names(&["message.created", "*", "message.created"])).unwrap(),
            names(&["message.created", "*"])
        );
        assert!(check_events(&[]).is_err());
        assert!(check_events(&names(&["message.exploded"])).is_err());
    }
}
