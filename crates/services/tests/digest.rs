//! The weekly digest's schedule over a real (temporary SQLite) store: nothing before the send
//! time, a failed send retried at the next run, then sent once.
// Test code: a panic is how a failure is reported, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, ConversationId, Message, MessageId, Role};
use ferrochat_mail::{Email, MailError, Mailer, MemoryMailer};
use ferrochat_services::conversations::ConversationService;
use ferrochat_services::events::EventBus;
use ferrochat_services::users::CreateUser;
use ferrochat_services::{Clock, DigestPolicy, DigestRun, DigestService, UserService};
use ferrochat_store::{DynStore, Maintenance, PoolOptions};
use ferrochat_store_sqlite::SqliteStore;

/// A clock the test moves.
struct Hands(Mutex<DateTime<Utc>>);

impl Hands {
    fn set(&self, at: &str) {
        *self.0.lock().unwrap() = at.parse().unwrap();
    }
}

impl Clock for Hands {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Refuses every message while `down`, then hands them to memory.
#[derive(Default)]
struct Flaky {
    down: AtomicBool,
    sent: MemoryMailer,
}

#[async_trait]
impl Mailer for Flaky {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(MailError::Transport("connection refused".into()));
        }
        self.sent.send(email).await
    }

    fn delivers(&self) -> bool {
        true
    }
}

fn run(sent: u32, quiet: u32, failed: u32, week: &str) -> DigestRun {
    DigestRun {
        week_start: Some(week.parse().unwrap()),
        sent,
        quiet,
        failed,
    }
}

#[tokio::test]
async fn digests_wait_for_their_time_retry_failures_and_go_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let sqlite = SqliteStore::connect(&url, &PoolOptions::default())
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let store: DynStore = Arc::new(sqlite);
    // Sunday 15 November 2026; digests go out on Mondays at 08:00 UTC.
    let clock = Arc::new(Hands(Mutex::new(Utc::now())));
    clock.set("2026-11-15T12:00:00Z");
    let mailer = Arc::new(Flaky::default());
    let digest = DigestService::new(
        store.clone(),
        clock.clone(),
        mailer.clone(),
        DigestPolicy {
            enabled: true,
            day: 0,
            minute: 8 * 60,
            client_url: "https://chat.example".into(),
            server_url: "https://chat.example".into(),
            key: vec![1; 32],
        },
    );
    let users = UserService::new(store.clone(), clock.clone());
    let ada = users
        .create(CreateUser {
            email: "ada@example.com".into(),
            name: "Ada".into(),
            username: None,
            password: "correct horse battery".into(),
            role: Role::User,
            email_verified: true,
        })
        .await
        .unwrap();
    let status = digest.set(ada.id, true).await.unwrap();
    assert_eq!(
        status.next_at,
        "2026-11-16T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );

    // Monday 16 November, 09:00: the week Ada subscribed in is due, and it was quiet.
    clock.set("2026-11-16T09:00:00Z");
    assert_eq!(
        digest.send_due().await.unwrap(),
        run(0, 1, 0, "2026-11-09T00:00:00Z"),
        "claimed, nothing sent"
    );

    // Wednesday: a conversation.
    clock.set("2026-11-18T10:00:00Z");
    let now = clock.now();
    let conversations = ConversationService::new(store.clone(), clock.clone(), EventBus::default());
    let c = conversations
        .create(
            ada.id,
            Conversation {
                id: ConversationId::new(),
                user_id: ada.id,
                title: "Garden".into(),
                endpoint: Some("openAI".into()),
                endpoint_type: None,
                model: Some("gpt-4o".into()),
                is_archived: false,
                settings: serde_json::json!({}).into(),
                folder_id: None,
                tags: Vec::new(),
                created_at: now,
                updated_at: now,
                expired_at: None,
            },
        )
        .await
        .unwrap();
    conversations
        .add_message(
            ada.id,
            Message {
                id: MessageId::new(),
                conversation_id: c.id,
                user_id: ada.id,
                parent_id: None,
                sender: "User".into(),
                text: "what to plant?".into(),
                content: None,
                is_created_by_user: true,
                error: false,
                unfinished: false,
                model: None,
                endpoint: None,
                token_count: Some(3),
                feedback: None,
                files: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await
        .unwrap();

    // Monday 23 November, before 08:00: not yet.
    clock.set("2026-11-23T07:59:00Z");
    assert_eq!(
        digest.send_due().await.unwrap(),
        run(0, 0, 0, "2026-11-09T00:00:00Z")
    );
    // 08:00 with the mail server down: the claim is given back.
    clock.set("2026-11-23T08:00:00Z");
    mailer.down.store(true, Ordering::SeqCst);
    assert_eq!(
        digest.send_due().await.unwrap(),
        run(0, 0, 1, "2026-11-16T00:00:00Z")
    );
    assert!(mailer.sent.sent().is_empty());
    // Ten minutes later it is up again: sent, once.
    clock.set("2026-11-23T08:10:00Z");
    mailer.down.store(false, Ordering::SeqCst);
    assert_eq!(
        digest.send_due().await.unwrap(),
        run(1, 0, 0, "2026-11-16T00:00:00Z")
    );
    assert_eq!(
        digest.send_due().await.unwrap(),
        run(0, 0, 0, "2026-11-16T00:00:00Z")
    );
    let sent = mailer.sent.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "ada@example.com");
    assert_eq!(
        sent[0].subject,
        "Your week on ferrochat: 16–22 November 2026"
    );
    assert!(
        sent[0]
            .text
            .contains("1 message in 1 conversation, 0 answers (0 tokens)"),
        "{}",
        sent[0].text
    );
    assert!(
        sent[0]
            .text
            .contains("- Garden (1 message): https://chat.example/c/")
    );
    assert_eq!(
        digest.status(ada.id).await.unwrap().next_at,
        "2026-11-30T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
}
