//! Every list query is backed by an index, on both engines: the plans are asserted, so an
//! index dropped or a query rewritten past its index fails here rather than in production.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ferrochat_store::sql::{conversations, sessions, users};
use ferrochat_store::{Maintenance, PoolOptions};
use ferrochat_store_postgres::PgStore;
use ferrochat_store_sqlite::SqliteStore;
use ferrochat_test_support::TestDb;
use sqlx::AssertSqlSafe;

const USER: &str = "0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77";

/// (statement, index it must use, binds as text/int/bool markers)
fn cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (conversations::LIST_FIRST, "conversations_user_list", "tbi"),
        (
            conversations::LIST_AFTER,
            "conversations_user_list",
            "tbiit",
        ),
        (conversations::MESSAGES, "messages_conversation", "tt"),
        (sessions::LIST_FOR_USER, "sessions_user_created", "t"),
        (
            users::LIST_AFTER,
            "users_pkey|sqlite_autoindex_users_1",
            "ti",
        ),
    ]
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for kind in $binds.chars() {
            q = match kind {
                't' => q.bind(USER),
                'i' => q.bind(10_i64),
                'b' => q.bind(false),
                _ => unreachable!(),
            };
        }
        q
    }};
}

#[tokio::test]
async fn sqlite_list_queries_use_their_indexes() {
    let db = TestDb::sqlite();
    let store = SqliteStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    for (sql, index, binds) in cases() {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let rows: Vec<(i64, i64, i64, String)> =
            bind_all!(sqlx::query_as(AssertSqlSafe(explain)), binds)
                .fetch_all(store.pool())
                .await
                .unwrap();
        let plan: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        let uses = index.split('|').any(|i| plan.iter().any(|d| d.contains(i)))
            || (index.contains("users")
                && plan
                    .iter()
                    .any(|d| d.contains("INTEGER PRIMARY KEY") || d.contains("PRIMARY KEY")));
        assert!(uses, "{sql}\nexpected index {index}, plan: {plan:?}");
        assert!(
            !plan
                .iter()
                .any(|d| d.starts_with("SCAN ") && !d.contains("USING")),
            "full scan in {plan:?}"
        );
    }
}

#[tokio::test]
async fn postgres_list_queries_use_their_indexes() {
    let Some(db) = TestDb::postgres("query plans").await else {
        return;
    };
    let store = PgStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    // Empty tables make a sequential scan the cheapest plan; forbid it to see which index the
    // planner would use once the tables are large.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (sql, index, binds) in cases() {
        let explain = format!("EXPLAIN {sql}");
        let rows: Vec<(String,)> = bind_all!(sqlx::query_as(AssertSqlSafe(explain)), binds)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let plan: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        let uses = index
            .split('|')
            .any(|i| plan.iter().any(|line| line.contains(i)));
        assert!(
            uses,
            "{sql}\nexpected index {index}, plan:\n{}",
            plan.join("\n")
        );
    }
    drop(conn);
    store.close().await;
}
