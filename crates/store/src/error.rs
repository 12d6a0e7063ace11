//! The storage layer's one error type.

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Why a store call failed. Services turn these into domain errors; nothing above the services
/// sees them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not visible to the caller's query).
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; `constraint` names it so services
    /// can say which field clashed.
    #[error("constraint `{constraint}` violated")]
    Conflict {
        /// The database's name for the constraint (or index) that refused the write.
        constraint: String,
    },
    /// The database could not be reached or no connection was free in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The statement ran longer than the configured statement timeout.
    #[error("statement timed out")]
    Timeout,
    /// Anything else; logged as an internal error.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Whether this is a conflict on `table.column`, whichever engine reported it: SQLite names
    /// the columns (`users.email`), PostgreSQL the constraint (`users_email_key`).
    pub fn is_conflict_on(&self, table: &str, column: &str) -> bool {
        match self {
            StoreError::Conflict { constraint } => {
                let (t, c) = (table, column);
                *constraint == format!("{t}.{c}") || *constraint == format!("{t}_{c}_key")
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(err.to_string())
            }
            sqlx::Error::Database(db) => {
                // PostgreSQL reports statement_timeout as query_canceled (57014).
                if db.code().as_deref() == Some("57014") {
                    return StoreError::Timeout;
                }
                if db.is_unique_violation() || db.is_foreign_key_violation() {
                    let constraint = db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| constraint_from_message(db.message()));
                    return StoreError::Conflict { constraint };
                }
                StoreError::Other(Box::new(sqlx::Error::Database(db)))
            }
            other => StoreError::Other(Box::new(other)),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(Box::new(err))
    }
}

/// SQLite names no constraint, only the columns: "UNIQUE constraint failed: users.email".
/// Services match on `users.email`, which is also how the PostgreSQL constraints are named.
fn constraint_from_message(message: &str) -> String {
    message
        .rsplit_once(": ")
        .map(|(_, cols)| cols.trim().to_owned())
        .unwrap_or_else(|| message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::constraint_from_message;

    #[test]
    fn sqlite_messages_yield_the_column_list() {
        assert_eq!(
            constraint_from_message("UNIQUE constraint failed: users.email"),
            "users.email"
        );
        assert_eq!(constraint_from_message("odd"), "odd");
    }
}
