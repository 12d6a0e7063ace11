//! Stories for `SearchStore` and the conversation list's search filter.

use ferrochat_core::{Conversation, JsonText, Message, MessageId, UserId};
use ferrochat_store::{ConversationFilter, MessageHit, Store, TurnStart};
use serde_json::json;

use crate::at;
use crate::chat::{generation, message, user};
use crate::conversations::conversation;

fn terms(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// A message of `c` at `minute` saying `text` (a user's) or with these content parts.
fn said(c: &Conversation, minute: i64, text: &str, parts: Option<serde_json::Value>) -> Message {
    let mut m = message(c, None, parts.is_none(), minute);
    m.text = text.into();
    m.content = parts.map(|p| JsonText::from_value(&p));
    m
}

async fn found(store: &dyn Store, u: UserId, words: &[&str]) -> Vec<MessageId> {
    let hits: Vec<MessageHit> = store
        .search_messages(u, &terms(words), None, 50)
        .await
        .unwrap();
    hits.iter().map(|h| h.message.id).collect()
}

/// What is searched (the user's text, the text parts of answers, not reasoning), how words
/// match (each a prefix, all required, case ignored), and that edits, deletes and chat turns
/// reach the index before the next search.
pub async fn messages(store: &dyn Store) {
    let u = user(store, "search@example.com").await;
    let c = conversation(u, "Database tuning", 10);
    store.create_conversation(&c).await.unwrap();
    let question = said(&c, 1, "How do I tune PostgreSQL autovacuum?", None);
    let answer = said(
        &c,
        2,
        "",
        Some(json!([
            { "type": "think", "think": "the zebra reasoning" },
            { "type": "text", "text": "Lower autovacuum_vacuum_scale_factor on busy tables." },
        ])),
    );
    let nested = said(
        &c,
        3,
        "",
        Some(json!([{ "type": "text", "text": { "value": "Checkpoints write dirty pages." } }])),
    );
    for m in [&question, &answer, &nested] {
        store.create_message(m).await.unwrap();
    }
    // Newest first; a prefix of a word matches, in text and in content parts alike.
    assert_eq!(
        found(store, u, &["autovac"]).await,
        [answer.id, question.id]
    );
    assert_eq!(
        found(store, u, &["postgresql", "tune"]).await,
        [question.id]
    );
    assert_eq!(found(store, u, &["checkpoints"]).await, [nested.id]);
    assert!(found(store, u, &["zebra"]).await.is_empty(), "reasoning");
    assert!(
        found(store, u, &["tune", "checkpoints"]).await.is_empty(),
        "all words"
    );
    assert!(
        found(store, u, &["gresql"]).await.is_empty(),
        "prefixes, not infixes"
    );
    assert!(found(store, u, &[]).await.is_empty());
    let hit = &store
        .search_messages(u, &terms(&["dirty"]), None, 5)
        .await
        .unwrap()[0];
    assert_eq!(hit.message, nested);
    assert_eq!(hit.conversation_title, "Database tuning");
    assert_eq!(hit.conversation_model.as_deref(), Some("gpt-4o"));
    assert_eq!(hit.conversation_endpoint.as_deref(), Some("openAI"));

    // An edit replaces what is found; a delete removes it.
    store
        .update_message(
            u,
            c.id,
            question.id,
            "How do I size shared_buffers?",
            None,
            None,
            at(4),
        )
        .await
        .unwrap();
    assert_eq!(found(store, u, &["autovac"]).await, [answer.id]);
    assert_eq!(found(store, u, &["shared", "buffers"]).await, [question.id]);
    store.delete_messages(u, c.id, &[nested.id]).await.unwrap();
    assert!(found(store, u, &["checkpoints"]).await.is_empty());

    // A chat turn's messages, written on the engine's own turn path.
    let mut chat = conversation(u, "New Chat", 20);
    chat.id = ferrochat_core::ConversationId::new();
    let q = said(&chat, 21, "Explain the borrow checker", None);
    store
        .start_turn(TurnStart {
            conversation: &chat,
            is_new: true,
            user_message: Some(&q),
        })
        .await
        .unwrap();
    let mut a = said(
        &chat,
        22,
        "",
        Some(json!([{ "type": "text", "text": "Ownership and borrowing rules." }])),
    );
    a.parent_id = Some(q.id);
    store
        .finish_turn(&a, &generation(&a, 0), false, at(22))
        .await
        .unwrap();
    assert_eq!(found(store, u, &["borrow"]).await, [a.id, q.id]);
}

/// Hits are the owner's, from live conversations only (archived ones count, deleted and
/// temporary ones do not), and page by a keyset cursor without gaps or repeats.
pub async fn scope_and_pages(store: &dyn Store) {
    let u = user(store, "pages@example.com").await;
    let other = user(store, "nosy@example.com").await;
    let c = conversation(u, "Notes", 10);
    store.create_conversation(&c).await.unwrap();
    let mut ids = Vec::new();
    for minute in 1..=5 {
        let m = said(&c, minute, &format!("kiwi number {minute}"), None);
        store.create_message(&m).await.unwrap();
        ids.push(m.id);
    }
    ids.reverse();
    let theirs = conversation(other, "Theirs", 10);
    store.create_conversation(&theirs).await.unwrap();
    store
        .create_message(&said(&theirs, 1, "kiwi too", None))
        .await
        .unwrap();

    let kiwi = terms(&["kiwi"]);
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.search_messages(u, &kiwi, after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|h| (h.message.created_at, h.message.id));
        seen.extend(page.iter().map(|h| h.message.id));
    }
    assert_eq!(seen, ids, "newest first, every hit once");
    assert_eq!(
        found(store, other, &["kiwi"]).await.len(),
        1,
        "own hits only"
    );

    store
        .update_conversation(
            u,
            c.id,
            ferrochat_store::ConversationChange {
                is_archived: Some(true),
                ..Default::default()
            },
            at(11),
        )
        .await
        .unwrap();
    assert_eq!(
        found(store, u, &["kiwi"]).await.len(),
        5,
        "archived are found"
    );
    store
        .soft_delete_conversation(u, c.id, at(12))
        .await
        .unwrap();
    assert!(
        found(store, u, &["kiwi"]).await.is_empty(),
        "deleted are not"
    );
    store.restore_conversation(u, c.id).await.unwrap();
    assert_eq!(found(store, u, &["kiwi"]).await.len(), 5);

    let mut temporary = conversation(u, "Temporary", 13);
    temporary.id = ferrochat_core::ConversationId::new();
    temporary.expired_at = Some(at(60 * 24 * 30));
    store.create_conversation(&temporary).await.unwrap();
    store
        .create_message(&said(&temporary, 13, "kiwi in a temporary chat", None))
        .await
        .unwrap();
    assert_eq!(
        found(store, u, &["kiwi"]).await.len(),
        5,
        "temporary are not"
    );

    // Purged with the user: nothing of theirs is left to find, and nothing breaks.
    store.delete_user(other).await.unwrap();
    assert!(found(store, other, &["kiwi"]).await.is_empty());
}

/// The conversation list's search: by every word of the title (anywhere in it), or by a
/// matching message; an empty word list finds nothing.
pub async fn conversation_filter(store: &dyn Store) {
    let u = user(store, "filter@example.com").await;
    let by_title = conversation(u, "Kubernetes networking", 3);
    let by_message = conversation(u, "Untitled", 2);
    let neither = conversation(u, "Cooking", 1);
    for c in [&by_title, &by_message, &neither] {
        store.create_conversation(c).await.unwrap();
    }
    store
        .create_message(&said(
            &by_message,
            1,
            "Why is my Kubernetes pod pending?",
            None,
        ))
        .await
        .unwrap();
    let list = |words: Vec<String>| async move {
        let filter = ConversationFilter {
            search: Some(&words),
            ..ConversationFilter::default()
        };
        store
            .list_conversations(u, &filter, None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.title)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list(terms(&["kubernetes"])).await,
        ["Kubernetes networking", "Untitled"]
    );
    assert_eq!(
        list(terms(&["netw", "kube"])).await,
        ["Kubernetes networking"]
    );
    assert_eq!(
        list(terms(&["working"])).await,
        ["Kubernetes networking"],
        "title infix"
    );
    assert_eq!(list(terms(&["pending"])).await, ["Untitled"]);
    assert!(list(terms(&["sushi"])).await.is_empty());
    assert!(list(Vec::new()).await.is_empty());
}
