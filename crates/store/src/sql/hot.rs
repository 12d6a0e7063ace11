//! The hot reads: the queries behind nearly every request (the session check), the sidebar
//! list and the message tree. An engine may answer them without going through its sqlx pool.
//!
//! sqlx's SQLite driver runs each connection on its own thread and hands every row back over a
//! channel; for a one-row session check or a 26-row page that hand-off, not SQLite, was most
//! of the cost (measured with wrk on the benchmark data: `GET /api/user` 6.6k → 11–14k req/s
//! and `GET /api/convos` 2.2–2.5k → 4.5–5.5k req/s when these reads moved off sqlx). SQLite
//! therefore serves these reads from plain connections called directly, while PostgreSQL,
//! whose driver has no such cost, leaves them to sqlx (`None`). The SQL text is the same
//! either way.

use std::sync::Arc;

use super::conversations::{ConversationRow, MessageRow, Statement};
use super::users::SessionUserRow;
use crate::{StoreError, StoreResult};

/// Whether a hot write may wait for the engine's own writer connection while another write of
/// this process uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Give up at once (`None`): the caller is an async worker, which must not block on a
    /// writer that may be held for milliseconds (a search batch).
    No,
    /// Wait: the caller runs on the blocking pool, or holds the write gate (then whoever
    /// holds the writer is finishing a short write it began without the gate).
    Yes,
}

/// Synchronous reads of the hot queries. Each call is short and index-bounded (one row, or a
/// page of at most a few hundred), so the async callers may run it in place, except
/// [`HotReads::message_rows`], which they run on the blocking pool.
pub trait HotReads: Send + Sync + std::fmt::Debug {
    /// [`super::users::BY_SESSION`] for session `$1`; `NotFound` without a row.
    fn session_user_row(&self, session_id: &str) -> StoreResult<SessionUserRow>;

    /// A page built by [`super::conversations::list`].
    fn conversation_rows(&self, statement: &Statement) -> StoreResult<Vec<ConversationRow>>;

    /// [`super::conversations::MESSAGES`]: user `$1`'s conversation `$2`, parents first.
    fn message_rows(&self, user_id: &str, conversation_id: &str) -> StoreResult<Vec<MessageRow>>;

    /// The start of a chat turn (see `ChatStore::start_turn`) in one transaction, without
    /// waiting for the database: `None` when its write lock is taken, when the writer is busy
    /// and `wait` is [`Wait::No`], or when the engine has no such path; async callers go
    /// through [`write_in_place_or_blocking`], then their pool. Otherwise `Ok(None)` for a new
    /// conversation (inserted as given), or the updated row of an existing one (`NotFound`
    /// when missing).
    ///
    /// This is the write before every model call, so it sits on the time to first token: the
    /// pool's per-statement thread hand-offs (eight wake-ups for four statements) were most of
    /// it.
    fn start_turn(
        &self,
        _conversation: &ferrochat_core::Conversation,
        _is_new: bool,
        _user_message: Option<&ferrochat_core::Message>,
        _wait: Wait,
    ) -> Option<StoreResult<Option<ConversationRow>>> {
        None
    }

    /// The end of a chat turn (see `ChatStore::finish_turn`) in one transaction, without
    /// waiting for the database: `None` as for [`HotReads::start_turn`].
    ///
    /// When thousands of streams end together their answers queue for SQLite's one write
    /// lock; through the pool each took four statements of thread hand-offs, and every
    /// waiting answer held its memory meanwhile.
    fn finish_turn(
        &self,
        _answer: &ferrochat_core::Message,
        _generation: &ferrochat_core::Generation,
        _debit: bool,
        _now: chrono::DateTime<chrono::Utc>,
        _wait: Wait,
    ) -> Option<StoreResult<()>> {
        None
    }

    /// One batch of the search queue (see [`super::search::SQLITE_INDEX_BATCH`]) in one
    /// transaction, without waiting: `None` when the write lock is taken (or the engine has no
    /// such path), and the caller goes through its pool instead. Returns the batch's size.
    ///
    /// The indexer holds the write gate while it works; through the pool its seven statements
    /// each waited for a thread hand-off, and under a burst of chat streams the batch held the
    /// gate (and, then, every chat turn behind it) for 200–460 ms. It can take milliseconds (FTS
    /// merges), so callers run it on the blocking pool.
    fn index_batch(&self) -> Option<StoreResult<u64>> {
        None
    }
}

/// [`HotReads::message_rows`] on the blocking pool: a tree can be thousands of rows, too long
/// to hold an async worker.
pub async fn message_rows_blocking(
    hot: &Arc<dyn HotReads>,
    user_id: String,
    conversation_id: String,
) -> StoreResult<Vec<MessageRow>> {
    // Each tree read holds a connection and its rows on a blocking thread; without a bound,
    // a burst of them would open a connection and a thread each.
    let _permit = TREE_READS
        .acquire()
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?;
    let hot = hot.clone();
    tokio::task::spawn_blocking(move || hot.message_rows(&user_id, &conversation_id))
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))?
}

/// A hot write from an async caller: `in_place` (given [`Wait::No`]) when the writer is free,
/// otherwise the write `to_blocking` makes (given [`Wait::Yes`]) on the blocking pool, which
/// waits for the writer there; `None` when neither could write (the database's lock is held
/// elsewhere). `to_blocking` runs only then, so the owned copies it takes cost nothing on the
/// usual path.
pub async fn write_in_place_or_blocking<T, F>(
    in_place: impl FnOnce(Wait) -> Option<T>,
    to_blocking: impl FnOnce() -> F,
) -> StoreResult<Option<T>>
where
    T: Send + 'static,
    F: FnOnce(Wait) -> Option<T> + Send + 'static,
{
    if let Some(done) = in_place(Wait::No) {
        return Ok(Some(done));
    }
    let blocking = to_blocking();
    tokio::task::spawn_blocking(move || blocking(Wait::Yes))
        .await
        .map_err(|e| StoreError::Other(Box::new(e)))
}

/// How many message trees are read at once, process-wide (two cores read two at full speed;
/// a few more hide the waits).
static TREE_READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);
