//! Stories for `ShareStore`.

use ferrochat_core::{ShareId, SharedLink, UserId};
use ferrochat_store::{PasswordChange, ShareKey, ShareOrder, ShareQuery, Store, StoreError};

use crate::chat::{message, user};
use crate::conversations::conversation;
use crate::{at, t0};

fn link(
    n: u8,
    user_id: UserId,
    c: &ferrochat_core::Conversation,
    title: &str,
    minute: i64,
) -> SharedLink {
    SharedLink {
        id: ShareId::from_random([n; ShareId::LEN]),
        user_id,
        conversation_id: c.id,
        title: title.into(),
        target_message_id: None,
        snapshot_at: at(minute),
        expires_at: None,
        has_password: false,
        created_at: at(minute),
        updated_at: at(minute),
    }
}

fn query(order: ShareOrder, after: Option<ShareKey>, limit: u32) -> ShareQuery<'static> {
    ShareQuery {
        order,
        title_words: &[],
        after,
        limit,
    }
}

async fn listed(store: &dyn Store, u: UserId, q: &ShareQuery<'_>) -> Vec<String> {
    store
        .shared_links(u, q)
        .await
        .unwrap()
        .iter()
        .map(|l| l.title.clone())
        .collect()
}

async fn hash(store: &dyn Store, id: &ShareId) -> Option<String> {
    store.public_shared_link(id).await.unwrap().unwrap().1
}

/// Create, read by owner and by anyone (with the password hash), the newest per conversation,
/// ownership, updates (a new ID, password set, kept and cleared) and deletion.
pub async fn links(store: &dyn Store) {
    let u = user(store, "sharer@example.com").await;
    let v = user(store, "other@example.com").await;
    let c = conversation(u, "Trip to Lisbon", 10);
    store.create_conversation(&c).await.unwrap();
    let q = message(&c, None, true, 1);
    store.create_message(&q).await.unwrap();

    let first = link(1, u, &c, "Trip to Lisbon", 1);
    store.create_shared_link(&first, None).await.unwrap();
    let mut second = link(2, u, &c, "Trip to Lisbon", 2);
    second.target_message_id = Some(q.id);
    second.expires_at = Some(at(60));
    second.has_password = true;
    store
        .create_shared_link(&second, Some("$argon2id$hash"))
        .await
        .unwrap();
    assert!(matches!(
        store.create_shared_link(&first, None).await,
        Err(StoreError::Conflict { .. })
    ));

    assert_eq!(store.shared_link(u, &first.id).await.unwrap(), first);
    assert_eq!(store.shared_link(u, &second.id).await.unwrap(), second);
    assert!(matches!(
        store.shared_link(v, &first.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.conversation_shared_link(u, c.id).await.unwrap(),
        Some(second.clone())
    );
    assert_eq!(store.conversation_shared_link(v, c.id).await.unwrap(), None);
    assert_eq!(
        store.public_shared_link(&second.id).await.unwrap(),
        Some((second.clone(), Some("$argon2id$hash".to_owned())))
    );
    assert_eq!(
        store.public_shared_link(&first.id).await.unwrap(),
        Some((first.clone(), None))
    );
    let unknown = ShareId::from_random([9; ShareId::LEN]);
    assert_eq!(store.public_shared_link(&unknown).await.unwrap(), None);

    // A refresh: new ID, title and snapshot; the old ID is gone.
    let mut refreshed = first.clone();
    refreshed.id = ShareId::from_random([3; ShareId::LEN]);
    refreshed.title = "Lisbon, day by day".into();
    refreshed.snapshot_at = at(5);
    refreshed.updated_at = at(5);
    store
        .update_shared_link(u, &first.id, &refreshed, PasswordChange::Keep)
        .await
        .unwrap();
    assert!(matches!(
        store.shared_link(u, &first.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.shared_link(u, &refreshed.id).await.unwrap(),
        refreshed
    );
    // Someone else's link cannot be changed.
    assert!(matches!(
        store
            .update_shared_link(v, &refreshed.id, &refreshed, PasswordChange::Clear)
            .await,
        Err(StoreError::NotFound)
    ));
    // Password: set, kept, cleared.
    let id = refreshed.id.clone();
    store
        .update_shared_link(u, &id, &refreshed, PasswordChange::Set("$argon2id$new"))
        .await
        .unwrap();
    assert_eq!(hash(store, &id).await.as_deref(), Some("$argon2id$new"));
    assert!(store.shared_link(u, &id).await.unwrap().has_password);
    let mut expiring = refreshed.clone();
    expiring.expires_at = Some(at(90));
    store
        .update_shared_link(u, &id, &expiring, PasswordChange::Keep)
        .await
        .unwrap();
    assert_eq!(hash(store, &id).await.as_deref(), Some("$argon2id$new"));
    assert_eq!(
        store.shared_link(u, &id).await.unwrap().expires_at,
        Some(at(90))
    );
    store
        .update_shared_link(u, &id, &expiring, PasswordChange::Clear)
        .await
        .unwrap();
    assert_eq!(hash(store, &id).await, None);

    assert!(!store.delete_shared_link(v, &id).await.unwrap());
    assert!(store.delete_shared_link(u, &id).await.unwrap());
    assert!(!store.delete_shared_link(u, &id).await.unwrap());
    assert_eq!(store.public_shared_link(&id).await.unwrap(), None);
}

/// The list: both orders both ways, keyset pages without gaps, the title filter; links of a
/// deleted conversation are hidden everywhere until it is restored, and go with the user.
pub async fn listing_and_lifecycle(store: &dyn Store) {
    let u = user(store, "lister@example.com").await;
    let titles = ["Bread", "apple pie", "Cider", "Apple tart"];
    let mut links = Vec::new();
    for (i, title) in titles.iter().enumerate() {
        let c = conversation(u, title, 10);
        store.create_conversation(&c).await.unwrap();
        let n = u8::try_from(i).unwrap() + 1;
        let l = link(n, u, &c, title, i64::from(n));
        store.create_shared_link(&l, None).await.unwrap();
        links.push((c, l));
    }
    let newest = listed(store, u, &query(ShareOrder::CreatedDesc, None, 10)).await;
    assert_eq!(newest, ["Apple tart", "Cider", "apple pie", "Bread"]);
    let oldest = listed(store, u, &query(ShareOrder::CreatedAsc, None, 10)).await;
    assert_eq!(oldest, ["Bread", "apple pie", "Cider", "Apple tart"]);
    // Titles sort as stored (byte order): capitals first, as the client shows them.
    let by_title = listed(store, u, &query(ShareOrder::TitleAsc, None, 10)).await;
    assert_eq!(by_title, ["Apple tart", "Bread", "Cider", "apple pie"]);
    let by_title_desc = listed(store, u, &query(ShareOrder::TitleDesc, None, 10)).await;
    assert_eq!(by_title_desc, ["apple pie", "Cider", "Bread", "Apple tart"]);

    // Pages of two, each continuing after the last row of the one before.
    for order in [
        ShareOrder::CreatedDesc,
        ShareOrder::CreatedAsc,
        ShareOrder::TitleAsc,
        ShareOrder::TitleDesc,
    ] {
        let all = listed(store, u, &query(order, None, 10)).await;
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .shared_links(u, &query(order, after.clone(), 2))
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(match order {
                ShareOrder::CreatedDesc | ShareOrder::CreatedAsc => {
                    ShareKey::Created(last.created_at, last.id.clone())
                }
                ShareOrder::TitleAsc | ShareOrder::TitleDesc => {
                    ShareKey::Title(last.title.clone(), last.id.clone())
                }
            });
            paged.extend(page.iter().map(|l| l.title.clone()));
        }
        assert_eq!(paged, all, "{order:?}");
    }

    let words = ["apple".to_owned()];
    let apples = ShareQuery {
        title_words: &words,
        ..query(ShareOrder::CreatedDesc, None, 10)
    };
    assert_eq!(listed(store, u, &apples).await, ["Apple tart", "apple pie"]);
    let words = ["apple".to_owned(), "pie".to_owned()];
    let pie = ShareQuery {
        title_words: &words,
        ..query(ShareOrder::CreatedDesc, None, 10)
    };
    assert_eq!(listed(store, u, &pie).await, ["apple pie"]);

    // A deleted conversation's link is hidden from every read; restoring brings it back.
    let (bread, bread_link) = &links[0];
    store
        .soft_delete_conversation(u, bread.id, at(30))
        .await
        .unwrap();
    assert!(matches!(
        store.shared_link(u, &bread_link.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.public_shared_link(&bread_link.id).await.unwrap(),
        None
    );
    assert_eq!(
        store.conversation_shared_link(u, bread.id).await.unwrap(),
        None
    );
    let newest = listed(store, u, &query(ShareOrder::CreatedDesc, None, 10)).await;
    assert_eq!(newest, ["Apple tart", "Cider", "apple pie"]);
    assert!(store.restore_conversation(u, bread.id).await.unwrap());
    assert!(
        store
            .public_shared_link(&bread_link.id)
            .await
            .unwrap()
            .is_some()
    );

    // Purged conversations and deleted users take their links along.
    store
        .soft_delete_conversation(u, bread.id, t0())
        .await
        .unwrap();
    store.purge_deleted_conversations(at(1)).await.unwrap();
    assert!(!store.delete_shared_link(u, &bread_link.id).await.unwrap());
    store.delete_user(u).await.unwrap();
    let (_, cider_link) = &links[2];
    assert_eq!(
        store.public_shared_link(&cider_link.id).await.unwrap(),
        None
    );
}
