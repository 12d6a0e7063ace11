//! Stories for `TagStore`, `FolderStore`, `PresetStore` and the conversation filters and
//! copies they rely on.

use ferrochat_core::{Conversation, Folder, FolderId, Message, MessageId, Preset, UserId};
use ferrochat_store::{ConversationFilter, Store, StoreError, TagChange};
use serde_json::json;

use crate::conversations::{conversation, live};
use crate::users::new_user;
use crate::{at, t0};

async fn user(store: &dyn Store, email: &str) -> UserId {
    store
        .create_user(new_user(email, None), t0())
        .await
        .unwrap()
        .id
}

async fn convo(store: &dyn Store, user: UserId, title: &str, minute: i64) -> Conversation {
    let c = conversation(user, title, minute);
    store.create_conversation(&c).await.unwrap();
    c
}

fn names(tags: &[ferrochat_core::Tag]) -> Vec<(&str, i64, u64)> {
    tags.iter()
        .map(|t| (t.name.as_str(), t.position, t.count))
        .collect()
}

/// Bookmarks: menu order stays dense through create, move and delete; counts follow the
/// links and ignore soft-deleted conversations; the tag filter matches any named tag; another
/// user sees and touches nothing.
pub async fn tags(store: &dyn Store) {
    let u = user(store, "t@example.com").await;
    let other = user(store, "o@example.com").await;
    for name in ["Saved", "work", "later"] {
        store.create_tag(u, name, None, t0()).await.unwrap();
    }
    assert!(matches!(
        store.create_tag(u, "work", None, t0()).await,
        Err(StoreError::Conflict { .. })
    ));
    // Another user may use the same name.
    store.create_tag(other, "work", None, t0()).await.unwrap();
    assert_eq!(
        names(&store.tags(u).await.unwrap()),
        [("Saved", 0, 0), ("work", 1, 0), ("later", 2, 0)]
    );

    let a = convo(store, u, "a", 1).await;
    let b = convo(store, u, "b", 2).await;
    let c = convo(store, u, "c", 3).await;
    let set = store
        .set_conversation_tags(
            u,
            a.id,
            &["later".into(), "work".into(), "new".into()],
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(
        set,
        ["work", "later", "new"],
        "menu order, new one created at the end"
    );
    store
        .set_conversation_tags(u, b.id, &["work".into()], at(5))
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_conversation_tags(other, c.id, &["work".into()], at(5))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        names(&store.tags(u).await.unwrap()),
        [
            ("Saved", 0, 0),
            ("work", 1, 2),
            ("later", 2, 1),
            ("new", 3, 1)
        ]
    );
    assert_eq!(names(&store.tags(other).await.unwrap()), [("work", 0, 0)]);

    let filter = |tags: &'static [&'static str]| async move {
        let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
        let f = ConversationFilter {
            tags: &tags,
            ..ConversationFilter::default()
        };
        let rows = store.list_conversations(u, &f, None, 10).await.unwrap();
        rows.into_iter().map(|c| c.title).collect::<Vec<_>>()
    };
    assert_eq!(filter(&["work"]).await, ["b", "a"]);
    assert_eq!(filter(&["new", "Saved"]).await, ["a"]);
    assert!(filter(&["nothing"]).await.is_empty());
    let foreign: Vec<String> = vec!["work".into()];
    let f = ConversationFilter {
        tags: &foreign,
        ..ConversationFilter::default()
    };
    assert!(
        store
            .list_conversations(other, &f, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Move "new" to the top: the others shift down by one.
    let moved = store
        .update_tag(
            u,
            "new",
            TagChange {
                position: Some(0),
                description: Some(Some("fresh")),
                ..TagChange::default()
            },
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.position, moved.description.as_deref()),
        (0, Some("fresh"))
    );
    assert_eq!(
        names(&store.tags(u).await.unwrap()),
        [
            ("new", 0, 1),
            ("Saved", 1, 0),
            ("work", 2, 2),
            ("later", 3, 1)
        ]
    );
    // Rename: conversations keep the tag under its new name; renaming onto a taken name fails.
    store
        .update_tag(
            u,
            "work",
            TagChange {
                name: Some("job"),
                position: Some(99),
                ..TagChange::default()
            },
            at(7),
        )
        .await
        .unwrap();
    assert_eq!(store.conversation_tags(u, b.id).await.unwrap(), ["job"]);
    assert_eq!(
        names(&store.tags(u).await.unwrap()),
        [
            ("new", 0, 1),
            ("Saved", 1, 0),
            ("later", 2, 1),
            ("job", 3, 2)
        ]
    );
    assert!(matches!(
        store
            .update_tag(
                u,
                "job",
                TagChange {
                    name: Some("later"),
                    ..TagChange::default()
                },
                at(8)
            )
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store
            .update_tag(other, "job", TagChange::default(), at(8))
            .await,
        Err(StoreError::NotFound)
    ));

    // A soft-deleted conversation no longer counts; deleting a tag closes the gap.
    store
        .soft_delete_conversation(u, b.id, at(9))
        .await
        .unwrap();
    let deleted = store.delete_tag(u, "Saved").await.unwrap();
    assert_eq!(deleted.position, 1);
    assert_eq!(
        names(&store.tags(u).await.unwrap()),
        [("new", 0, 1), ("later", 1, 1), ("job", 2, 1)]
    );
    store.delete_tag(u, "job").await.unwrap();
    assert_eq!(
        store.conversation_tags(u, a.id).await.unwrap(),
        ["new", "later"]
    );
    assert!(matches!(
        store.delete_tag(other, "new").await,
        Err(StoreError::NotFound)
    ));
}

/// Folders: unique names per user, counts of live conversations, moving in and out, listing
/// one folder with the keyset cursor, deleting a folder keeps its conversations.
pub async fn folders(store: &dyn Store) {
    let u = user(store, "f@example.com").await;
    let other = user(store, "o@example.com").await;
    let folder = |owner, name: &str| Folder {
        id: FolderId::new(),
        user_id: owner,
        name: name.into(),
        count: 0,
        created_at: t0(),
        updated_at: t0(),
    };
    let work = folder(u, "Work");
    let home = folder(u, "Home");
    store.create_folder(&work).await.unwrap();
    store.create_folder(&home).await.unwrap();
    assert!(matches!(
        store.create_folder(&folder(u, "Work")).await,
        Err(StoreError::Conflict { .. })
    ));
    store.create_folder(&folder(other, "Work")).await.unwrap();

    let mut in_work = Vec::new();
    for i in 0..5 {
        let c = convo(store, u, &format!("w{i}"), i).await;
        let moved = store
            .move_conversation(u, c.id, Some(work.id))
            .await
            .unwrap();
        assert_eq!(moved.folder_id, Some(work.id));
        assert_eq!(
            moved.updated_at, c.updated_at,
            "filing does not reorder the list"
        );
        in_work.push(c);
    }
    let loose = convo(store, u, "loose", 10).await;
    assert!(matches!(
        store
            .move_conversation(other, loose.id, Some(work.id))
            .await,
        Err(StoreError::NotFound)
    ));
    // Into someone else's folder: refused, nothing changes.
    let foreign = store.folders(other).await.unwrap()[0].id;
    assert!(matches!(
        store.move_conversation(u, loose.id, Some(foreign)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.conversation(u, loose.id).await.unwrap().folder_id,
        None
    );

    let listed: Vec<(String, u64)> = store
        .folders(u)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.count))
        .collect();
    assert_eq!(listed, [("Home".to_owned(), 0), ("Work".to_owned(), 5)]);

    // Page through the folder two at a time.
    let f = ConversationFilter {
        folder: Some(work.id),
        ..ConversationFilter::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_conversations(u, &f, after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| (c.updated_at, c.id));
        seen.extend(page.into_iter().map(|c| c.title));
    }
    assert_eq!(seen, ["w4", "w3", "w2", "w1", "w0"]);

    store
        .move_conversation(u, in_work[0].id, None)
        .await
        .unwrap();
    assert_eq!(store.folder(u, work.id).await.unwrap().count, 4);
    let renamed = store.rename_folder(u, work.id, "Job", at(1)).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.count), ("Job", 4));
    assert!(matches!(
        store.rename_folder(u, work.id, "Home", at(1)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.folder(other, work.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(!store.delete_folder(other, work.id).await.unwrap());
    assert!(store.delete_folder(u, work.id).await.unwrap());
    let all = store
        .list_conversations(u, &live(), None, 50)
        .await
        .unwrap();
    assert_eq!(all.len(), 6, "conversations outlive their folder");
    assert!(all.iter().all(|c| c.folder_id.is_none()));
}

/// Presets: one default per user, order then recency, replace keeps the creation time, IDs
/// are per user.
pub async fn presets(store: &dyn Store) {
    let u = user(store, "p@example.com").await;
    let other = user(store, "o@example.com").await;
    let preset = |owner, id: &str, minute: i64| Preset {
        id: id.into(),
        user_id: owner,
        title: Some(id.to_uppercase()),
        is_default: false,
        position: None,
        settings: json!({ "endpoint": "openAI", "model": "gpt-4o", "temperature": 0.3 }),
        created_at: at(minute),
        updated_at: at(minute),
    };
    store.save_preset(&preset(u, "a", 1)).await.unwrap();
    store.save_preset(&preset(u, "b", 2)).await.unwrap();
    store
        .save_preset(&Preset {
            position: Some(3),
            ..preset(u, "c", 3)
        })
        .await
        .unwrap();
    // Same ID, other user: a separate preset.
    store.save_preset(&preset(other, "a", 1)).await.unwrap();
    let ids = |list: Vec<Preset>| list.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(store.presets(u).await.unwrap()), ["c", "b", "a"]);

    let default_a = Preset {
        is_default: true,
        position: Some(0),
        ..preset(u, "a", 4)
    };
    let saved = store.save_preset(&default_a).await.unwrap();
    assert_eq!(saved.created_at, at(1), "replacing keeps the creation time");
    assert_eq!(saved.updated_at, at(4));
    store
        .save_preset(&Preset {
            is_default: true,
            position: Some(0),
            ..preset(u, "b", 5)
        })
        .await
        .unwrap();
    let list = store.presets(u).await.unwrap();
    let defaults: Vec<&str> = list
        .iter()
        .filter(|p| p.is_default)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(defaults, ["b"], "one default per user");
    assert_eq!(ids(list), ["b", "c", "a"]);
    assert!(
        store
            .presets(other)
            .await
            .unwrap()
            .iter()
            .all(|p| !p.is_default)
    );

    assert_eq!(store.delete_preset(other, "b").await.unwrap(), 0);
    assert_eq!(store.delete_preset(u, "b").await.unwrap(), 1);
    assert_eq!(store.delete_all_presets(u).await.unwrap(), 2);
    assert_eq!(store.presets(other).await.unwrap().len(), 1);
}

/// A conversation with its messages is stored whole or not at all.
pub async fn copy_is_atomic(store: &dyn Store) {
    let u = user(store, "k@example.com").await;
    let c = conversation(u, "copy", 1);
    let msg = |id, parent| Message {
        id,
        conversation_id: c.id,
        user_id: u,
        parent_id: parent,
        sender: "User".into(),
        text: "hi".into(),
        content: None,
        is_created_by_user: true,
        error: false,
        unfinished: false,
        model: None,
        endpoint: None,
        token_count: None,
        feedback: Some(json!({ "rating": "thumbsUp" }).into()),
        files: None,
        created_at: at(1),
        updated_at: at(1),
    };
    let (a, b) = (MessageId::new(), MessageId::new());
    store
        .create_conversation_with_messages(&c, &[msg(a, None), msg(b, Some(a))])
        .await
        .unwrap();
    assert_eq!(store.messages(u, c.id).await.unwrap().len(), 2);
    // A duplicate message ID makes the whole copy fail, conversation included.
    let d = conversation(u, "broken", 2);
    let dup = Message {
        conversation_id: d.id,
        ..msg(a, None)
    };
    assert!(
        store
            .create_conversation_with_messages(&d, &[dup])
            .await
            .is_err()
    );
    assert!(matches!(
        store.conversation(u, d.id).await,
        Err(StoreError::NotFound)
    ));
}
