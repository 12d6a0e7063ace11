//! Stories for `DigestStore`.

use chrono::Duration;
use ferrochat_core::{Conversation, UserId};
use ferrochat_store::{Store, TurnStart};

use crate::chat::{generation, message, user};
use crate::conversations::conversation;
use crate::{at, t0};

/// Stores a question of `c` at `minute` (creating `c` when `new`), and its answer a minute
/// later when `answered`.
async fn turn(store: &dyn Store, c: &mut Conversation, new: bool, minute: i64, answered: bool) {
    c.updated_at = at(minute);
    let q = message(c, None, true, minute);
    store
        .start_turn(TurnStart {
            conversation: c,
            is_new: new,
            user_message: Some(&q),
        })
        .await
        .unwrap();
    if answered {
        let a = message(c, Some(q.id), false, minute + 1);
        store
            .finish_turn(&a, &generation(&a, 0), false, at(minute + 1))
            .await
            .unwrap();
    }
}

/// Subscribing, the due list, claims that succeed once per week, releases, and the
/// conversations a week was busy with.
pub async fn subscriptions_and_weeks(store: &dyn Store) {
    let u = user(store, "digest@example.com").await;
    let v = user(store, "digest-other@example.com").await;
    let banned = user(store, "digest-banned@example.com").await;
    let week0 = t0();
    let week1 = t0() + Duration::days(7);
    let week2 = t0() + Duration::days(14);

    assert_eq!(store.digest_subscription(u).await.unwrap(), None);
    store.subscribe_digest(u, week0, at(5)).await.unwrap();
    // Subscribing again keeps the first subscription and its week.
    store.subscribe_digest(u, week1, at(6)).await.unwrap();
    assert_eq!(store.digest_subscription(u).await.unwrap(), Some(at(5)));
    store.subscribe_digest(v, week0, at(7)).await.unwrap();
    store.subscribe_digest(banned, week0, at(7)).await.unwrap();
    store.set_user_banned(banned, true, at(8)).await.unwrap();

    let due = store.digest_due(week1, None, 10).await.unwrap();
    let mut expected: Vec<UserId> = vec![u, v];
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(
        due.iter().map(|r| r.user_id).collect::<Vec<_>>(),
        expected,
        "banned users get no digest; the list is in (last week, ID) order"
    );
    let first = &due[0];
    assert_eq!(first.last_week, week0);
    assert!(first.email.starts_with("digest"));
    // Paging by ID.
    let rest = store
        .digest_due(week1, Some((week0, expected[0])), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].user_id, expected[1]);
    assert!(store.digest_due(week0, None, 10).await.unwrap().is_empty());

    // A week is claimed once, whoever asks second.
    assert!(store.claim_digest(u, week1).await.unwrap());
    assert!(!store.claim_digest(u, week1).await.unwrap());
    assert!(
        !store.claim_digest(u, week0).await.unwrap(),
        "never backwards"
    );
    let due = store.digest_due(week1, None, 10).await.unwrap();
    assert_eq!(due.iter().map(|r| r.user_id).collect::<Vec<_>>(), [v]);
    // Released, it is due and claimable again.
    store.release_digest(u, week1, week0).await.unwrap();
    assert_eq!(store.digest_due(week1, None, 10).await.unwrap().len(), 2);
    assert!(store.claim_digest(u, week1).await.unwrap());
    assert!(store.claim_digest(u, week2).await.unwrap());

    assert!(store.unsubscribe_digest(v).await.unwrap());
    assert!(!store.unsubscribe_digest(v).await.unwrap());
    assert!(!store.claim_digest(v, week1).await.unwrap());
    assert_eq!(store.digest_subscription(v).await.unwrap(), None);

    // The week's conversations: [t0, t0 + 7 days).
    let day = 24 * 60;
    let mut busy = conversation(u, "Busy", 0);
    turn(store, &mut busy, true, 10, true).await;
    turn(store, &mut busy, false, 2 * day, true).await;
    let mut quiet = conversation(u, "Quiet", 0);
    turn(store, &mut quiet, true, 3 * day, false).await;
    let mut before = conversation(u, "Before", 0);
    turn(store, &mut before, true, -60, true).await;
    let mut after = conversation(u, "After", 0);
    turn(store, &mut after, true, 8 * day, true).await;
    let mut deleted = conversation(u, "Deleted", 0);
    turn(store, &mut deleted, true, day, true).await;
    store
        .soft_delete_conversation(u, deleted.id, at(day + 5))
        .await
        .unwrap();
    let mut others = conversation(v, "Not mine", 0);
    turn(store, &mut others, true, day, true).await;

    let active = store
        .active_conversations(u, week0, week1, 10)
        .await
        .unwrap();
    assert_eq!(
        active
            .iter()
            .map(|c| (c.title.as_str(), c.messages))
            .collect::<Vec<_>>(),
        [("Busy", 4), ("Quiet", 1)]
    );
    assert_eq!(active[0].id, busy.id);
    let top = store
        .active_conversations(u, week0, week1, 1)
        .await
        .unwrap();
    assert_eq!(top.len(), 1);
    // "Before" had its messages in the previous week, which only the previous week counts.
    let previous = store
        .active_conversations(u, week0 - Duration::days(7), week0, 10)
        .await
        .unwrap();
    assert_eq!(
        previous
            .iter()
            .map(|c| c.title.as_str())
            .collect::<Vec<_>>(),
        ["Before"]
    );
}
