//! Stories for `SessionStore`.

use ferrochat_core::{Session, SessionId, UserId};
use ferrochat_store::{Store, StoreError};

use crate::users::new_user;
use crate::{at, t0};

fn session(user_id: UserId, hash: &str, created_min: i64) -> Session {
    Session {
        id: SessionId::new(),
        user_id,
        token_hash: hash.into(),
        expires_at: at(60 * 24),
        created_at: at(created_min),
        last_used_at: at(created_min),
        revoked_at: None,
        user_agent: Some("story-agent".into()),
        ip: Some("192.0.2.1".into()),
    }
}

/// Sessions round-trip, rotate by compare-and-swap, and stop rotating once revoked or expired.
pub async fn rotation(store: &dyn Store) {
    let user = store
        .create_user(new_user("s@example.com", None), t0())
        .await
        .unwrap();
    let s = session(user.id, "hash-1", 0);
    store.create_session(&s).await.unwrap();
    assert_eq!(store.session_by_token_hash("hash-1").await.unwrap(), s);
    let (owner, revoked) = store.session_user(s.id).await.unwrap();
    assert_eq!((owner.id, revoked), (user.id, false));
    assert!(matches!(
        store.session_user(SessionId::new()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.session_by_token_hash("nope").await,
        Err(StoreError::NotFound)
    ));

    assert!(
        store
            .rotate_session(s.id, "hash-1", "hash-2", at(61 * 24), at(1))
            .await
            .unwrap()
    );
    // The old token lost the race: the swap refuses it.
    assert!(
        !store
            .rotate_session(s.id, "hash-1", "hash-3", at(61 * 24), at(2))
            .await
            .unwrap()
    );
    // The rotated-away token is remembered, so its reuse can be detected.
    assert_eq!(store.session_by_rotated_hash("hash-1").await.unwrap(), s.id);
    assert!(matches!(
        store.session_by_rotated_hash("hash-3").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.session_by_id(s.id).await.unwrap().token_hash,
        "hash-2"
    );
    let rotated = store.session_by_token_hash("hash-2").await.unwrap();
    assert_eq!(rotated.last_used_at, at(1));
    assert_eq!(rotated.expires_at, at(61 * 24));
    assert!(matches!(
        store.session_by_token_hash("hash-1").await,
        Err(StoreError::NotFound)
    ));

    // Past expiry it cannot be rotated.
    assert!(
        !store
            .rotate_session(s.id, "hash-2", "hash-4", at(99_999), at(62 * 24))
            .await
            .unwrap()
    );

    store.revoke_session(s.id, at(3)).await.unwrap();
    store.revoke_session(s.id, at(4)).await.unwrap();
    let revoked = store.session_by_token_hash("hash-2").await.unwrap();
    assert_eq!(
        revoked.revoked_at,
        Some(at(3)),
        "revoking twice keeps the first time"
    );
    assert!(
        store.session_user(s.id).await.unwrap().1,
        "session_user reports the revocation"
    );
    assert!(
        !store
            .rotate_session(s.id, "hash-2", "hash-5", at(61 * 24), at(5))
            .await
            .unwrap()
    );
}

/// Revoke-all spares the kept session and other users; listing is newest first.
pub async fn revoke_all_and_list(store: &dyn Store) {
    let u = store
        .create_user(new_user("u@example.com", None), t0())
        .await
        .unwrap();
    let other = store
        .create_user(new_user("o@example.com", None), t0())
        .await
        .unwrap();
    let (a, b, c) = (
        session(u.id, "a", 1),
        session(u.id, "b", 2),
        session(u.id, "c", 3),
    );
    let o = session(other.id, "o", 1);
    for s in [&a, &b, &c, &o] {
        store.create_session(s).await.unwrap();
    }
    assert_eq!(
        store
            .revoke_user_sessions(u.id, Some(b.id), at(10))
            .await
            .unwrap(),
        2
    );
    let listed = store.list_user_sessions(u.id).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|s| s.id).collect();
    assert_eq!(ids, [c.id, b.id, a.id]);
    let live: Vec<_> = listed
        .iter()
        .filter(|s| s.revoked_at.is_none())
        .map(|s| s.id)
        .collect();
    assert_eq!(live, [b.id]);
    assert!(
        store
            .session_by_token_hash("o")
            .await
            .unwrap()
            .revoked_at
            .is_none()
    );
    assert_eq!(
        store
            .revoke_user_sessions(u.id, None, at(11))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .revoke_user_sessions(u.id, None, at(12))
            .await
            .unwrap(),
        0
    );
}

/// Expired sessions are purged; deleting a user cascades to its sessions (foreign keys on).
pub async fn purge_and_cascade(store: &dyn Store) {
    let u = store
        .create_user(new_user("p@example.com", None), t0())
        .await
        .unwrap();
    let mut old = session(u.id, "old", 0);
    old.expires_at = at(5);
    let fresh = session(u.id, "fresh", 0);
    store.create_session(&old).await.unwrap();
    store.create_session(&fresh).await.unwrap();
    assert_eq!(store.delete_expired_sessions(at(6)).await.unwrap(), 1);
    assert!(matches!(
        store.session_by_token_hash("old").await,
        Err(StoreError::NotFound)
    ));

    // A session for a user that does not exist is refused.
    let orphan = session(UserId::new(), "orphan", 0);
    assert!(matches!(
        store.create_session(&orphan).await,
        Err(StoreError::Conflict { .. })
    ));

    store.delete_user(u.id).await.unwrap();
    assert!(matches!(
        store.session_by_token_hash("fresh").await,
        Err(StoreError::NotFound)
    ));
}

/// Mailed tokens: only the newest is live, each is spent once, and expired ones are invisible.
pub async fn auth_tokens(store: &dyn Store) {
    use ferrochat_core::{AuthToken, AuthTokenId, TokenPurpose};
    let u = store
        .create_user(new_user("t@example.com", None), t0())
        .await
        .unwrap();
    let token = |hash: &str, expires_min: i64| AuthToken {
        id: AuthTokenId::new(),
        user_id: u.id,
        purpose: TokenPurpose::ResetPassword,
        token_hash: hash.into(),
        expires_at: at(expires_min),
        created_at: t0(),
    };
    let first = token("h1", 15);
    store.replace_auth_token(&first).await.unwrap();
    let second = token("h2", 15);
    store.replace_auth_token(&second).await.unwrap();
    let live = store
        .live_auth_tokens(u.id, TokenPurpose::ResetPassword, at(1))
        .await
        .unwrap();
    assert_eq!(
        live,
        vec![second.clone()],
        "a new token replaces the old one"
    );
    assert!(
        store
            .live_auth_tokens(u.id, TokenPurpose::VerifyEmail, at(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .live_auth_tokens(u.id, TokenPurpose::ResetPassword, at(16))
            .await
            .unwrap()
            .is_empty()
    );

    assert!(store.spend_auth_token(second.id, at(2)).await.unwrap());
    assert!(
        !store.spend_auth_token(second.id, at(3)).await.unwrap(),
        "spent once only"
    );
    assert!(
        store
            .live_auth_tokens(u.id, TokenPurpose::ResetPassword, at(4))
            .await
            .unwrap()
            .is_empty()
    );
}
