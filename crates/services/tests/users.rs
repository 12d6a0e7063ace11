//! User rules over a real (temporary SQLite) store.
// Test code: a panic is how a failure is reported, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ferrochat_core::Role;
use ferrochat_services::auth::{AuthPolicy, tokens::AccessTokens};
use ferrochat_services::users::CreateUser;
use ferrochat_services::{ServiceError, Services, password};
use ferrochat_store::{Maintenance, PoolOptions};
use ferrochat_store_sqlite::SqliteStore;

async fn services() -> (Services, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = SqliteStore::connect(&url, &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let tokens = AccessTokens::new(b"secret", Duration::from_secs(900));
    let policy = AuthPolicy {
        allow_registration: true,
        allow_email_login: true,
        allow_unverified_email_login: true,
        allowed_domains: Vec::new(),
        refresh_ttl: Duration::from_secs(86_400),
        allow_password_reset: false,
        client_url: "http://localhost:3080".into(),
        allow_social_login: false,
        allow_social_registration: false,
    };
    let mailer = Arc::new(ferrochat_mail::LogMailer);
    let secret_box = ferrochat_services::crypto::SecretBox::from_hex_key(&"ab".repeat(32)).unwrap();
    (
        Services::new(ferrochat_services::Deps {
            store: Arc::new(store),
            tokens,
            policy,
            mailer,
            secret_box,
            providers: Default::default(),
            clock: Arc::new(ferrochat_services::SystemClock),
            endpoints: Arc::new(ferrochat_services::chat::Endpoints::new(
                Default::default(),
                ferrochat_providers::http_client(),
            )),
            sharing: ferrochat_services::SharePolicy {
                enabled: true,
                public: true,
            },
            webhooks: ferrochat_services::WebhookPolicy {
                enabled: false,
                retry_delays: Vec::new(),
                timeout: std::time::Duration::from_secs(1),
                max_per_user: 1,
            },
            backup: ferrochat_services::BackupPolicy {
                dir: dir.path().join("backups"),
                interval: None,
                keep: 1,
                files: true,
                remote: None,
            },
            blobs: ferrochat_blobs::Blobs::local(&dir.path().join("files")).unwrap(),
            files: ferrochat_services::FilePolicy {
                enabled: true,
                max_file_size: 1 << 20,
                user_quota: None,
                upload_expiry: std::time::Duration::from_secs(60),
                rules: Default::default(),
            },
            file_link_key: vec![7; 32],
            digest: ferrochat_services::DigestPolicy {
                enabled: false,
                day: 0,
                minute: 480,
                client_url: "http://localhost:3080".into(),
                server_url: "http://localhost:3080".into(),
                key: vec![8; 32],
            },
        }),
        dir,
    )
}

fn ada() -> CreateUser {
    CreateUser {
        email: " Ada@Example.com".into(),
        name: "Ada".into(),
        username: Some("ada".into()),
        password: "correct horse battery".into(),
        role: Role::User,
        email_verified: true,
    }
}

#[tokio::test]
async fn create_hashes_the_password_and_normalises_email() {
    let (s, _dir) = services().await;
    let user = s.users.create(ada()).await.unwrap();
    assert_eq!(user.email, "ada@example.com");
    let hash = user.password_hash.clone().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(
        password::verify("correct horse battery".into(), hash.clone())
            .await
            .unwrap()
    );
    assert!(!password::verify("wrong".into(), hash).await.unwrap());
    assert_eq!(s.users.find("ADA@example.com").await.unwrap().id, user.id);
    assert_eq!(
        s.users.find(&user.id.to_string()).await.unwrap().id,
        user.id
    );
}

#[tokio::test]
async fn every_invalid_field_is_reported() {
    let (s, _dir) = services().await;
    let err = s
        .users
        .create(CreateUser {
            email: "nope".into(),
            name: "".into(),
            username: Some("x".into()),
            password: "short".into(),
            ..ada()
        })
        .await
        .unwrap_err();
    let ServiceError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    let names: Vec<_> = fields.iter().map(|f| f.field).collect();
    assert_eq!(names, ["email", "name", "username", "password"]);

    let long = "x".repeat(1_000_000);
    let err = s
        .users
        .create(CreateUser {
            password: long,
            ..ada()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Invalid(_)));
}

#[tokio::test]
async fn duplicates_name_the_clashing_field() {
    let (s, _dir) = services().await;
    s.users.create(ada()).await.unwrap();
    let err = s
        .users
        .create(CreateUser {
            username: None,
            ..ada()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Conflict { field: "email" }),
        "{err:?}"
    );
    let err = s
        .users
        .create(CreateUser {
            email: "other@example.com".into(),
            ..ada()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::Conflict { field: "username" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn roles_change_and_deleted_users_are_gone() {
    let (s, _dir) = services().await;
    let user = s.users.create(ada()).await.unwrap();
    assert_eq!(
        s.users.set_role(user.id, Role::Admin).await.unwrap().role,
        Role::Admin
    );
    s.users.delete(user.id).await.unwrap();
    assert!(matches!(
        s.users.find("ada@example.com").await,
        Err(ServiceError::NotFound("user"))
    ));
    assert!(matches!(
        s.users.delete(user.id).await,
        Err(ServiceError::NotFound("user"))
    ));
    assert!(matches!(
        s.users.list(None, 0).await,
        Err(ServiceError::Invalid(_))
    ));
}
