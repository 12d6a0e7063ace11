//! Stories for `UsageStore`.

use ferrochat_core::{Outcome, UserId};
use ferrochat_store::{Store, TurnStart, UsageGroup, UsageQuery, UsageRow};

use crate::chat::{generation, message, user};
use crate::conversations::conversation;
use crate::{at, t0};

/// Stores one answered turn of `u` at `minute` with the given record fields.
async fn answered(
    store: &dyn Store,
    u: UserId,
    minute: i64,
    model: &str,
    outcome: Outcome,
    tokens: (i64, i64),
    ttft: Option<i64>,
) {
    let c = conversation(u, "Usage", minute);
    let q = message(&c, None, true, minute);
    store
        .start_turn(TurnStart {
            conversation: &c,
            is_new: true,
            user_message: Some(&q),
        })
        .await
        .unwrap();
    let a = message(&c, Some(q.id), false, minute);
    let mut g = generation(&a, 7);
    g.model = model.into();
    g.outcome = outcome;
    g.prompt_tokens = tokens.0;
    g.completion_tokens = tokens.1;
    g.ttft_ms = ttft;
    g.duration_ms = 100;
    store.finish_turn(&a, &g, false, at(minute)).await.unwrap();
}

fn query(user: Option<UserId>, group: Option<UsageGroup>) -> UsageQuery {
    UsageQuery {
        user,
        from: t0(),
        to: at(3 * 24 * 60),
        group,
    }
}

fn keys(rows: &[UsageRow]) -> Vec<(&str, i64)> {
    rows.iter().map(|r| (r.key.as_str(), r.answers)).collect()
}

/// Totals, per model, per day and per user; outcomes counted apart; the period's bounds.
pub async fn sums(store: &dyn Store) {
    let u = user(store, "usage@example.com").await;
    let v = user(store, "usage-other@example.com").await;
    answered(
        store,
        u,
        10,
        "gpt-4o",
        Outcome::Completed,
        (100, 20),
        Some(300),
    )
    .await;
    answered(store, u, 20, "gpt-4o", Outcome::Aborted, (50, 5), Some(100)).await;
    answered(
        store,
        u,
        24 * 60 + 5,
        "claude",
        Outcome::Error,
        (10, 0),
        None,
    )
    .await;
    answered(store, v, 30, "gpt-4o", Outcome::Completed, (1, 1), Some(50)).await;
    // Outside the period.
    answered(
        store,
        u,
        4 * 24 * 60,
        "gpt-4o",
        Outcome::Completed,
        (1000, 1000),
        Some(1),
    )
    .await;

    let totals = store.usage(&query(Some(u), None)).await.unwrap();
    assert_eq!(totals.len(), 1);
    let t = &totals[0];
    assert_eq!((t.answers, t.completed, t.aborted, t.errors), (3, 1, 1, 1));
    assert_eq!(
        (t.prompt_tokens, t.completion_tokens, t.token_cost),
        (160, 25, 21)
    );
    assert_eq!(
        t.avg_ttft_ms,
        Some(200.0),
        "answers without a first token are left out"
    );
    assert_eq!(t.avg_duration_ms, Some(100.0));
    assert_eq!(t.users, 1);

    let by_model = store
        .usage(&query(Some(u), Some(UsageGroup::Model)))
        .await
        .unwrap();
    assert_eq!(keys(&by_model), [("claude", 1), ("gpt-4o", 2)]);
    let by_day = store
        .usage(&query(Some(u), Some(UsageGroup::Day)))
        .await
        .unwrap();
    let day0 = (t0().timestamp_millis() / 86_400_000).to_string();
    let day1 = ((t0().timestamp_millis() + 86_400_000 + 5 * 60_000) / 86_400_000).to_string();
    assert_eq!(by_day.iter().map(|r| r.answers).sum::<i64>(), 3);
    assert!(
        by_day.iter().all(|r| r.key == day0 || r.key == day1),
        "{by_day:?}"
    );

    let everyone = store.usage(&query(None, None)).await.unwrap();
    assert_eq!((everyone[0].answers, everyone[0].users), (4, 2));
    let by_user = store
        .usage(&query(None, Some(UsageGroup::User)))
        .await
        .unwrap();
    let mut expected = vec![(u.to_string(), 3), (v.to_string(), 1)];
    expected.sort();
    assert_eq!(
        by_user
            .iter()
            .map(|r| (r.key.clone(), r.answers))
            .collect::<Vec<_>>(),
        expected
    );
    let by_endpoint = store
        .usage(&query(None, Some(UsageGroup::Endpoint)))
        .await
        .unwrap();
    assert_eq!(keys(&by_endpoint), [("openAI", 4)]);

    // Nothing in the period: totals of zero, no groups.
    let empty = UsageQuery {
        from: at(-100),
        to: at(-50),
        ..query(Some(u), None)
    };
    let none = store.usage(&empty).await.unwrap();
    assert_eq!(
        (none[0].answers, none[0].prompt_tokens, none[0].avg_ttft_ms),
        (0, 0, None)
    );
    let grouped = UsageQuery {
        group: Some(UsageGroup::Model),
        ..empty
    };
    assert!(store.usage(&grouped).await.unwrap().is_empty());
}
