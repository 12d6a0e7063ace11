//! Statements and rows of `webhooks` and `webhook_deliveries`.

use ferrochat_core::{Delivery, DeliveryStatus, Webhook};

use super::time::{from_millis, from_millis_opt, parse_id};
use crate::StoreError;

macro_rules! hook_columns {
    () => {
        "id, user_id, url, events, description, active, disabled_reason, created_at, updated_at"
    };
}

macro_rules! delivery_columns {
    () => {
        "id, webhook_id, user_id, event, payload, status, attempts, next_attempt_at, \
         last_attempt_at, response_status, last_error, created_at"
    };
}

/// Inserts a webhook: id, user, url, events, description, secret, active, created, updated.
pub const INSERT: &str = "INSERT INTO webhooks (id, user_id, url, events, description, secret, \
     active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Webhook $2 of user $1.
pub const GET: &str = concat!(
    "SELECT ",
    hook_columns!(),
    " FROM webhooks WHERE user_id = $1 AND id = $2"
);
/// User $1's webhooks, oldest first.
pub const LIST: &str = concat!(
    "SELECT ",
    hook_columns!(),
    " FROM webhooks WHERE user_id = $1 ORDER BY created_at, id"
);
/// Users with an active webhook.
pub const HOOKED_USERS: &str = "SELECT DISTINCT user_id FROM webhooks WHERE active";

/// Active webhooks of users $1..$n (n ≥ 1).
pub fn active_of(users: usize) -> String {
    let list: Vec<String> = (1..=users.max(1)).map(|i| format!("${i}")).collect();
    format!(
        concat!(
            "SELECT ",
            hook_columns!(),
            " FROM webhooks WHERE user_id IN ({}) AND active ORDER BY created_at, id"
        ),
        list.join(", ")
    )
}

/// Rewrites webhook $2 of user $1: url $3, events $4, description $5, active $6, reason $7,
/// updated $8, and the secret when $9 is not null.
pub const UPDATE: &str = "UPDATE webhooks SET url = $3, events = $4, description = $5, \
     active = $6, disabled_reason = $7, updated_at = $8, secret = COALESCE($9, secret) \
     WHERE user_id = $1 AND id = $2";
/// Deletes webhook $2 of user $1 (its deliveries go with it).
pub const DELETE: &str = "DELETE FROM webhooks WHERE user_id = $1 AND id = $2";
/// Turns webhook $1 off for reason $2 at $3.
pub const DISABLE: &str =
    "UPDATE webhooks SET active = false, disabled_reason = $2, updated_at = $3 WHERE id = $1";

/// Queues a delivery: id, webhook, user, event, payload, status, attempts, due, created.
pub const ENQUEUE: &str = "INSERT INTO webhook_deliveries (id, webhook_id, user_id, event, \
     payload, status, attempts, next_attempt_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Leases up to `limit` due deliveries ($1 now, $2 lease end) of active webhooks, returning
/// each with its webhook's URL and secret. The lease conditions are repeated outside the
/// subquery: when two PostgreSQL workers pick the same row, the second one's update waits
/// for the first, then re-checks them on the new row version and skips it.
pub fn claim(limit: u32) -> String {
    format!(
        concat!(
            "UPDATE webhook_deliveries SET lease_until = $2 WHERE id IN (",
            "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id ",
            "WHERE d.status = 'pending' AND d.next_attempt_at <= $1 ",
            "AND (d.lease_until IS NULL OR d.lease_until <= $1) AND w.active ",
            "ORDER BY d.next_attempt_at LIMIT {limit}) ",
            "AND status = 'pending' AND (lease_until IS NULL OR lease_until <= $1) ",
            "RETURNING ",
            delivery_columns!(),
            ", (SELECT w.url FROM webhooks w WHERE w.id = webhook_id) AS url",
            ", (SELECT w.secret FROM webhooks w WHERE w.id = webhook_id) AS secret"
        ),
        limit = limit
    )
}

/// Whether any pending delivery of an active webhook is due at $1.
pub const HAS_DUE: &str = "SELECT EXISTS (SELECT 1 FROM webhook_deliveries d \
     JOIN webhooks w ON w.id = d.webhook_id AND w.active \
     WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
     AND (d.lease_until IS NULL OR d.lease_until <= $1))";

/// Records an attempt at delivery $1: status $2, attempted $3, due $4, response $5, error $6.
pub const RECORD: &str = "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, \
     last_attempt_at = $3, next_attempt_at = $4, response_status = $5, last_error = $6, \
     lease_until = NULL WHERE id = $1";

/// A page of webhook $2's deliveries (of user $1), newest first; after ($3, $4) when $3 is
/// not null.
pub fn page(limit: u32) -> String {
    format!(
        concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM webhook_deliveries WHERE webhook_id = $2 AND user_id = $1 ",
            "AND ($3 IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4)) ",
            "ORDER BY created_at DESC, id DESC LIMIT {limit}"
        ),
        limit = limit
    )
}

/// Delivery $3 of webhook $2 of user $1.
pub const GET_DELIVERY: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM webhook_deliveries WHERE user_id = $1 AND webhook_id = $2 AND id = $3"
);

/// Makes delivery $3 of webhook $2 of user $1 pending again, due at $4.
pub const RETRY: &str = "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, \
     next_attempt_at = $4, lease_until = NULL WHERE user_id = $1 AND webhook_id = $2 AND id = $3";

/// Deletes finished deliveries created before $1.
pub const PRUNE: &str =
    "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1";

/// A `webhooks` row as read (never the secret).
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct HookRow {
    pub id: String,
    pub user_id: String,
    pub url: String,
    pub events: String,
    pub description: String,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<HookRow> for Webhook {
    type Error = StoreError;

    fn try_from(r: HookRow) -> Result<Self, StoreError> {
        Ok(Webhook {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            url: r.url,
            events: r
                .events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
            description: r.description,
            active: r.active,
            disabled_reason: r.disabled_reason,
            created_at: from_millis(r.created_at)?,
            updated_at: from_millis(r.updated_at)?,
        })
    }
}

/// The stored form of a webhook's event list.
pub fn events_text(hook: &Webhook) -> String {
    hook.events.join(",")
}

/// A `webhook_deliveries` row as read.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub user_id: String,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// A row of [`claim`]: the delivery, its webhook's URL and secret.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct ClaimRow {
    #[sqlx(flatten)]
    pub delivery: DeliveryRow,
    pub url: String,
    pub secret: String,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        let status = DeliveryStatus::parse(&r.status)
            .ok_or_else(|| StoreError::Other(format!("unknown status {}", r.status).into()))?;
        Ok(Delivery {
            id: parse_id(&r.id)?,
            webhook_id: parse_id(&r.webhook_id)?,
            user_id: parse_id(&r.user_id)?,
            event: r.event,
            payload: r.payload,
            status,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            next_attempt_at: from_millis(r.next_attempt_at)?,
            last_attempt_at: from_millis_opt(r.last_attempt_at)?,
            response_status: r.response_status.and_then(|s| u16::try_from(s).ok()),
            last_error: r.last_error,
            created_at: from_millis(r.created_at)?,
        })
    }
}
