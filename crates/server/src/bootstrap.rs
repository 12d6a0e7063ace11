//! Start-up steps shared by `serve`, `migrate` and the `user` commands.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrochat_config::{Config, DatabaseConfig, Secrets, secrets::SecretsError};
use ferrochat_store::{DynStore, PoolOptions, StoreError};
use ferrochat_store_postgres::PgStore;
use ferrochat_store_sqlite::SqliteStore;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// Secrets could not be read or generated.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// Redis was configured but could not be reached.
    #[error("redis: {0}")]
    Redis(String),
    /// An unexpected failure while assembling the services.
    #[error("start-up failed: {0}")]
    Internal(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// The IO error.
        source: std::io::Error,
    },
}

/// Creates the data directory (owner-only on Unix, since it holds the secrets) and its `files`
/// folder, then loads or generates the secrets kept there.
pub fn prepare_data_dir(config: &Config) -> Result<Secrets, BootError> {
    let dir = &config.data_dir;
    create_private_dir(dir)?;
    create_private_dir(&dir.join("files"))?;
    Ok(Secrets::resolve(config)?)
}

fn create_private_dir(path: &Path) -> Result<(), BootError> {
    let err = |source| BootError::DataDir {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path).map_err(err)
}

/// Pool settings from configuration.
pub fn pool_options(db: &DatabaseConfig) -> PoolOptions {
    PoolOptions {
        max_connections: db.max_connections,
        acquire_timeout: db.acquire_timeout,
        idle_timeout: db.idle_timeout,
        statement_timeout: db.statement_timeout,
        slow_query_threshold: db.slow_query_threshold,
    }
}

/// Opens the engine the URL names. Does not migrate.
pub async fn open_store(db: &DatabaseConfig) -> Result<DynStore, BootError> {
    let url = db.url.expose();
    let options = pool_options(db);
    if db.is_postgres() {
        return Ok(Arc::new(PgStore::connect(url, &options).await?));
    }
    if let Some(parent) = sqlite_file(url).and_then(|p| p.parent().map(Path::to_owned))
        && !parent.as_os_str().is_empty()
    {
        create_private_dir(&parent)?;
    }
    Ok(Arc::new(SqliteStore::connect(url, &options).await?))
}

/// The file a `sqlite:` URL points at (`sqlite:path`, `sqlite://path`, with or without query),
/// or `None` for in-memory databases.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;
    use std::path::PathBuf;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite:./data/f.db"),
            Some(PathBuf::from("./data/f.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///tmp/f.db?mode=rwc"),
            Some(PathBuf::from("/tmp/f.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
