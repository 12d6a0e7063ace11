//! Runs every story on a fresh SQLite file, and on a fresh PostgreSQL schema when
//! TEST_DATABASE_URL is set (a skipped PostgreSQL story says so on stderr).
// Test code: a panic is how a failure is reported, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ferrochat_store::{DynStore, Maintenance, PoolOptions, StoreError};
use ferrochat_store_postgres::PgStore;
use ferrochat_store_sqlite::SqliteStore;
use ferrochat_store_tests::{
    chat, conversations, digest, files, organize, prompts, search, sessions, shares, usage, users,
    webhooks,
};
use ferrochat_test_support::TestDb;

async fn sqlite(db: &TestDb) -> (DynStore, SqliteStore) {
    let store = SqliteStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store.clone()), store)
}

async fn postgres(db: &TestDb, options: &PoolOptions) -> (DynStore, PgStore) {
    let store = PgStore::connect(db.url(), options).await.unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store.clone()), store)
}

macro_rules! stories {
    ($($module:ident :: $story:ident),* $(,)?) => {
        mod on_sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $story() {
                    let db = TestDb::sqlite();
                    let (store, _) = sqlite(&db).await;
                    $module::$story(&*store).await;
                }
            )*
        }
        mod on_postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $story() {
                    let Some(db) = TestDb::postgres(concat!("store story ", stringify!($story))).await else {
                        return;
                    };
                    let (store, _) = postgres(&db, &PoolOptions::default()).await;
                    $module::$story(&*store).await;
                    store.close().await;
                }
            )*
        }
    };
}

stories!(
    users::create_and_read,
    users::avatar,
    users::uniqueness,
    users::pagination,
    users::role_and_delete,
    users::two_factor,
    sessions::rotation,
    sessions::revoke_all_and_list,
    sessions::purge_and_cascade,
    sessions::auth_tokens,
    conversations::listing,
    conversations::soft_delete_and_messages,
    conversations::temporary_expire,
    organize::tags,
    organize::folders,
    organize::presets,
    organize::copy_is_atomic,
    chat::turns,
    chat::keys_and_balances,
    chat::api_keys,
    search::messages,
    search::scope_and_pages,
    search::conversation_filter,
    shares::links,
    shares::listing_and_lifecycle,
    webhooks::hooks,
    webhooks::queue,
    prompts::versions,
    prompts::list_and_pages,
    prompts::contention,
    files::file_rows,
    files::resumable_uploads,
    usage::sums,
    digest::subscriptions_and_weeks,
);

#[test]
fn both_engines_embed_the_same_migration_versions() {
    let describe = |m: &sqlx::migrate::Migrator| -> Vec<(i64, String)> {
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    };
    let sqlite = describe(&ferrochat_store_sqlite::MIGRATOR);
    let postgres = describe(&ferrochat_store_postgres::MIGRATOR);
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "every migration needs a twin with the same version on the other engine"
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout() {
    let db = TestDb::sqlite();
    let (store, raw) = sqlite(&db).await;
    let pool = raw.pool();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(busy, 5000);
    let status = store.migration_status().await.unwrap();
    assert!(
        status.iter().all(|m| m.applied && m.checksum_matches),
        "{status:?}"
    );
    // Migrating again is a no-op.
    assert!(store.migrate().await.unwrap().is_empty());
}

#[tokio::test]
async fn postgres_reports_migrations_and_enforces_the_statement_timeout() {
    let Some(db) = TestDb::postgres("statement timeout and migration status").await else {
        return;
    };
    let options = PoolOptions {
        statement_timeout: Some(Duration::from_millis(100)),
        ..PoolOptions::default()
    };
    let (store, raw) = postgres(&db, &options).await;
    let status = store.migration_status().await.unwrap();
    assert!(
        status.iter().all(|m| m.applied && m.checksum_matches),
        "{status:?}"
    );
    assert!(store.migrate().await.unwrap().is_empty());
    let err: StoreError = sqlx::query("SELECT pg_sleep(2)")
        .execute(raw.pool())
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, StoreError::Timeout), "{err:?}");
    // Each run lives in its own schema.
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(raw.pool())
        .await
        .unwrap();
    assert!(schema.starts_with("ferrochat_test_"), "{schema}");
    store.close().await;
}

#[tokio::test]
async fn pending_migrations_are_listed_before_they_run() {
    let db = TestDb::sqlite();
    let store = SqliteStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    let before = store.migration_status().await.unwrap();
    assert!(before.iter().all(|m| !m.applied));
    let applied = store.migrate().await.unwrap();
    assert_eq!(applied, store.embedded_migrations());
}

/// Chat turns take SQLite's writer without queueing for the write gate, waiting for it on the
/// blocking pool when it is busy; with the database's lock held by another connection, every
/// stage gives way to the next (the pool, which waits for the lock), and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_chat_turns_all_land_when_many_start_at_once_behind_a_held_lock() {
    use ferrochat_store::TurnStart;
    use ferrochat_store_tests::{at, chat, conversations::conversation};
    let db = TestDb::sqlite();
    let (store, raw) = sqlite(&db).await;
    let u = chat::user(&*store, "many@example.com").await;
    let mut holder = raw.pool().acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let turns: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let c = conversation(u, "New Chat", i);
                let q = chat::message(&c, None, true, i);
                store
                    .start_turn(TurnStart {
                        conversation: &c,
                        is_new: true,
                        user_message: Some(&q),
                    })
                    .await?;
                let a = chat::message(&c, Some(q.id), false, i + 1);
                store
                    .finish_turn(&a, &chat::generation(&a, 1), false, at(i + 1))
                    .await?;
                Ok::<_, StoreError>(c.id)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        turns.iter().all(|t| !t.is_finished()),
        "no turn writes while another connection holds the lock"
    );
    sqlx::query("ROLLBACK").execute(&mut *holder).await.unwrap();
    drop(holder);
    for turn in turns {
        let id = turn.await.unwrap().unwrap();
        assert_eq!(store.messages(u, id).await.unwrap().len(), 2);
    }
}

/// SQLite indexes lazily (docs/search.md): the background task empties the queue the triggers
/// fill, with no search asking for it, and a search right after a large import answers from
/// what is indexed so far instead of indexing everything first.
#[tokio::test]
async fn sqlite_indexes_in_the_background_and_searches_do_not_wait_for_a_backlog() {
    use ferrochat_store_tests::{conversations::conversation, t0, users::new_user};
    let db = TestDb::sqlite();
    let (store, raw) = sqlite(&db).await;
    let u = store
        .create_user(new_user("bulk@example.com", None), t0())
        .await
        .unwrap()
        .id;
    let c = conversation(u, "Import", 1);
    store.create_conversation(&c).await.unwrap();
    // An import: 3,000 messages in one statement, as a restore or a bulk copy writes them.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
         INSERT INTO messages (id, conversation_id, user_id, sender, text, is_created_by_user, \
         created_at, updated_at) SELECT printf('00000000-0000-4000-8000-%012d', i), $1, $2, 'User', 'wombat ' || i, 1, i, i FROM n",
    )
    .bind(c.id.to_string())
    .bind(u.to_string())
    .execute(raw.pool())
    .await
    .unwrap();
    let queued = |pool: sqlx::SqlitePool| async move {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM message_search_queue")
            .fetch_one(&pool)
            .await
            .unwrap();
        n
    };
    assert_eq!(queued(raw.pool().clone()).await, 3000);
    assert_eq!(
        store.flush_for_search().await.unwrap(),
        0,
        "a search does not wait for a backlog of more than 2,048"
    );
    let mut left = queued(raw.pool().clone()).await;
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = queued(raw.pool().clone()).await;
    }
    assert_eq!(left, 0, "the background task indexes the rest");
    let hits = store
        .search_messages(u, &["wombat".to_owned()], None, 5000)
        .await
        .unwrap();
    assert_eq!(hits.len(), 3000);
}
