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
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, SqliteExecutor};

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
    /// timed out waiting for connections. Writes that would go through the pool in a burst
    /// (search batches, and chat turns when the hot writer cannot take the lock) queue here
    /// instead, in process, and meet an idle write lock. Chat turns on the hot writer do not
    /// queue here (see `first_without_gate` in ferrochat-store).
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
            .connect_with(connect.clone())
            .await?;
        let write_gate = Arc::new(tokio::sync::Mutex::new(()));
        if !in_memory {
            let own = SqliteConnection::connect_with(&connect).await?;
            tokio::spawn(checkpoint(own, pool.clone(), write_gate.clone()));
        }
        let store = Self {
            pool,
            profiler: Profiler {
                slow_threshold: options.slow_query_threshold,
                timeout: options.statement_timeout,
            },
            max_connections: options.max_connections,
            hot,
            write_gate: Some(write_gate),
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
///
/// Once a checkpoint has copied the whole log back, the next write starts the log over, and
/// with `synchronous = NORMAL` SQLite fsyncs the new log header in that write. Left to the
/// next request, that fsync landed on a chat turn's commit about once a second (0.7 ms and up
/// on the CI VM, seen with strace on the async workers), and so on the time to first token.
/// The task makes that write itself instead, under the write gate (a chat turn racing it
/// finds SQLite's lock taken and goes through the pool, which waits for it).
///
/// It runs on a connection of its own so that `PRAGMA data_version` (which changes when
/// *another* connection commits) tells it whether anything was written since its last round:
/// an idle server neither checkpoints nor writes, rather than copying back its own write
/// every second.
async fn checkpoint(
    mut own: SqliteConnection,
    pool: SqlitePool,
    write_gate: Arc<tokio::sync::Mutex<()>>,
) {
    let mut seen = None;
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if pool.is_closed() {
            let _ = own.close().await;
            return;
        }
        match checkpoint_round(&mut own, &write_gate, seen).await {
            Ok(version) => seen = Some(version),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// One round of [`checkpoint`]: returns the `data_version` it leaves behind.
async fn checkpoint_round(
    own: &mut SqliteConnection,
    write_gate: &tokio::sync::Mutex<()>,
    seen: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let version = data_version(&mut *own).await?;
    if seen == Some(version) {
        return Ok(version);
    }
    // (busy, frames in the log, frames copied back): all of them copied means the next write
    // starts the log over.
    let (busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *own)
        .await?;
    if busy == 0 && log > 0 && copied == log {
        let _gate = write_gate.lock().await;
        // The smallest real write: the header's `user_version` (nothing uses it; sqlx keeps
        // its migrations in a table) set to the value it has, which still logs page 1.
        let (user_version,): (i64,) = sqlx::query_as("PRAGMA user_version")
            .fetch_one(&mut *own)
            .await?;
        // PRAGMA takes no bound parameters; the value is an integer SQLite just returned.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA user_version = {user_version}"
        )))
        .execute(&mut *own)
        .await?;
    }
    // Its own write leaves `data_version` as it was: the next round checkpoints again only
    // if another connection has committed since the version read above.
    Ok(version)
}

async fn data_version(conn: impl SqliteExecutor<'_>) -> Result<i64, sqlx::Error> {
    let (version,): (i64,) = sqlx::query_as("PRAGMA data_version")
        .fetch_one(conn)
        .await?;
    Ok(version)
}

/// Whether the URL names a private in-memory database (`sqlite::memory:`, `mode=memory`).
fn is_in_memory(url: &str, filename: &Path) -> bool {
    filename.as_os_str() == ":memory:" || url.contains(":memory:") || url.contains("mode=memory")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `(busy, frames in the log, frames copied)` of a checkpoint run from `conn`.
    async fn wal(conn: &mut SqliteConnection) -> (i64, i64, i64) {
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_checkpoint_task_restarts_the_log_itself_and_rests_when_idle() {
        let dir = std::env::temp_dir().join(format!("ferrochat-wal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wal.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0");
        let mut writer = SqliteConnection::connect_with(&options).await.unwrap();
        let mut own = SqliteConnection::connect_with(&options).await.unwrap();
        let gate = tokio::sync::Mutex::new(());
        sqlx::query("CREATE TABLE t (x TEXT)")
            .execute(&mut writer)
            .await
            .unwrap();
        for _ in 0..20 {
            sqlx::query("INSERT INTO t VALUES (randomblob(500))")
                .execute(&mut writer)
                .await
                .unwrap();
        }

        // Everything is copied back, then the task writes one page: the log started over
        // with that page, so a writer's next commit appends instead of restarting it.
        let seen = checkpoint_round(&mut own, &gate, None).await.unwrap();
        let before = data_version(&mut writer).await.unwrap();
        assert_eq!(wal(&mut writer).await, (0, 1, 1));

        // Nothing written by anyone else since: the next round neither checkpoints nor writes.
        let again = checkpoint_round(&mut own, &gate, Some(seen)).await.unwrap();
        assert_eq!(again, seen);
        assert_eq!(data_version(&mut writer).await.unwrap(), before);

        // A write by another connection is noticed and checkpointed.
        sqlx::query("INSERT INTO t VALUES ('more')")
            .execute(&mut writer)
            .await
            .unwrap();
        let after = checkpoint_round(&mut own, &gate, Some(seen)).await.unwrap();
        assert_ne!(after, seen);
        assert_eq!(wal(&mut writer).await, (0, 1, 1));
        assert_eq!(
            sqlx::query_as::<_, (i64,)>("SELECT count(*) FROM t")
                .fetch_one(&mut writer)
                .await
                .unwrap(),
            (21,)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
