//! SQLite engine: the embedded default, one database file under the data directory.
//!
//! Opens the file in WAL mode (readers never block the writer), with a busy timeout (a second
//! writer waits instead of failing at once) and foreign keys on (SQLite leaves them off unless
//! asked, and account deletion relies on `ON DELETE CASCADE`). SQLite has no server-side
//! statement timeout, so the profiler enforces it on the client side.
#![warn(missing_docs)]

mod read;
mod search;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ferrochat_store::sql::hot::HotReads;

use ferrochat_store::{PoolOptions, Profiler, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

ferrochat_store::impl_sql_stores!(SqliteStore, ferrochat_store::Engine::Sqlite);

/// Migrations embedded in the binary; versions match the PostgreSQL set one for one.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite implementation of every store trait.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    profiler: Profiler,
    max_connections: u32,
    /// Direct connections for the hot reads; `None` for an in-memory database, which another
    /// connection could not see.
    hot: Option<Arc<dyn HotReads>>,
    /// SQLite has one writer at a time; pooled connections that race for it fall into its
    /// busy handler, which sleeps in steps of up to 100 ms. A burst of 5,000 chat starts then
    /// timed out waiting for connections. The busiest writes queue here instead, in process,
    /// and meet an idle write lock.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database named by a `sqlite:` URL. Does not migrate.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let connect = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only an OS crash can
            // lose the last transactions, which is the usual trade for embedded servers.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let in_memory = is_in_memory(url, connect.get_filename());
        // Checkpoints fsync; run inside a commit they stalled the request that tripped them
        // (tens of ms at p99 on a chat's first write). A background task does them instead.
        let connect = if in_memory {
            connect
        } else {
            connect.pragma("wal_autocheckpoint", "0")
        };
        let hot: Option<Arc<dyn HotReads>> = if in_memory {
            None
        } else {
            Some(Arc::new(read::Readers::new(
                connect.get_filename().to_path_buf(),
                BUSY_TIMEOUT,
            )))
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(options.idle_timeout)
            .connect_with(connect)
            .await?;
        if !in_memory {
            tokio::spawn(checkpoint(pool.clone()));
        }
        let store = Self {
            pool,
            profiler: Profiler {
                slow_threshold: options.slow_query_threshold,
                timeout: options.statement_timeout,
            },
            max_connections: options.max_connections,
            hot,
            write_gate: Some(Arc::new(tokio::sync::Mutex::new(()))),
        };
        tokio::spawn(search::index_in_background(store.clone()));
        Ok(store)
    }

    /// The underlying pool, for tests that inspect query plans.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Begins a transaction that will write. `BEGIN IMMEDIATE` takes the write lock up front,
    /// waiting in the busy handler; a deferred transaction that read first and then wrote
    /// failed at once with "database is locked" whenever another connection (the background
    /// search indexer) had committed in between, since its snapshot could no longer be upgraded.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Checkpoints the WAL every second, off the request path, until the pool closes. PASSIVE never
/// waits for (or blocks) readers and writers; a busy round is simply retried next time.
async fn checkpoint(pool: SqlitePool) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// Whether the URL names a private in-memory database (`sqlite::memory:`, `mode=memory`).
fn is_in_memory(url: &str, filename: &Path) -> bool {
    filename.as_os_str() == ":memory:" || url.contains(":memory:") || url.contains("mode=memory")
}
