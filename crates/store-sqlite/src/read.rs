//! The hot reads ([`HotReads`]) on plain SQLite connections, called directly.
//!
//! sqlx runs every SQLite connection on a thread of its own and sends each result row back
//! through a channel, so a request pays two thread wake-ups per query plus one per row. These
//! connections are used in place instead: read-only, WAL (readers never wait for the writer),
//! kept in a small idle list and opened on demand. Writes stay on the sqlx pool, whose commits
//! these connections see as soon as they start their next statement — except the start of a
//! chat turn, written here on one dedicated connection that never waits for the lock (see
//! [`HotReads::start_turn`]).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, Generation, Message};
use ferrochat_store::sql::chat;
use ferrochat_store::sql::conversations::{
    Bind, ConversationRow, INSERT, INSERT_MESSAGE, MESSAGES, MessageRow, Statement,
};
use ferrochat_store::sql::hot::{HotReads, Wait};
use ferrochat_store::sql::search::{SQLITE_INDEX_BATCH, SQLITE_NEXT_BATCH};
use ferrochat_store::sql::time::to_millis;
use ferrochat_store::sql::users::{BY_SESSION, SessionUserRow, UserRow};
use ferrochat_store::{StoreError, StoreResult};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, ToSql, TransactionBehavior};

/// Idle connections kept for reuse; more are opened under load and closed afterwards.
const MAX_IDLE: usize = 8;
/// Statements each connection keeps prepared (the list has a few shapes).
const STATEMENT_CACHE: usize = 32;

/// Read-only connections to one database file.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    /// The connection chat turns are written on (opened on first use).
    writer: Mutex<Option<Connection>>,
}

fn other(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
        e => StoreError::Other(Box::new(e)),
    }
}

impl Readers {
    /// Readers for the database file at `path` (opened lazily, after the pool created it).
    pub fn new(path: PathBuf, busy_timeout: Duration) -> Self {
        Self {
            path,
            busy_timeout,
            idle: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
        }
    }

    /// The writer: the pool's settings (foreign keys, NORMAL sync, no automatic checkpoints),
    /// and no busy wait: when another connection writes, the caller uses the pool.
    fn open_writer(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::ZERO)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        // Read-write at the file level, read-only by pragma: a read-only connection cannot
        // create the WAL index (`-shm`), which SQLite removes once the last connection closes,
        // as the sqlx pool's do when it sits idle.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(self.busy_timeout)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Runs `write` in one immediate transaction on the writer connection, without waiting for
    /// the database: `None` when its lock is taken, when another thread uses the writer and
    /// `wait` is [`Wait::No`], or when the writer cannot be opened, so the caller goes on
    /// another way; otherwise its result, a missing row as `NotFound` and a unique clash as a
    /// conflict.
    fn on_writer<T>(
        &self,
        wait: Wait,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Option<StoreResult<T>> {
        let mut guard = match wait {
            Wait::Yes => self.writer.lock().ok()?,
            Wait::No => self.writer.try_lock().ok()?,
        };
        if guard.is_none() {
            *guard = Some(self.open_writer().ok()?);
        }
        let conn = guard.as_mut()?;
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) if is_busy(&e) => return None,
            Err(e) => return Some(Err(other(e))),
        };
        match write(&tx) {
            Ok(out) => match tx.commit() {
                Ok(()) => Some(Ok(out)),
                Err(e) if is_busy(&e) => None,
                Err(e) => Some(Err(other(e))),
            },
            Err(e) if is_busy(&e) => None,
            Err(e) => Some(Err(conflict_or_other(e))),
        }
    }

    /// Runs `f` on an idle connection (or a new one) and returns the connection afterwards.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let idle = self.idle.lock().ok().and_then(|mut list| list.pop());
        let conn = match idle {
            Some(c) => c,
            None => self.open().map_err(other)?,
        };
        let out = f(&conn);
        if let Ok(mut list) = self.idle.lock()
            && list.len() < MAX_IDLE
        {
            list.push(conn);
        }
        out.map_err(other)
    }

    /// All rows of `sql` with `binds` for `$1..$n`, mapped by `map`.
    fn rows<T>(
        &self,
        sql: &str,
        binds: &[&dyn ToSql],
        map: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Vec<T>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            bind_all(&mut stmt, binds)?;
            let mut rows = stmt.raw_query();
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(map(row)?);
            }
            Ok(out)
        })
    }
}

/// Binds `binds` to `$1..$n`. `$n` placeholders are named parameters to SQLite, so each is bound
/// by its name and the order they first appear in the text does not matter.
fn bind_all(
    stmt: &mut rusqlite::CachedStatement<'_>,
    binds: &[&dyn ToSql],
) -> rusqlite::Result<()> {
    for (i, value) in binds.iter().enumerate() {
        if let Some(index) = stmt.parameter_index(&format!("${}", i + 1))? {
            stmt.raw_bind_parameter(index, *value)?;
        }
    }
    Ok(())
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// The writes of a turn's start on `tx`.
fn write_turn(
    tx: &rusqlite::Transaction<'_>,
    c: &Conversation,
    is_new: bool,
    m: Option<&Message>,
) -> rusqlite::Result<Option<ConversationRow>> {
    let (id, user) = (c.id.to_string(), c.user_id.to_string());
    let row = if is_new {
        let folder = c.folder_id.map(|f| f.to_string());
        let mut stmt = tx.prepare_cached(INSERT)?;
        bind_all(
            &mut stmt,
            &[
                &id,
                &user,
                &c.title,
                &c.endpoint,
                &c.endpoint_type,
                &c.model,
                &c.is_archived,
                &c.settings.as_str(),
                &folder,
                &to_millis(c.created_at),
                &to_millis(c.updated_at),
                &c.expired_at.map(to_millis),
            ],
        )?;
        stmt.raw_execute()?;
        None
    } else {
        let mut stmt = tx.prepare_cached(ferrochat_store::sql::chat::ROUTE)?;
        bind_all(
            &mut stmt,
            &[
                &user,
                &id,
                &c.endpoint,
                &c.endpoint_type,
                &c.model,
                &c.settings.as_str(),
                &to_millis(c.updated_at),
            ],
        )?;
        let mut rows = stmt.raw_query();
        match rows.next()? {
            Some(r) => Some(conversation_row(r)?),
            None => return Err(rusqlite::Error::QueryReturnedNoRows),
        }
    };
    if let Some(m) = m {
        insert_message(tx, m)?;
    }
    Ok(row)
}

/// [`INSERT_MESSAGE`] of `m` on `tx`.
fn insert_message(tx: &rusqlite::Transaction<'_>, m: &Message) -> rusqlite::Result<()> {
    {
        let (mid, cid, uid) = (
            m.id.to_string(),
            m.conversation_id.to_string(),
            m.user_id.to_string(),
        );
        let parent = m.parent_id.map(|p| p.to_string());
        let content = m.content.as_ref().map(|c| c.as_str());
        let feedback = m.feedback.as_ref().map(|f| f.as_str());
        let files = m.files.as_ref().map(|f| f.as_str());
        let mut stmt = tx.prepare_cached(INSERT_MESSAGE)?;
        bind_all(
            &mut stmt,
            &[
                &mid,
                &cid,
                &uid,
                &parent,
                &m.sender,
                &m.text,
                &content,
                &m.is_created_by_user,
                &m.error,
                &m.unfinished,
                &m.model,
                &m.endpoint,
                &m.token_count,
                &feedback,
                &to_millis(m.created_at),
                &to_millis(m.updated_at),
                &files,
            ],
        )?;
        stmt.raw_execute()?;
    }
    Ok(())
}

/// The writes of a turn's end on `tx`: the answer, its generation record, the debit and the
/// conversation's time.
fn write_finish(
    tx: &rusqlite::Transaction<'_>,
    answer: &Message,
    g: &Generation,
    debit: bool,
    now: i64,
) -> rusqlite::Result<()> {
    insert_message(tx, answer)?;
    let (mid, cid, uid) = (
        g.message_id.to_string(),
        g.conversation_id.to_string(),
        g.user_id.to_string(),
    );
    let mut stmt = tx.prepare_cached(chat::INSERT_GENERATION)?;
    bind_all(
        &mut stmt,
        &[
            &mid,
            &cid,
            &uid,
            &g.endpoint,
            &g.model,
            &g.outcome.as_str(),
            &g.error_code,
            &g.finish_reason,
            &g.prompt_tokens,
            &g.completion_tokens,
            &g.usage_reported,
            &g.ttft_ms,
            &g.duration_ms,
            &g.token_cost,
            &to_millis(g.created_at),
        ],
    )?;
    stmt.raw_execute()?;
    if debit {
        let mut stmt = tx.prepare_cached(chat::DEBIT)?;
        bind_all(&mut stmt, &[&uid, &g.token_cost, &now])?;
        stmt.raw_execute()?;
    }
    let (auid, acid) = (
        answer.user_id.to_string(),
        answer.conversation_id.to_string(),
    );
    let mut stmt = tx.prepare_cached(chat::TOUCH)?;
    bind_all(&mut stmt, &[&auid, &acid, &now])?;
    stmt.raw_execute()?;
    Ok(())
}

// Rows are read by position (a name lookup per column per row cost ~9% of a list request);
// `columns_are_where_the_readers_expect_them` checks these lists against the statements.

/// Columns of [`BY_SESSION`], in order (then `session_revoked_at`).
const USER_COLUMNS: [&str; 14] = [
    "id",
    "email",
    "username",
    "name",
    "avatar",
    "provider",
    "role",
    "password_hash",
    "email_verified",
    "banned",
    "terms_accepted",
    "two_factor_enabled",
    "created_at",
    "updated_at",
];
/// Columns of every conversation statement, in order.
#[cfg(test)]
const CONVERSATION_COLUMNS: [&str; 12] = [
    "id",
    "user_id",
    "title",
    "endpoint",
    "endpoint_type",
    "model",
    "is_archived",
    "settings",
    "folder_id",
    "created_at",
    "updated_at",
    "expired_at",
];
/// Columns of [`MESSAGES`], in order.
#[cfg(test)]
const MESSAGE_COLUMNS: [&str; 17] = [
    "id",
    "conversation_id",
    "user_id",
    "parent_id",
    "sender",
    "text",
    "content",
    "is_created_by_user",
    "error",
    "unfinished",
    "model",
    "endpoint",
    "token_count",
    "feedback",
    "created_at",
    "updated_at",
    "files",
];

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(0)?,
        email: r.get(1)?,
        username: r.get(2)?,
        name: r.get(3)?,
        avatar: r.get(4)?,
        provider: r.get(5)?,
        role: r.get(6)?,
        password_hash: r.get(7)?,
        email_verified: r.get(8)?,
        banned: r.get(9)?,
        terms_accepted: r.get(10)?,
        two_factor_enabled: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}

fn conversation_row(r: &Row<'_>) -> rusqlite::Result<ConversationRow> {
    Ok(ConversationRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        title: r.get(2)?,
        endpoint: r.get(3)?,
        endpoint_type: r.get(4)?,
        model: r.get(5)?,
        is_archived: r.get(6)?,
        settings: r.get(7)?,
        folder_id: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        expired_at: r.get(11)?,
    })
}

fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        user_id: r.get(2)?,
        parent_id: r.get(3)?,
        sender: r.get(4)?,
        text: r.get(5)?,
        content: r.get(6)?,
        is_created_by_user: r.get(7)?,
        error: r.get(8)?,
        unfinished: r.get(9)?,
        model: r.get(10)?,
        endpoint: r.get(11)?,
        token_count: r.get(12)?,
        feedback: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
        files: r.get(16)?,
    })
}

impl HotReads for Readers {
    fn session_user_row(&self, session_id: &str) -> StoreResult<SessionUserRow> {
        let mut rows = self.rows(BY_SESSION, &[&session_id], |r| {
            Ok(SessionUserRow {
                user: user_row(r)?,
                session_revoked_at: r.get(USER_COLUMNS.len())?,
            })
        })?;
        rows.pop().ok_or(StoreError::NotFound)
    }

    fn conversation_rows(&self, statement: &Statement) -> StoreResult<Vec<ConversationRow>> {
        let binds: Vec<&dyn ToSql> = statement
            .binds
            .iter()
            .map(|b| match b {
                Bind::Text(t) => t as &dyn ToSql,
                Bind::Int(i) => i as &dyn ToSql,
                Bind::Bool(b) => b as &dyn ToSql,
            })
            .collect();
        self.rows(&statement.sql, &binds, conversation_row)
    }

    fn message_rows(&self, user_id: &str, conversation_id: &str) -> StoreResult<Vec<MessageRow>> {
        self.rows(MESSAGES, &[&user_id, &conversation_id], message_row)
    }

    fn start_turn(
        &self,
        c: &Conversation,
        is_new: bool,
        m: Option<&Message>,
        wait: Wait,
    ) -> Option<StoreResult<Option<ConversationRow>>> {
        self.on_writer(wait, |tx| write_turn(tx, c, is_new, m))
    }

    fn finish_turn(
        &self,
        answer: &Message,
        g: &Generation,
        debit: bool,
        now: DateTime<Utc>,
        wait: Wait,
    ) -> Option<StoreResult<()>> {
        self.on_writer(wait, |tx| {
            write_finish(tx, answer, g, debit, to_millis(now))
        })
    }

    fn index_batch(&self) -> Option<StoreResult<u64>> {
        // Callers hold the write gate and run on the blocking pool: any other user of the
        // writer is a short turn write.
        self.on_writer(Wait::Yes, |tx| {
            let batch: String = tx
                .prepare_cached(SQLITE_NEXT_BATCH)?
                .query_row([], |row| row.get(0))?;
            let size = serde_json::from_str::<Vec<serde_json::Value>>(&batch)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?
                .len();
            if size > 0 {
                for statement in SQLITE_INDEX_BATCH {
                    tx.prepare_cached(statement)?.execute([&batch])?;
                }
            }
            Ok(u64::try_from(size).unwrap_or(u64::MAX))
        })
    }
}

/// A unique-key clash is a conflict (same as the pool's mapping); anything else is other.
fn conflict_or_other(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
            StoreError::Conflict {
                constraint: e.to_string(),
            }
        }
        _ => other(e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn columns_are_where_the_readers_expect_them() {
        let dir = std::env::temp_dir().join(format!("ferrochat-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("columns.db");
        let _ = std::fs::remove_file(&path);
        let conn = Connection::open(&path).unwrap();
        for migration in crate::MIGRATOR.iter() {
            conn.execute_batch(migration.sql.as_str()).unwrap();
        }
        let names = |sql: &str| -> Vec<String> {
            let stmt = conn.prepare(sql).unwrap();
            stmt.column_names().iter().map(|n| n.to_string()).collect()
        };
        let mut user: Vec<&str> = USER_COLUMNS.to_vec();
        user.push("session_revoked_at");
        assert_eq!(names(BY_SESSION), user);
        let list = ferrochat_store::sql::conversations::list(
            ferrochat_store::Engine::Sqlite,
            "u",
            &ferrochat_store::ConversationFilter::default(),
            None,
            1,
        );
        assert_eq!(names(&list.sql), CONVERSATION_COLUMNS);
        assert_eq!(names(MESSAGES), MESSAGE_COLUMNS);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A fresh, migrated WAL database `name` in a directory of its own: (directory, file,
    /// the connection that migrated it).
    fn migrated(name: &str) -> (PathBuf, PathBuf, Connection) {
        let dir = std::env::temp_dir().join(format!("ferrochat-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wal.db");
        let _ = std::fs::remove_file(&path);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "wal").unwrap();
        for migration in crate::MIGRATOR.iter() {
            conn.execute_batch(migration.sql.as_str()).unwrap();
        }
        (dir, path, conn)
    }

    #[test]
    fn readers_work_after_every_other_connection_closed_and_never_write() {
        let (dir, path, conn) = migrated("read2");
        drop(conn);
        // The last connection closed: SQLite removed the WAL files.
        assert!(!dir.join("wal.db-shm").exists());
        let readers = Readers::new(path, Duration::from_secs(1));
        assert!(matches!(
            readers.session_user_row("nobody"),
            Err(StoreError::NotFound)
        ));
        let write = readers.with(|c| c.execute("DELETE FROM users", []));
        assert!(write.is_err(), "query_only connections refuse writes");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_search_queue_is_indexed_on_the_writer_in_batches() {
        let (dir, path, conn) = migrated("read3");
        // Queued IDs of messages deleted since: taken off the queue, nothing indexed.
        for i in 0..70 {
            conn.execute(
                "INSERT INTO message_search_queue (message_id) VALUES (?1)",
                [format!("gone-{i}")],
            )
            .unwrap();
        }
        let queued = || -> i64 {
            conn.query_row("SELECT count(*) FROM message_search_queue", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        let readers = Readers::new(path, Duration::from_secs(1));
        assert_eq!(readers.index_batch().unwrap().unwrap(), 64);
        assert_eq!(queued(), 6);
        assert_eq!(readers.index_batch().unwrap().unwrap(), 6);
        assert_eq!(readers.index_batch().unwrap().unwrap(), 0);
        assert_eq!(queued(), 0);

        // The write lock taken elsewhere: no waiting, the caller goes through its pool.
        conn.execute("INSERT INTO message_search_queue VALUES ('held')", [])
            .unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(readers.index_batch().is_none());
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(readers.index_batch().unwrap().unwrap(), 1);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_write_without_the_gate_gives_up_while_the_writer_is_in_use_and_one_with_it_waits() {
        let (dir, path, conn) = migrated("read4");
        let readers = Readers::new(path, Duration::from_secs(1));
        let queue = |id: &'static str| {
            move |tx: &rusqlite::Transaction<'_>| {
                tx.execute("INSERT INTO message_search_queue VALUES (?1)", [id])
            }
        };
        assert_eq!(
            readers.on_writer(Wait::No, queue("free")).unwrap().unwrap(),
            1
        );

        // Another write (a search batch, say) holds the writer.
        let held = readers.writer.lock().unwrap();
        assert!(readers.on_writer(Wait::No, queue("busy")).is_none());
        std::thread::scope(|s| {
            let waiting = s.spawn(|| readers.on_writer(Wait::Yes, queue("waited")));
            std::thread::sleep(Duration::from_millis(50));
            assert!(!waiting.is_finished(), "waits for the writer");
            drop(held);
            assert_eq!(waiting.join().unwrap().unwrap().unwrap(), 1);
        });
        let ids: Vec<String> = conn
            .prepare("SELECT message_id FROM message_search_queue ORDER BY message_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids, ["free", "waited"]);
        drop(conn);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
