//! Throwaway databases: a fresh SQLite file in a temporary directory, or a fresh schema in the
//! PostgreSQL named by `TEST_DATABASE_URL`, dropped when the guard goes away.

use std::io::Write as _;
use std::path::PathBuf;

use sqlx::Connection as _;

/// The environment variable naming the PostgreSQL server tests may use.
pub const PG_ENV: &str = "TEST_DATABASE_URL";

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    url: String,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<tempfile::TempDir>,
    /// `(admin URL, schema)` of a PostgreSQL schema to drop on drop.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite database file.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        Self {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL schema, or `None` (with a loud note on stderr) when `TEST_DATABASE_URL`
    /// is not set.
    pub async fn postgres(suite: &str) -> Option<Self> {
        let Some(admin) = std::env::var(PG_ENV).ok().filter(|v| !v.is_empty()) else {
            // Written straight to stderr, not with eprintln!: the test harness captures the
            // print macros of passing tests, and a skip must be seen in every log.
            let _ = writeln!(
                std::io::stderr(),
                "*** SKIPPED: {suite} on PostgreSQL: set {PG_ENV} (e.g. postgres://postgres@127.0.0.1/test) to run it ***"
            );
            return None;
        };
        let schema = format!("ferrochat_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let _ = conn.close().await;
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options[search_path]={schema}");
        Some(Self {
            url,
            _dir: None,
            pg: Some((admin, schema)),
        })
    }

    /// The URL to hand to the server or store.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file, for tests that reopen it.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.url.strip_prefix("sqlite:").map(PathBuf::from)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, schema)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on; a short-lived thread
        // with its own runtime does the cleanup and is joined so the schema is gone when the
        // test ends.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA \"{schema}\" CASCADE"
                )))
                .execute(&mut conn)
                .await
                .ok()?;
                conn.close().await.ok()
            })
        });
        let _ = cleanup.join();
    }
}
