//! Engine-level operations: health, pool statistics, migrations.

use async_trait::async_trait;
use sqlx::migrate::{Migrate, Migrator};

use crate::{PoolStats, StoreResult};

/// Which database engine backs a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The embedded default.
    Sqlite,
    /// For several instances or large installations.
    Postgres,
}

impl Engine {
    /// Lower-case name, as used in metrics labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// One embedded migration and whether the database has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationInfo {
    /// Version number; identical on both engines for the same change.
    pub version: i64,
    /// The file name's description part.
    pub description: String,
    /// Whether the database recorded it as applied.
    pub applied: bool,
    /// `false` when the applied migration's checksum differs from the embedded file, i.e. a
    /// released migration was edited (never do that: add a new one).
    pub checksum_matches: bool,
}

/// Operations on the engine itself rather than on an aggregate.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Which engine this is.
    fn engine(&self) -> Engine;

    /// Round-trips a trivial statement; `/ready` uses it.
    async fn ping(&self) -> StoreResult<()>;

    /// Current pool usage.
    fn pool_stats(&self) -> PoolStats;

    /// Applies pending migrations; returns the versions applied now.
    async fn migrate(&self) -> StoreResult<Vec<i64>>;

    /// Every embedded migration with its state in the database.
    async fn migration_status(&self) -> StoreResult<Vec<MigrationInfo>>;

    /// Versions embedded in the binary for this engine, without touching the database.
    fn embedded_migrations(&self) -> Vec<i64>;

    /// Closes the pool, waiting for connections to be returned.
    async fn close(&self);
}

/// Shared implementation of [`Maintenance::migration_status`] for any sqlx connection.
pub async fn migration_status<C>(
    migrator: &Migrator,
    conn: &mut C,
) -> StoreResult<Vec<MigrationInfo>>
where
    C: Migrate + Send + ?Sized,
{
    conn.ensure_migrations_table(&migrator.table_name).await?;
    let applied = conn.list_applied_migrations(&migrator.table_name).await?;
    Ok(migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| {
            let found = applied.iter().find(|a| a.version == m.version);
            MigrationInfo {
                version: m.version,
                description: m.description.to_string(),
                applied: found.is_some(),
                checksum_matches: found.is_none_or(|a| a.checksum == m.checksum),
            }
        })
        .collect())
}
