//! Stories for `ConversationStore`.

use ferrochat_core::{Conversation, ConversationId, Message, MessageId, UserId};
use ferrochat_store::{ConversationChange, ConversationFilter, Store, StoreError};
use serde_json::json;

use crate::users::new_user;
use crate::{at, t0};

/// A conversation of `user` last changed at minute `updated`.
pub fn conversation(user: UserId, title: &str, updated: i64) -> Conversation {
    Conversation {
        id: ConversationId(uuid_v4()),
        user_id: user,
        title: title.into(),
        endpoint: Some("openAI".into()),
        endpoint_type: None,
        model: Some("gpt-4o".into()),
        is_archived: false,
        settings: json!({ "temperature": 0.7, "promptPrefix": "be brief" }).into(),
        folder_id: None,
        tags: Vec::new(),
        created_at: t0(),
        updated_at: at(updated),
        expired_at: None,
    }
}

/// The main list's filter.
pub fn live() -> ConversationFilter<'static> {
    ConversationFilter::default()
}

/// The archive's filter.
pub fn archive() -> ConversationFilter<'static> {
    ConversationFilter {
        archived: true,
        ..ConversationFilter::default()
    }
}

pub(crate) fn uuid_v4() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

/// Keyset pages are stable and complete, archived ones are separate, owners are enforced.
pub async fn listing(store: &dyn Store) {
    let u = store
        .create_user(new_user("c@example.com", None), t0())
        .await
        .unwrap();
    let other = store
        .create_user(new_user("o@example.com", None), t0())
        .await
        .unwrap();
    let mut made = Vec::new();
    for i in 0..5 {
        let c = conversation(u.id, &format!("c{i}"), i);
        store.create_conversation(&c).await.unwrap();
        made.push(c);
    }
    // Two with the same updated_at: the id breaks the tie, nothing is skipped.
    let twin = conversation(u.id, "twin", 2);
    store.create_conversation(&twin).await.unwrap();
    store
        .create_conversation(&conversation(other.id, "foreign", 9))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_conversations(u.id, &live(), after, 2)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| (c.updated_at, c.id));
        seen.extend(page);
    }
    let titles: Vec<&str> = seen.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles.len(), 6, "{titles:?}");
    assert_eq!(&titles[..2], ["c4", "c3"]);
    assert!(titles[2..4].contains(&"twin") && titles[2..4].contains(&"c2"));
    assert_eq!(&titles[4..], ["c1", "c0"]);
    assert_eq!(seen[0], made[4], "every field round-trips");

    let archived = store
        .update_conversation(
            u.id,
            made[0].id,
            ConversationChange {
                is_archived: Some(true),
                ..Default::default()
            },
            at(20),
        )
        .await
        .unwrap();
    assert!(archived.is_archived);
    assert_eq!(archived.title, "c0");
    let live = store
        .list_conversations(u.id, &live(), None, 10)
        .await
        .unwrap();
    assert!(live.iter().all(|c| c.id != made[0].id));
    let arch = store
        .list_conversations(u.id, &archive(), None, 10)
        .await
        .unwrap();
    assert_eq!(arch.len(), 1);
    let renamed = store
        .update_conversation(
            u.id,
            made[1].id,
            ConversationChange {
                title: Some("renamed"),
                settings: Some(&json!({ "pinned": true }).into()),
                ..Default::default()
            },
            at(21),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            renamed.title.as_str(),
            renamed.is_archived,
            renamed.updated_at
        ),
        ("renamed", false, at(21))
    );
    assert_eq!(renamed.settings.to_value(), json!({ "pinned": true }));

    // Another user's ID behaves like a missing one.
    assert!(matches!(
        store.conversation(other.id, made[1].id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_conversation(
                other.id,
                made[1].id,
                ConversationChange {
                    title: Some("x"),
                    ..Default::default()
                },
                at(22),
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        !store
            .soft_delete_conversation(other.id, made[1].id, at(22))
            .await
            .unwrap()
    );
}

/// Soft delete hides, restore brings back, purge removes with messages.
pub async fn soft_delete_and_messages(store: &dyn Store) {
    let u = store
        .create_user(new_user("m@example.com", None), t0())
        .await
        .unwrap();
    let c = conversation(u.id, "tree", 1);
    store.create_conversation(&c).await.unwrap();
    let msg = |id: MessageId, parent: Option<MessageId>, by_user: bool, minute: i64| Message {
        id,
        conversation_id: c.id,
        user_id: u.id,
        parent_id: parent,
        sender: if by_user {
            "User".into()
        } else {
            "GPT-4o".into()
        },
        text: format!("m{minute}"),
        content: (!by_user)
            .then(|| json!([{ "type": "text", "text": format!("m{minute}") }]).into()),
        is_created_by_user: by_user,
        error: false,
        unfinished: false,
        model: Some("gpt-4o".into()),
        endpoint: Some("openAI".into()),
        token_count: Some(3),
        feedback: None,
        files: None,
        created_at: at(minute),
        updated_at: at(minute),
    };
    let (root, answer, branch) = (
        MessageId(uuid_v4()),
        MessageId(uuid_v4()),
        MessageId(uuid_v4()),
    );
    // Inserted out of order: the tree comes back parents first.
    store
        .create_message(&msg(branch, Some(root), false, 3))
        .await
        .unwrap();
    store
        .create_message(&msg(root, None, true, 1))
        .await
        .unwrap();
    store
        .create_message(&msg(answer, Some(root), false, 2))
        .await
        .unwrap();
    let tree = store.messages(u.id, c.id).await.unwrap();
    let ids: Vec<_> = tree.iter().map(|m| m.id).collect();
    assert_eq!(ids, [root, answer, branch]);
    assert_eq!(
        tree[1].content.as_ref().map(|c| c.to_value()),
        Some(json!([{ "type": "text", "text": "m2" }]))
    );
    assert_eq!(tree[0].parent_id, None);
    let other = store
        .create_user(new_user("x@example.com", None), t0())
        .await
        .unwrap();
    assert!(store.messages(other.id, c.id).await.unwrap().is_empty());

    let edited = store
        .update_message(
            u.id,
            c.id,
            answer,
            "edited",
            Some(&json!([{ "type": "text", "text": "edited" }])),
            Some(1),
            at(4),
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.text.as_str(), edited.token_count, edited.updated_at),
        ("edited", Some(1), at(4))
    );
    let rated = store
        .set_message_feedback(
            u.id,
            c.id,
            answer,
            Some(&json!({ "rating": "thumbsUp", "tag": "accurate_reliable" })),
            at(4),
        )
        .await
        .unwrap();
    assert_eq!(
        rated.feedback.as_ref().map(|f| f.to_value()),
        Some(json!({ "rating": "thumbsUp", "tag": "accurate_reliable" }))
    );
    assert_eq!(store.message(u.id, c.id, answer).await.unwrap(), rated);
    assert!(matches!(
        store.message(other.id, c.id, answer).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .set_message_feedback(other.id, c.id, answer, None, at(4))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .delete_messages(other.id, c.id, &[branch])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.delete_messages(u.id, c.id, &[branch]).await.unwrap(),
        1
    );
    assert_eq!(store.messages(u.id, c.id).await.unwrap().len(), 2);

    assert!(
        store
            .soft_delete_conversation(u.id, c.id, at(5))
            .await
            .unwrap()
    );
    assert!(matches!(
        store.conversation(u.id, c.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .list_conversations(u.id, &live(), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.restore_conversation(u.id, c.id).await.unwrap());
    assert_eq!(store.conversation(u.id, c.id).await.unwrap().title, "tree");
    assert!(!store.restore_conversation(u.id, c.id).await.unwrap());

    assert_eq!(
        store
            .soft_delete_all_conversations(u.id, at(6))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.purge_deleted_conversations(at(6)).await.unwrap(),
        0,
        "not yet past retention"
    );
    assert_eq!(store.purge_deleted_conversations(at(7)).await.unwrap(), 1);
    assert!(!store.restore_conversation(u.id, c.id).await.unwrap());
    assert!(
        store.messages(u.id, c.id).await.unwrap().is_empty(),
        "messages went with it"
    );
}

/// A temporary conversation (an expiry set) is readable by ID but out of the list, and the
/// purge removes it, with its messages, once the expiry has passed (not before).
pub async fn temporary_expire(store: &dyn Store) {
    let u = store
        .create_user(new_user("temp@example.com", None), t0())
        .await
        .unwrap();
    let kept = conversation(u.id, "kept", 1);
    store.create_conversation(&kept).await.unwrap();
    let temp = Conversation {
        expired_at: Some(at(10)),
        ..conversation(u.id, "temporary", 2)
    };
    store.create_conversation(&temp).await.unwrap();
    let answer = crate::chat::message(&temp, None, true, 2);
    store.create_message(&answer).await.unwrap();

    let read = store.conversation(u.id, temp.id).await.unwrap();
    assert_eq!(read.expired_at, Some(at(10)));
    assert_eq!(
        store.conversation(u.id, kept.id).await.unwrap().expired_at,
        None
    );
    let listed: Vec<_> = store
        .list_conversations(u.id, &live(), None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, [kept.id], "temporary chats stay out of the list");

    assert_eq!(store.purge_expired_conversations(at(10)).await.unwrap(), 0);
    assert_eq!(store.purge_expired_conversations(at(11)).await.unwrap(), 1);
    assert!(matches!(
        store.conversation(u.id, temp.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.messages(u.id, temp.id).await.unwrap().is_empty());
    assert_eq!(
        store.conversation(u.id, kept.id).await.unwrap().title,
        "kept"
    );
}
