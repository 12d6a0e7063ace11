//! Whole-database dumps and loads, the same on both engines: a backup made from SQLite loads
//! into PostgreSQL and back (the way to move an installation from one to the other).
//!
//! The store only reads and writes rows; the file format, checks and scheduling are the
//! services' (`ferrochat_services::backup`).

use async_trait::async_trait;
use serde_json::Value;

use crate::StoreResult;

/// Receives a dump: each table's name and columns, then its rows (one value per column:
/// `null`, a string, an integer or a boolean).
pub trait DumpSink: Send {
    /// A table starts.
    fn table(&mut self, name: &str, columns: &[String]) -> std::io::Result<()>;
    /// One row of the current table.
    fn row(&mut self, values: &[Value]) -> std::io::Result<()>;
}

/// One item of a dump being loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadItem {
    /// A table starts, with the columns its rows list.
    Table {
        /// Table name.
        name: String,
        /// Column names.
        columns: Vec<String>,
    },
    /// One row of the current table.
    Row(Vec<Value>),
}

/// What a dump or load covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupCounts {
    /// Tables.
    pub tables: usize,
    /// Rows in all.
    pub rows: u64,
}

/// Dumps and loads every data table (not the migration ledger or derived search indexes,
/// which each engine rebuilds).
#[async_trait]
pub trait BackupStore: Send + Sync {
    /// Writes every data table, parents before the tables that reference them, from one
    /// consistent snapshot (writers carry on meanwhile).
    async fn dump(&self, sink: &mut dyn DumpSink) -> StoreResult<BackupCounts>;

    /// Whether any account exists (a load needs an empty database).
    async fn is_empty(&self) -> StoreResult<bool>;

    /// Loads a dump into this migrated, empty database in one transaction: all of it or
    /// nothing. Tables and columns are matched by name, so a dump made before later
    /// migrations added columns loads (they take their defaults); a table or column this
    /// schema lacks is an error.
    async fn load(
        &self,
        items: &mut (dyn Iterator<Item = Result<LoadItem, String>> + Send),
    ) -> StoreResult<BackupCounts>;
}
