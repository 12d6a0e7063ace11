//! PostgreSQL engine: for installations that outgrow one machine or run several instances.
//!
//! The statement timeout is enforced by the server (`statement_timeout`, set per connection at
//! start-up), so a runaway query is cancelled where it runs rather than only abandoned by us.
#![warn(missing_docs)]

mod auth_tokens;
mod sessions;
mod two_factor;
mod users;

use std::str::FromStr;

use async_trait::async_trait;
use ferrochat_store::{
    Engine, Maintenance, MigrationInfo, PoolOptions, PoolStats, Profiler, StoreError, StoreResult,
};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// Migrations embedded in the binary; versions match the SQLite set one for one.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The PostgreSQL implementation of every store trait.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    profiler: Profiler,
    max_connections: u32,
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
        })
    }

    /// The underlying pool, for tests that inspect query plans.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Maintenance for PgStore {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        self.profiler
            .run("ping", async {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            })
            .await
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.max_connections,
        }
    }

    async fn migrate(&self) -> StoreResult<Vec<i64>> {
        let before = self.migration_status().await?;
        MIGRATOR.run(&self.pool).await?;
        Ok(before
            .into_iter()
            .filter(|m| !m.applied)
            .map(|m| m.version)
            .collect())
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationInfo>> {
        let mut conn = self.pool.acquire().await?;
        ferrochat_store::migration_status(&MIGRATOR, &mut *conn).await
    }

    fn embedded_migrations(&self) -> Vec<i64> {
        MIGRATOR.iter().map(|m| m.version).collect()
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
