//! Stories for `WebhookStore`.

use ferrochat_core::{Delivery, DeliveryId, DeliveryStatus, UserId, Webhook, WebhookId};
use ferrochat_store::{Attempt, Store, StoreError};

use crate::chat::user;
use crate::{at, t0};

fn hook(user_id: UserId, url: &str, events: &[&str], minute: i64) -> Webhook {
    Webhook {
        id: WebhookId::new(),
        user_id,
        url: url.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        description: String::new(),
        active: true,
        disabled_reason: None,
        created_at: at(minute),
        updated_at: at(minute),
    }
}

fn delivery(h: &Webhook, event: &str, minute: i64) -> Delivery {
    Delivery {
        id: DeliveryId::new(),
        webhook_id: h.id,
        user_id: h.user_id,
        event: event.into(),
        payload: format!("{{\"type\":\"{event}\"}}"),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: at(minute),
        last_attempt_at: None,
        response_status: None,
        last_error: None,
        created_at: at(minute),
    }
}

async fn claimed_ids(store: &dyn Store, minute: i64, limit: u32) -> Vec<DeliveryId> {
    let mut ids = store
        .claim_deliveries(at(minute), at(minute + 1), limit)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.delivery.id)
        .collect::<Vec<_>>();
    // Claimed rows come back in no particular order; IDs made in order sort in it.
    ids.sort();
    ids
}

/// Create, list (oldest first), read, ownership, update with and without a new secret, the
/// server turning one off, and deletion.
pub async fn hooks(store: &dyn Store) {
    let u = user(store, "hooks@example.com").await;
    let v = user(store, "other-hooks@example.com").await;
    let a = hook(u, "https://a.example/hook", &["message.created"], 2);
    let b = hook(u, "https://b.example/hook", &["*"], 1);
    store.create_webhook(&a, "sealed-a").await.unwrap();
    store.create_webhook(&b, "sealed-b").await.unwrap();
    store
        .create_webhook(&hook(v, "https://v.example/", &["*"], 0), "sealed-v")
        .await
        .unwrap();

    let mut hooked = store.users_with_active_webhooks().await.unwrap();
    hooked.sort();
    let mut both = vec![u, v];
    both.sort();
    assert_eq!(hooked, both);
    let of_u = store.active_webhooks(&[u]).await.unwrap();
    assert_eq!(
        of_u.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![b.id, a.id]
    );
    assert_eq!(store.active_webhooks(&[u, v]).await.unwrap().len(), 3);
    let listed = store.webhooks(u).await.unwrap();
    assert_eq!(listed, vec![b.clone(), a.clone()], "oldest first, own only");
    assert_eq!(store.webhook(u, a.id).await.unwrap(), a);
    assert!(matches!(
        store.webhook(v, a.id).await,
        Err(StoreError::NotFound)
    ));

    let mut changed = a.clone();
    changed.url = "https://a2.example/hook".into();
    changed.events = vec!["conversation.created".into(), "message.created".into()];
    changed.description = "CI bot".into();
    changed.updated_at = at(5);
    store.update_webhook(&changed, None).await.unwrap();
    assert_eq!(store.webhook(u, a.id).await.unwrap(), changed);
    let mut foreign = changed.clone();
    foreign.user_id = v;
    assert!(matches!(
        store.update_webhook(&foreign, Some("x")).await,
        Err(StoreError::NotFound)
    ));

    // The secret changes only when given: a claimed delivery carries the current one.
    let d = delivery(&changed, "message.created", 6);
    store
        .enqueue_deliveries(std::slice::from_ref(&d))
        .await
        .unwrap();
    let first = store.claim_deliveries(at(100), at(101), 10).await.unwrap();
    assert_eq!(
        first
            .iter()
            .map(|c| (c.delivery.id, c.url.as_str(), c.secret.as_str()))
            .collect::<Vec<_>>(),
        vec![(d.id, "https://a2.example/hook", "sealed-a")]
    );
    store
        .update_webhook(&changed, Some("sealed-a2"))
        .await
        .unwrap();
    // (The lease from the first claim runs to minute 101.)
    let again = store.claim_deliveries(at(102), at(103), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].secret, "sealed-a2");

    store
        .disable_webhook(a.id, "the receiver answered 410 Gone", at(7))
        .await
        .unwrap();
    let off = store.webhook(u, a.id).await.unwrap();
    assert!(!off.active);
    assert_eq!(
        store
            .active_webhooks(&[u])
            .await
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        vec![b.id],
        "a webhook turned off gets no events"
    );
    assert_eq!(
        off.disabled_reason.as_deref(),
        Some("the receiver answered 410 Gone")
    );
    assert_eq!(off.updated_at, at(7));

    assert!(!store.delete_webhook(v, a.id).await.unwrap());
    assert!(store.delete_webhook(u, a.id).await.unwrap());
    assert!(!store.delete_webhook(u, a.id).await.unwrap());
    assert_eq!(store.webhooks(u).await.unwrap(), vec![b]);
    // Its deliveries went with it.
    assert!(matches!(
        store.delivery(u, a.id, d.id).await,
        Err(StoreError::NotFound)
    ));
}

/// The queue: due order, leases (no double claim, expiry), inactive webhooks held, attempts
/// recorded, the log's pages, manual retry, pruning.
pub async fn queue(store: &dyn Store) {
    let u = user(store, "queue@example.com").await;
    let h = hook(u, "https://q.example/", &["*"], 0);
    let off = hook(u, "https://off.example/", &["*"], 0);
    store.create_webhook(&h, "s").await.unwrap();
    store.create_webhook(&off, "s").await.unwrap();
    let mut off_now = off.clone();
    off_now.active = false;
    store.update_webhook(&off_now, None).await.unwrap();

    let d1 = delivery(&h, "conversation.created", 1);
    let d2 = delivery(&h, "message.created", 2);
    let d3 = delivery(&h, "message.created", 3);
    let later = delivery(&h, "message.updated", 50);
    let held = delivery(&off, "message.created", 1);
    store
        .enqueue_deliveries(&[
            d3.clone(),
            d1.clone(),
            d2.clone(),
            later.clone(),
            held.clone(),
        ])
        .await
        .unwrap();

    // Oldest due first, at most `limit`; a leased row is not claimed again until its lease
    // ends; nothing is due before its time; the inactive webhook's row waits.
    assert_eq!(claimed_ids(store, 10, 2).await, vec![d1.id, d2.id]);
    assert_eq!(claimed_ids(store, 10, 5).await, vec![d3.id]);
    assert_eq!(claimed_ids(store, 10, 5).await, Vec::<DeliveryId>::new());
    // Leases ran to minute 11.
    assert_eq!(claimed_ids(store, 12, 5).await, vec![d1.id, d2.id, d3.id]);

    // d1 delivered, d2 to be retried at minute 30, d3 given up.
    let attempt = |status, minute: i64, next: i64, code, error: Option<&str>| Attempt {
        status,
        at: at(minute),
        next_attempt_at: at(next),
        response_status: code,
        error: error.map(str::to_owned),
    };
    store
        .record_attempt(
            d1.id,
            &attempt(DeliveryStatus::Delivered, 12, 12, Some(204), None),
        )
        .await
        .unwrap();
    store
        .record_attempt(
            d2.id,
            &attempt(
                DeliveryStatus::Pending,
                12,
                30,
                Some(500),
                Some("answered 500"),
            ),
        )
        .await
        .unwrap();
    store
        .record_attempt(
            d3.id,
            &attempt(DeliveryStatus::Failed, 12, 12, None, Some("timed out")),
        )
        .await
        .unwrap();
    assert_eq!(claimed_ids(store, 20, 5).await, Vec::<DeliveryId>::new());
    assert_eq!(claimed_ids(store, 30, 5).await, vec![d2.id]);

    let got = store.delivery(u, h.id, d2.id).await.unwrap();
    assert_eq!(got.status, DeliveryStatus::Pending);
    assert_eq!(got.attempts, 1);
    assert_eq!(got.response_status, Some(500));
    assert_eq!(got.last_error.as_deref(), Some("answered 500"));
    assert_eq!(got.last_attempt_at, Some(at(12)));
    assert_eq!(got.payload, d2.payload);
    let done = store.delivery(u, h.id, d1.id).await.unwrap();
    assert_eq!(
        (done.status, done.attempts, done.last_error),
        (DeliveryStatus::Delivered, 1, None)
    );

    // The inactive webhook's delivery is claimed once it is on again (with d2, whose lease
    // from minute 30 has run out).
    store.update_webhook(&off, None).await.unwrap();
    let mut due = vec![d2.id, held.id];
    due.sort();
    assert_eq!(claimed_ids(store, 40, 5).await, due);

    // The log: newest first, keyset pages, own webhook only.
    let page = store.deliveries(u, h.id, None, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![later.id, d3.id]
    );
    let next = store
        .deliveries(u, h.id, Some((d3.created_at, d3.id)), 10)
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![d2.id, d1.id]
    );
    let stranger = user(store, "stranger@example.com").await;
    assert!(
        store
            .deliveries(stranger, h.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A failed delivery sent again: pending, due now, attempts from zero.
    store.retry_delivery(u, h.id, d3.id, at(60)).await.unwrap();
    let retried = store.delivery(u, h.id, d3.id).await.unwrap();
    assert_eq!(
        (retried.status, retried.attempts, retried.next_attempt_at),
        (DeliveryStatus::Pending, 0, at(60))
    );
    assert!(matches!(
        store.retry_delivery(stranger, h.id, d3.id, at(60)).await,
        Err(StoreError::NotFound)
    ));
    assert!(claimed_ids(store, 61, 5).await.contains(&d3.id));

    // Pruning removes finished deliveries made before the cut only.
    assert_eq!(store.prune_deliveries(at(2)).await.unwrap(), 1);
    assert!(matches!(
        store.delivery(u, h.id, d1.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.prune_deliveries(t0()).await.unwrap(), 0);
    assert!(store.delivery(u, h.id, d2.id).await.is_ok());
}
