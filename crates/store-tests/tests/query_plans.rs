//! Every list query is backed by an index, on both engines: the plans are asserted, so an
//! index dropped or a query rewritten past its index fails here rather than in production.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ferrochat_core::{FolderId, ShareId};
use ferrochat_store::sql::conversations::Bind;
use ferrochat_store::sql::{
    conversations, digest, files, organize, prompts, search, sessions, shares, usage, users,
    webhooks,
};
use ferrochat_store::{
    ConversationFilter, Engine, Maintenance, PoolOptions, ShareKey, ShareOrder, ShareQuery,
};
use ferrochat_store_postgres::PgStore;
use ferrochat_store_sqlite::SqliteStore;
use ferrochat_test_support::TestDb;
use sqlx::AssertSqlSafe;

const USER: &str = "0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77";

/// (statement, indexes it must use (all of those split by `&`, each one of the alternatives
/// split by `|`), values) on `engine`.
fn cases(engine: Engine) -> Vec<(String, &'static str, Vec<Bind>)> {
    let t = |s: &str| Bind::Text(s.into());
    let i = Bind::Int;
    let tags = ["work".to_owned(), "later".to_owned()];
    let folder = FolderId::new();
    let terms = ["hello".to_owned(), "wor".to_owned()];
    // The full-text index: FTS5's virtual table on SQLite, the GIN index on PostgreSQL. On
    // empty tables PostgreSQL's planner prefers walking the user's conversations and filtering
    // their messages, so for the joins either is accepted; the bare match below must use GIN,
    // which proves the queries' expression is the index's.
    let full_text = match engine {
        Engine::Sqlite => "VIRTUAL TABLE INDEX&message_search_docs_user",
        Engine::Postgres => "messages_search|messages_conversation",
    };
    let list = |filter: ConversationFilter<'_>, after: Option<(i64, &str)>| {
        let s = conversations::list(engine, USER, &filter, after, 26);
        (s.sql, s.binds)
    };
    let mut out = vec![];
    for (filter, index) in [
        (ConversationFilter::default(), "conversations_user_list"),
        (
            ConversationFilter {
                archived: true,
                ..ConversationFilter::default()
            },
            "conversations_user_list",
        ),
        (
            ConversationFilter {
                folder: Some(folder),
                ..ConversationFilter::default()
            },
            "conversations_folder_list",
        ),
        (
            ConversationFilter {
                tags: &tags,
                ..ConversationFilter::default()
            },
            "conversations_user_list",
        ),
    ] {
        for after in [None, Some((1_764_000_000_000, USER))] {
            let (sql, binds) = list(filter, after);
            out.push((sql, index, binds));
        }
    }
    let searched = ConversationFilter {
        search: Some(&terms),
        ..ConversationFilter::default()
    };
    let (sql, binds) = list(searched, None);
    let both: &'static str = match engine {
        Engine::Sqlite => "conversations_user_list&VIRTUAL TABLE INDEX",
        Engine::Postgres => "conversations_user_list&messages_search|messages_conversation",
    };
    out.push((sql, both, binds));
    let query = t(&search::query_text(engine, &terms));
    let bare = search::matching_conversations(engine, "$1", "$2");
    let index = match engine {
        Engine::Sqlite => "VIRTUAL TABLE INDEX",
        Engine::Postgres => "messages_search",
    };
    out.push((bare, index, vec![t(USER), query]));
    for after in [false, true] {
        let mut binds = vec![t(USER), t(&search::query_text(engine, &terms))];
        if after {
            binds.extend([i(1_764_000_000_000), t(USER)]);
        }
        out.push((search::hits(engine, after, 26), full_text, binds));
    }
    for after in [false, true] {
        let mut binds = vec![t(USER), t(USER)];
        if after {
            binds.extend([i(1_764_000_000_000), t(USER)]);
        }
        out.push((
            conversations::messages_page(after, 101),
            "messages_conversation",
            binds,
        ));
    }
    let share = ShareId::from_random([1; ShareId::LEN]);
    let words = ["trip".to_owned()];
    for order in [
        ShareOrder::CreatedDesc,
        ShareOrder::CreatedAsc,
        ShareOrder::TitleAsc,
        ShareOrder::TitleDesc,
    ] {
        let (index, key) = match order {
            ShareOrder::CreatedDesc | ShareOrder::CreatedAsc => (
                "shared_links_user_created",
                ShareKey::Created(ferrochat_store_tests::t0(), share.clone()),
            ),
            ShareOrder::TitleAsc | ShareOrder::TitleDesc => (
                "shared_links_user_title",
                ShareKey::Title("Trip".into(), share.clone()),
            ),
        };
        for after in [None, Some(key)] {
            let query = ShareQuery {
                order,
                title_words: &words,
                after,
                limit: 11,
            };
            let s = shares::list(USER, &query);
            out.push((s.sql, index, s.binds));
        }
    }
    let fixed: Vec<(&str, &str, Vec<Bind>)> = vec![
        (
            conversations::MESSAGES,
            "messages_conversation",
            vec![t(USER), t(USER)],
        ),
        (
            sessions::LIST_FOR_USER,
            "sessions_user_created",
            vec![t(USER)],
        ),
        (
            users::LIST_AFTER,
            "users_pkey|sqlite_autoindex_users_1",
            vec![t(USER), i(10)],
        ),
        (organize::TAGS, "tags_user_name", vec![t(USER)]),
        (
            organize::CONVERSATION_TAGS,
            "conversation_tags_pkey|conversation_tags_tag|sqlite_autoindex_conversation_tags_1",
            vec![t(USER), t(USER)],
        ),
        (organize::FOLDERS, "folders_user_name", vec![t(USER)]),
        (
            shares::BY_CONVERSATION,
            "shared_links_conversation",
            vec![t(USER), t(USER)],
        ),
        (webhooks::LIST, "webhooks_user", vec![t(USER)]),
        (prompts::PROMPTS, "prompts_group", vec![t(USER), t(USER)]),
        (
            prompts::BY_COMMAND,
            "prompt_groups_command",
            vec![t(USER), t("sum")],
        ),
        (
            webhooks::GET_DELIVERY,
            "webhook_deliveries_pkey|webhook_deliveries_webhook|sqlite_autoindex_webhook_deliveries_1",
            vec![t(USER), t(USER), t(USER)],
        ),
        (
            organize::PRESETS,
            "presets_pkey|sqlite_autoindex_presets_1",
            vec![t(USER)],
        ),
    ];
    // The prompt library, most recently changed first (the LibreChat sidebar's list).
    let prompt_list = prompts::list(
        USER,
        &ferrochat_store::PromptGroupQuery {
            limit: 11,
            ..Default::default()
        },
    );
    out.push((prompt_list.sql, "prompt_groups_user", prompt_list.binds));
    // Usage: one user's answers by their index, everyone's by time.
    let period = |user: Option<ferrochat_core::UserId>| ferrochat_store::UsageQuery {
        user,
        from: chrono::DateTime::from_timestamp_millis(0).unwrap(),
        to: chrono::DateTime::from_timestamp_millis(1).unwrap(),
        group: Some(ferrochat_store::UsageGroup::Model),
    };
    out.push((
        usage::usage(&period(Some(USER.parse().unwrap()))),
        "generations_user_time|generations_time",
        vec![i(0), i(1), t(USER)],
    ));
    out.push((
        usage::usage(&period(None)),
        "generations_time",
        vec![i(0), i(1)],
    ));
    // The workers' claim walks only due pending rows; the delivery log pages by webhook.
    out.push((
        webhooks::claim(16),
        "webhook_deliveries_due",
        vec![i(0), i(1)],
    ));
    out.push((
        webhooks::page(21),
        "webhook_deliveries_webhook",
        vec![t(USER), t(USER), i(0), t(USER)],
    ));
    // Files: the owner's pages and quota by the owner's index; the upload sweep by expiry.
    out.push((files::page(51), "files_user", vec![t(USER), i(0), t(USER)]));
    out.push((
        files::BYTES_USED.to_owned(),
        "files_user&uploads_user",
        vec![t(USER)],
    ));
    out.push((
        files::EXPIRED.to_owned(),
        "uploads_expiry",
        vec![i(0), i(100)],
    ));
    // Weekly digests: the due subscribers by their index (a first page and a later one); a
    // user's busy conversations by the list's index and their messages by conversation.
    out.push((
        digest::DUE.to_owned(),
        "digest_subscriptions_due",
        vec![i(1), i(0), t(""), i(100)],
    ));
    out.push((
        digest::ACTIVE.to_owned(),
        "conversations_user_list&messages_conversation",
        vec![t(USER), i(0), i(1), i(5)],
    ));
    out.extend(
        fixed
            .into_iter()
            .map(|(sql, index, binds)| (sql.to_owned(), index, binds)),
    );
    out
}

macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut q = $query;
        for value in $binds {
            q = match value {
                Bind::Text(t) => q.bind(t),
                Bind::Int(i) => q.bind(i),
                Bind::Bool(b) => q.bind(b),
            };
        }
        q
    }};
}

/// Whether `plan` names every index `spec` asks for (see [`cases`]).
fn uses_all(spec: &str, plan: &[impl AsRef<str>]) -> bool {
    spec.split('&').all(|all| {
        all.split('|')
            .any(|one| plan.iter().any(|line| line.as_ref().contains(one)))
    })
}

#[tokio::test]
async fn sqlite_list_queries_use_their_indexes() {
    let db = TestDb::sqlite();
    let store = SqliteStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    for (sql, index, binds) in cases(Engine::Sqlite) {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let rows: Vec<(i64, i64, i64, String)> =
            bind_all!(sqlx::query_as(AssertSqlSafe(explain)), binds)
                .fetch_all(store.pool())
                .await
                .unwrap();
        let plan: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        let uses = uses_all(index, &plan)
            || (index.contains("users")
                && plan
                    .iter()
                    .any(|d| d.contains("INTEGER PRIMARY KEY") || d.contains("PRIMARY KEY")));
        assert!(uses, "{sql}\nexpected index {index}, plan: {plan:?}");
        assert!(
            !plan.iter().any(|d| d.starts_with("SCAN ")
                && !d.contains("USING")
                && !d.contains("VIRTUAL TABLE INDEX")
                // The one-row FROM-less select around scalar subqueries (the quota sum).
                && *d != "SCAN CONSTANT ROW"),
            "full scan in {plan:?}"
        );
        // FTS5 probed by rowid with the match (`=M`) runs the whole match once per outer row.
        assert!(
            !plan.iter().any(|d| d.contains(":=M")),
            "the full-text match in an inner loop: {plan:?}"
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
    // Likewise, with a handful of rows sorting beats walking an index in order; forbid that too,
    // so a list with two indexes on its user (shared links) shows the one matching its order.
    for setting in ["SET enable_seqscan = off", "SET enable_sort = off"] {
        sqlx::query(setting).execute(&mut *conn).await.unwrap();
    }
    for (sql, index, binds) in cases(Engine::Postgres) {
        let explain = format!("EXPLAIN {sql}");
        let rows: Vec<(String,)> = bind_all!(sqlx::query_as(AssertSqlSafe(explain)), binds)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let plan: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        let uses = uses_all(index, &plan);
        assert!(
            uses,
            "{sql}\nexpected index {index}, plan:\n{}",
            plan.join("\n")
        );
    }
    drop(conn);
    store.close().await;
}
