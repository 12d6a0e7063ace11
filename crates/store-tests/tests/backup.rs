//! Dumps and loads (`BackupStore`): a dump of a database filled by the stories loads into an
//! empty database of either engine and dumps back identically; a failed load changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrochat_store::{DumpSink, DynStore, LoadItem, Maintenance, PoolOptions, Store};
use ferrochat_store_postgres::PgStore;
use ferrochat_store_sqlite::SqliteStore;
use ferrochat_store_tests::{chat, organize, search, shares, users, webhooks};
use ferrochat_test_support::TestDb;
use serde_json::Value;

#[derive(Default)]
struct Collect(Vec<LoadItem>);

impl DumpSink for Collect {
    fn table(&mut self, name: &str, columns: &[String]) -> std::io::Result<()> {
        self.0.push(LoadItem::Table {
            name: name.into(),
            columns: columns.to_vec(),
        });
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
        self.0.push(LoadItem::Row(values.to_vec()));
        Ok(())
    }
}

async fn sqlite(db: &TestDb) -> DynStore {
    let store = SqliteStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

async fn postgres(db: &TestDb) -> DynStore {
    let store = PgStore::connect(db.url(), &PoolOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    Arc::new(store)
}

async fn dump(store: &dyn Store) -> Vec<LoadItem> {
    let mut sink = Collect::default();
    let counts = store.dump(&mut sink).await.unwrap();
    let rows = sink
        .0
        .iter()
        .filter(|i| matches!(i, LoadItem::Row(_)))
        .count();
    assert_eq!(counts.rows, rows as u64);
    sink.0
}

async fn load(store: &dyn Store, items: &[LoadItem]) -> Result<(), String> {
    let mut it = items.iter().cloned().map(Ok);
    store
        .load(&mut it)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Each table's columns and rows (rows in a fixed order: a dump's order is the engine's).
fn tables(items: &[LoadItem]) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut out: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut current = String::new();
    for item in items {
        match item {
            LoadItem::Table { name, columns } => {
                current = name.clone();
                out.insert(name.clone(), (columns.clone(), Vec::new()));
            }
            LoadItem::Row(values) => out
                .get_mut(&current)
                .unwrap()
                .1
                .push(Value::Array(values.clone()).to_string()),
        }
    }
    for (_, rows) in out.values_mut() {
        rows.sort();
    }
    out
}

/// A database with a bit of everything: the stories leave their data behind.
async fn fill(store: &dyn Store) {
    chat::turns(store).await;
    search::messages(store).await;
    shares::listing_and_lifecycle(store).await;
    webhooks::hooks(store).await;
    webhooks::queue(store).await;
    organize::folders(store).await;
    users::two_factor(store).await;
}

#[tokio::test]
async fn a_dump_loads_into_either_engine_and_dumps_back_the_same() {
    let source_db = TestDb::sqlite();
    let source = sqlite(&source_db).await;
    fill(&*source).await;
    let original = dump(&*source).await;
    let expected = tables(&original);
    // Parents come before the tables that reference them.
    let order: Vec<&String> = original
        .iter()
        .filter_map(|i| match i {
            LoadItem::Table { name, .. } => Some(name),
            LoadItem::Row(_) => None,
        })
        .collect();
    let at = |t: &str| order.iter().position(|n| *n == t).unwrap();
    assert!(at("users") < at("conversations"));
    assert!(at("folders") < at("conversations"));
    assert!(at("conversations") < at("messages"));
    assert!(at("webhooks") < at("webhook_deliveries"));
    assert!(
        !order
            .iter()
            .any(|t| t.starts_with("message_search") || t.starts_with("_sqlx"))
    );
    for table in [
        "users",
        "conversations",
        "messages",
        "folders",
        "webhooks",
        "webhook_deliveries",
        "generations",
    ] {
        assert!(!expected[table].1.is_empty(), "{table} has rows to carry");
    }

    let copy_db = TestDb::sqlite();
    let copy = sqlite(&copy_db).await;
    assert!(copy.is_empty().await.unwrap());
    load(&*copy, &original).await.unwrap();
    assert!(!copy.is_empty().await.unwrap());
    assert_eq!(tables(&dump(&*copy).await), expected);

    let Some(pg_db) = TestDb::postgres("backup round trip").await else {
        return;
    };
    let pg = postgres(&pg_db).await;
    load(&*pg, &original).await.unwrap();
    let from_pg = dump(&*pg).await;
    assert_eq!(tables(&from_pg), expected, "SQLite → PostgreSQL");
    let back_db = TestDb::sqlite();
    let back = sqlite(&back_db).await;
    load(&*back, &from_pg).await.unwrap();
    assert_eq!(tables(&dump(&*back).await), expected, "PostgreSQL → SQLite");
}

#[tokio::test]
async fn a_failed_load_changes_nothing() {
    let source_db = TestDb::sqlite();
    let source = sqlite(&source_db).await;
    users::create_and_read(&*source).await;
    let items = dump(&*source).await;
    let users_at = items
        .iter()
        .position(|i| matches!(i, LoadItem::Table { name, .. } if name == "users"))
        .unwrap();
    let LoadItem::Table { columns, .. } = &items[users_at] else {
        unreachable!()
    };
    let user_row = items[users_at + 1].clone();
    let users_table = items[users_at].clone();
    let width = columns.len();

    let target_db = TestDb::sqlite();
    let target = sqlite(&target_db).await;
    let bad = |tail: Vec<LoadItem>| {
        let mut v = vec![users_table.clone(), user_row.clone()];
        v.extend(tail);
        v
    };
    for (items, expect) in [
        (
            bad(vec![LoadItem::Table {
                name: "nope".into(),
                columns: vec!["id".into()],
            }]),
            "does not know",
        ),
        (
            bad(vec![LoadItem::Row(vec![Value::Null; width + 1])]),
            "values for",
        ),
        (
            bad(vec![LoadItem::Row(vec![Value::from(1.5); width])]),
            "does not fit",
        ),
        (bad(vec![users_table.clone()]), "appears twice"),
    ] {
        let err = load(&*target, &items).await.unwrap_err();
        assert!(err.contains(expect), "{err}");
        assert!(target.is_empty().await.unwrap(), "rolled back: {err}");
    }
    // A reader error (a damaged file) rolls back too.
    let mut failing = vec![
        Ok(users_table),
        Ok(user_row),
        Err("damaged line".to_owned()),
    ]
    .into_iter();
    let err = target.load(&mut failing).await.unwrap_err().to_string();
    assert!(err.contains("damaged line"), "{err}");
    assert!(target.is_empty().await.unwrap());
}
