//! PostgreSQL engine: for installations that outgrow one machine or run several instances.
//!
//! The statement timeout is enforced by the server (`statement_timeout`, set per connection at
//! start-up), so a runaway query is cancelled where it runs rather than only abandoned by us.
#![warn(missing_docs)]

mod search;

use std::str::FromStr;

use ferrochat_store::{PoolOptions, Profiler, StoreError, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

ferrochat_store::impl_sql_stores!(PgStore, ferrochat_store::Engine::Postgres);

/// Migrations embedded in the binary; versions match the SQLite set one for one.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The PostgreSQL implementation of every store trait.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    profiler: Profiler,
    max_connections: u32,
    /// None: the PostgreSQL driver has no per-row hand-off worth avoiding.
    hot: Option<std::sync::Arc<dyn ferrochat_store::sql::hot::HotReads>>,
    /// None: PostgreSQL has row locks, writers need no queue (see the SQLite store).
    write_gate: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

impl PgStore {
    /// Connects to the database named by a `postgres:` URL. Does not migrate.
    ///
    /// A `search_path` given in the URL (`?options=-c%20search_path%3Dname`) is honoured, which
    /// is how tests give each run a schema of its own.
    pub async fn connect(url: &str, options: &PoolOptions) -> StoreResult<Self> {
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("ferrochat");
        if let Some(limit) = options.statement_timeout {
            connect = connect.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(options.idle_timeout)
            .connect_with(connect)
            .await?;
        Ok(Self {
            pool,
            profiler: Profiler {
                slow_threshold: options.slow_query_threshold,
                timeout: None,
            },
            max_connections: options.max_connections,
            hot: None,
            write_gate: None,
        })
    }

    /// The underlying pool, for tests that inspect query plans.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begins a transaction that will write (row locks make a plain `BEGIN` enough here; the
    /// SQLite store takes its one write lock up front).
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}
