//! Stories for `UserStore`.

use ferrochat_core::{NewUser, Role, UserId};
use ferrochat_store::{Store, StoreError};

use crate::{at, t0};

/// A user with the given email and optional username.
pub fn new_user(email: &str, username: Option<&str>) -> NewUser {
    NewUser {
        email: email.into(),
        username: username.map(Into::into),
        name: "Story User".into(),
        provider: "local".into(),
        role: Role::User,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        email_verified: false,
    }
}

/// Create, read back by id and email, and every field survives the round trip.
pub async fn create_and_read(store: &dyn Store) {
    let created = store
        .create_user(new_user("ada@example.com", Some("ada")), t0())
        .await
        .unwrap();
    assert_eq!(created.email, "ada@example.com");
    assert_eq!(created.username.as_deref(), Some("ada"));
    assert_eq!(created.role, Role::User);
    assert_eq!(created.provider, "local");
    assert!(!created.email_verified && !created.banned && !created.terms_accepted);
    assert_eq!(created.created_at, t0());
    assert_eq!(created.updated_at, t0());

    assert_eq!(store.user_by_id(created.id).await.unwrap(), created);
    assert_eq!(
        store.user_by_email("ada@example.com").await.unwrap(),
        created
    );
    assert!(matches!(
        store.user_by_email("nobody@example.com").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.user_by_id(UserId::new()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_users().await.unwrap(), 1);
}

/// The avatar URL is set, replaced and cleared, with `updated_at`; a missing user is not found.
pub async fn avatar(store: &dyn Store) {
    let user = store
        .create_user(new_user("ada@example.com", None), t0())
        .await
        .unwrap();
    assert_eq!(user.avatar, None);
    store
        .set_user_avatar(user.id, Some("/api/files/view/a/b/c"), at(5))
        .await
        .unwrap();
    let read = store.user_by_id(user.id).await.unwrap();
    assert_eq!(read.avatar.as_deref(), Some("/api/files/view/a/b/c"));
    assert_eq!(read.updated_at, at(5));
    store.set_user_avatar(user.id, None, at(6)).await.unwrap();
    assert_eq!(store.user_by_id(user.id).await.unwrap().avatar, None);
    assert!(matches!(
        store.set_user_avatar(UserId::new(), Some("x"), at(7)).await,
        Err(StoreError::NotFound)
    ));
}

/// Unique email and username are enforced and reported as conflicts on the right column.
pub async fn uniqueness(store: &dyn Store) {
    store
        .create_user(new_user("ada@example.com", Some("ada")), t0())
        .await
        .unwrap();
    let err = store
        .create_user(new_user("ada@example.com", None), t0())
        .await
        .unwrap_err();
    assert!(err.is_conflict_on("users", "email"), "{err:?}");
    let err = store
        .create_user(new_user("bob@example.com", Some("ada")), t0())
        .await
        .unwrap_err();
    assert!(err.is_conflict_on("users", "username"), "{err:?}");
    // Several users without a username are fine (NULLs are distinct).
    store
        .create_user(new_user("c@example.com", None), t0())
        .await
        .unwrap();
    store
        .create_user(new_user("d@example.com", None), t0())
        .await
        .unwrap();
    assert_eq!(store.count_users().await.unwrap(), 3);
}

/// Keyset pages cover every user exactly once, in creation order.
pub async fn pagination(store: &dyn Store) {
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            store
                .create_user(new_user(&format!("u{i}@example.com"), None), at(i))
                .await
                .unwrap()
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_users(after, 3).await.unwrap();
        assert!(page.users.len() <= 3);
        seen.extend(page.users.iter().map(|u| u.id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    // An exact multiple must not promise a page that is empty.
    let page = store.list_users(Some(ids[3]), 3).await.unwrap();
    assert_eq!(page.users.len(), 3);
    assert_eq!(page.next, None);
}

/// Role changes bump `updated_at`; deleting removes the user and only that user.
pub async fn role_and_delete(store: &dyn Store) {
    let a = store
        .create_user(new_user("a@example.com", None), t0())
        .await
        .unwrap();
    let b = store
        .create_user(new_user("b@example.com", None), t0())
        .await
        .unwrap();
    let promoted = store.set_user_role(a.id, Role::Admin, at(5)).await.unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(promoted.updated_at, at(5));
    assert_eq!(promoted.created_at, t0());
    assert!(matches!(
        store.set_user_role(UserId::new(), Role::Admin, t0()).await,
        Err(StoreError::NotFound)
    ));

    store
        .set_password_hash(a.id, "$argon2id$new", at(6))
        .await
        .unwrap();
    let rehashed = store.user_by_id(a.id).await.unwrap();
    assert_eq!(rehashed.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!(rehashed.updated_at, at(6));

    store
        .link_identity("openid", "sub-a", a.id, at(7))
        .await
        .unwrap();
    assert_eq!(
        store.user_by_identity("openid", "sub-a").await.unwrap().id,
        a.id
    );
    assert!(matches!(
        store.user_by_identity("openid", "sub-b").await,
        Err(StoreError::NotFound)
    ));
    let err = store
        .link_identity("openid", "sub-a", b.id, at(7))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");

    store.delete_user(a.id).await.unwrap();
    assert!(matches!(
        store.user_by_identity("openid", "sub-a").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.user_by_id(a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_user(a.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.user_by_id(b.id).await.unwrap().email, "b@example.com");
}

/// TOTP state and backup codes: set, replay-proof steps, single-use codes, cascade.
pub async fn two_factor(store: &dyn Store) {
    use ferrochat_store::TotpState;
    let u = store
        .create_user(new_user("tf@example.com", None), t0())
        .await
        .unwrap();
    let off = TotpState {
        secret: None,
        enabled: false,
        last_step: None,
    };
    assert_eq!(store.totp_state(u.id).await.unwrap(), off);
    assert!(!store.user_by_id(u.id).await.unwrap().two_factor_enabled);

    store
        .set_totp(u.id, Some("v1:sealed"), false, at(1))
        .await
        .unwrap();
    assert!(store.advance_totp_step(u.id, 100).await.unwrap());
    assert!(
        !store.advance_totp_step(u.id, 100).await.unwrap(),
        "same step twice is a replay"
    );
    assert!(!store.advance_totp_step(u.id, 99).await.unwrap());
    assert!(store.advance_totp_step(u.id, 101).await.unwrap());
    store
        .set_totp(u.id, Some("v1:sealed"), true, at(2))
        .await
        .unwrap();
    let on = store.totp_state(u.id).await.unwrap();
    assert_eq!(
        on,
        TotpState {
            secret: Some("v1:sealed".into()),
            enabled: true,
            last_step: None
        }
    );
    assert!(store.user_by_id(u.id).await.unwrap().two_factor_enabled);

    store
        .replace_backup_codes(u.id, &["c1".into(), "c2".into()])
        .await
        .unwrap();
    assert_eq!(store.remaining_backup_codes(u.id).await.unwrap(), 2);
    assert!(store.spend_backup_code(u.id, "c1", at(3)).await.unwrap());
    assert!(!store.spend_backup_code(u.id, "c1", at(4)).await.unwrap());
    assert!(!store.spend_backup_code(u.id, "nope", at(4)).await.unwrap());
    assert_eq!(store.remaining_backup_codes(u.id).await.unwrap(), 1);
    store
        .replace_backup_codes(u.id, &["c3".into()])
        .await
        .unwrap();
    assert!(
        !store.spend_backup_code(u.id, "c2", at(5)).await.unwrap(),
        "replaced codes are gone"
    );

    store.set_totp(u.id, None, false, at(6)).await.unwrap();
    assert_eq!(store.totp_state(u.id).await.unwrap(), off);
    store.delete_user(u.id).await.unwrap();
    assert!(matches!(
        store.totp_state(u.id).await,
        Err(StoreError::NotFound)
    ));
}
