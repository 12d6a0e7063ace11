//! Stories for `ChatStore`, `UserKeyStore` and `BalanceStore`.

use ferrochat_core::{Generation, JsonText, Message, MessageId, Outcome, UserId};
use ferrochat_store::{Store, StoreError, StoredKey, TurnStart};

use crate::conversations::conversation;
use crate::users::new_user;
use crate::{at, t0};

/// A new account's ID.
pub async fn user(store: &dyn Store, email: &str) -> UserId {
    store
        .create_user(new_user(email, None), t0())
        .await
        .unwrap()
        .id
}

/// A message of conversation `c` at `minute`: a question from the user, else an answer.
pub fn message(
    c: &ferrochat_core::Conversation,
    parent: Option<MessageId>,
    by_user: bool,
    minute: i64,
) -> Message {
    Message {
        id: MessageId::new(),
        conversation_id: c.id,
        user_id: c.user_id,
        parent_id: parent,
        sender: if by_user { "User".into() } else { "GPT".into() },
        text: if by_user {
            "question".into()
        } else {
            String::new()
        },
        content: (!by_user).then(|| {
            JsonText::from_value(&serde_json::json!([{"type": "text", "text": "answer"}]))
        }),
        is_created_by_user: by_user,
        error: false,
        unfinished: false,
        model: None,
        endpoint: None,
        token_count: Some(3),
        feedback: None,
        // Questions carry an attachment, so every write and read path keeps `files`.
        files: by_user.then(|| {
            JsonText::from_value(&serde_json::json!([{"file_id": "f1", "type": "image/png"}]))
        }),
        created_at: at(minute),
        updated_at: at(minute),
    }
}

/// The record of answer `m` (an aborted one, with usage) costing `cost` credits.
pub fn generation(m: &Message, cost: i64) -> Generation {
    Generation {
        message_id: m.id,
        conversation_id: m.conversation_id,
        user_id: m.user_id,
        endpoint: "openAI".into(),
        model: "gpt-4o".into(),
        outcome: Outcome::Aborted,
        error_code: None,
        finish_reason: Some("stop".into()),
        prompt_tokens: 11,
        completion_tokens: 2,
        usage_reported: true,
        ttft_ms: Some(5),
        duration_ms: 40,
        token_cost: cost,
        created_at: m.created_at,
    }
}

/// A turn: the conversation and the user's message together, the answer and its record
/// together (with the balance debit), the generated title only over the default, and another
/// user's conversation untouchable.
pub async fn turns(store: &dyn Store) {
    let u = user(store, "chat@example.com").await;
    let other = user(store, "other@example.com").await;
    let mut c = conversation(u, "New Chat", 1);
    let q = message(&c, None, true, 1);
    let stored = store
        .start_turn(TurnStart {
            conversation: &c,
            is_new: true,
            user_message: Some(&q),
        })
        .await
        .unwrap();
    assert_eq!(stored.id, c.id);
    store.create_balance(u, 100, t0()).await.unwrap();
    let a = message(&c, Some(q.id), false, 2);
    store
        .finish_turn(&a, &generation(&a, 30), true, at(2))
        .await
        .unwrap();
    assert_eq!(
        store.generation(u, a.id).await.unwrap(),
        Some(generation(&a, 30))
    );
    assert_eq!(store.generation(other, a.id).await.unwrap(), None);
    assert_eq!(store.balance(u).await.unwrap().unwrap().token_credits, 70);
    let tree = store.messages(u, c.id).await.unwrap();
    assert_eq!(tree.iter().map(|m| m.id).collect::<Vec<_>>(), [q.id, a.id]);
    assert_eq!(store.conversation(u, c.id).await.unwrap().updated_at, at(2));

    // The next turn on the existing conversation updates its route and settings.
    c.model = Some("gpt-4o-mini".into());
    c.settings = JsonText::from_value(&serde_json::json!({"temperature": 0.5}));
    c.updated_at = at(3);
    let q2 = message(&c, Some(a.id), true, 3);
    let stored = store
        .start_turn(TurnStart {
            conversation: &c,
            is_new: false,
            user_message: Some(&q2),
        })
        .await
        .unwrap();
    assert_eq!(stored.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(stored.settings.to_value()["temperature"], 0.5);
    // Another user's ID for the same conversation: not found, and no message stored.
    let mut theirs = c.clone();
    theirs.user_id = other;
    let q3 = Message {
        user_id: other,
        ..message(&c, None, true, 4)
    };
    assert!(matches!(
        store
            .start_turn(TurnStart {
                conversation: &theirs,
                is_new: false,
                user_message: Some(&q3)
            })
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.messages(u, c.id).await.unwrap().len(), 3);

    assert!(
        store
            .set_generated_title(u, c.id, "Greetings")
            .await
            .unwrap()
    );
    assert!(
        !store.set_generated_title(u, c.id, "Again").await.unwrap(),
        "only over New Chat"
    );
    assert!(
        !store
            .set_generated_title(other, c.id, "Theirs")
            .await
            .unwrap()
    );
    assert_eq!(
        store.conversation(u, c.id).await.unwrap().title,
        "Greetings"
    );
}

/// Keys: one per user and endpoint, replaced in place, deleted one by one or all at once.
pub async fn keys_and_balances(store: &dyn Store) {
    let u = user(store, "keys@example.com").await;
    let other = user(store, "other@example.com").await;
    let key = |c: &str, e| StoredKey {
        ciphertext: c.into(),
        expires_at: e,
    };
    store
        .put_user_key(u, "openAI", &key("v1:aa", None), t0())
        .await
        .unwrap();
    store
        .put_user_key(u, "openAI", &key("v1:bb", Some(at(60))), at(1))
        .await
        .unwrap();
    store
        .put_user_key(u, "Mine", &key("v1:cc", None), t0())
        .await
        .unwrap();
    assert_eq!(
        store.user_key(u, "openAI").await.unwrap(),
        Some(key("v1:bb", Some(at(60))))
    );
    assert_eq!(store.user_key(other, "openAI").await.unwrap(), None);
    assert!(store.delete_user_key(u, "openAI").await.unwrap());
    assert!(!store.delete_user_key(u, "openAI").await.unwrap());
    assert_eq!(store.delete_user_keys(u).await.unwrap(), 1);

    // Balances: created once, refilled only when due (and once for two racers), adjusted.
    store.create_balance(u, 500, t0()).await.unwrap();
    store.create_balance(u, 999, at(1)).await.unwrap();
    assert_eq!(store.balance(u).await.unwrap().unwrap().token_credits, 500);
    assert!(
        !store.refill_balance(u, 100, at(-1), at(10)).await.unwrap(),
        "not due yet"
    );
    assert!(store.refill_balance(u, 100, at(0), at(10)).await.unwrap());
    assert!(
        !store.refill_balance(u, 100, at(0), at(10)).await.unwrap(),
        "a racer refills once"
    );
    let b = store.balance(u).await.unwrap().unwrap();
    assert_eq!((b.token_credits, b.last_refill), (600, at(10)));
    assert!(store.adjust_balance(u, -650, at(11)).await.unwrap());
    assert_eq!(store.balance(u).await.unwrap().unwrap().token_credits, -50);
    assert!(!store.adjust_balance(other, 5, at(11)).await.unwrap());
    assert_eq!(store.balance(other).await.unwrap(), None);
}

/// Personal API keys: found by token hash only, listed per owner, deleted by the owner only.
pub async fn api_keys(store: &dyn Store) {
    use ferrochat_core::{ApiKey, ApiKeyId, Scope};
    let u = user(store, "keys@example.com").await;
    let other = user(store, "other@example.com").await;
    let key = |name: &str, minute| ApiKey {
        id: ApiKeyId::new(),
        user_id: u,
        name: name.into(),
        prefix: "fck_abcd1234".into(),
        scopes: vec![Scope::Read, Scope::Chat],
        expires_at: Some(at(600)),
        created_at: at(minute),
    };
    let (a, b) = (key("a", 1), key("b", 2));
    store.create_api_key(&a, "hash-a").await.unwrap();
    store.create_api_key(&b, "hash-b").await.unwrap();
    assert!(
        store
            .create_api_key(&key("dup", 3), "hash-a")
            .await
            .is_err(),
        "hashes are unique"
    );
    assert_eq!(store.api_keys(u).await.unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(
        store.api_key_by_hash("hash-b").await.unwrap(),
        Some(b.clone())
    );
    assert_eq!(store.api_key_by_hash("nope").await.unwrap(), None);
    assert!(!store.delete_api_key(other, a.id).await.unwrap());
    assert!(store.delete_api_key(u, a.id).await.unwrap());
    assert_eq!(store.api_key_by_hash("hash-a").await.unwrap(), None);
    assert!(store.api_keys(other).await.unwrap().is_empty());
}
