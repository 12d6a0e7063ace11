//! `SearchStore` on SQLite: FTS5, filled from the queue its triggers keep (see the migration
//! `0012_message_search.sql` and `ferrochat_store::sql::search`).

use std::time::Duration;

use async_trait::async_trait;
use ferrochat_core::UserId;
use ferrochat_store::sql::search::{
    SQLITE_BACKLOG, SQLITE_INDEX_BATCH, SQLITE_NEXT_BATCH, SQLITE_PENDING,
};
use ferrochat_store::{Engine, MessageHit, SearchCursor, SearchStore, StoreResult};

use crate::SqliteStore;

/// How often the background task looks for messages to index.
const INDEX_EVERY: Duration = Duration::from_secs(2);
/// Longest queue a search indexes before it reads. The queue is normally a few seconds of
/// chat, far below this; after a large import (or the migration) the background task catches
/// up while searches answer from what is indexed so far instead of waiting for all of it.
const SEARCH_FLUSH_MAX: i64 = 2048;

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search_messages(
        &self,
        user_id: UserId,
        terms: &[String],
        after: Option<SearchCursor>,
        limit: u32,
    ) -> StoreResult<Vec<MessageHit>> {
        ferrochat_store::__search_messages!(self, Engine::Sqlite, user_id, terms, after, limit)
    }

    async fn index_pending(&self) -> StoreResult<u64> {
        self.index_batches(usize::MAX).await
    }

    async fn flush_for_search(&self) -> StoreResult<u64> {
        let (backlog,): (i64,) = sqlx::query_as(SQLITE_BACKLOG)
            .bind(SEARCH_FLUSH_MAX)
            .fetch_one(&self.pool)
            .await?;
        if backlog == 0 || backlog > SEARCH_FLUSH_MAX {
            return Ok(0);
        }
        self.index_batches(usize::MAX).await
    }
}

impl SqliteStore {
    /// Indexes up to `most` batches, stopping early when the queue is empty.
    async fn index_batches(&self, most: usize) -> StoreResult<u64> {
        let mut total = 0;
        for _ in 0..most {
            let (pending,): (bool,) = sqlx::query_as(SQLITE_PENDING).fetch_one(&self.pool).await?;
            if !pending {
                break;
            }
            total += self.index_batch().await?;
        }
        Ok(total)
    }

    /// Indexes one batch of the queue in one transaction; returns its size. Each batch takes
    /// the write gate and the writer, and holds them for about a millisecond, so a long queue
    /// (after the migration, or a big import) never keeps a chat turn waiting for long.
    async fn index_batch(&self) -> StoreResult<u64> {
        let _gate = match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        };
        if let Some(hot) = &self.hot {
            let hot = hot.clone();
            let done = self
                .profiler
                .run("search.index", async {
                    tokio::task::spawn_blocking(move || hot.index_batch())
                        .await
                        .map_err(|e| ferrochat_store::StoreError::Other(Box::new(e)))
                })
                .await?;
            if let Some(done) = done {
                return done;
            }
        }
        self.profiler
            .run("search.index", async {
                // It reads the batch, then writes: see `begin_write`.
                let mut tx = self.begin_write().await?;
                let (batch,): (String,) = sqlx::query_as(SQLITE_NEXT_BATCH)
                    .fetch_one(&mut *tx)
                    .await?;
                let size: Vec<serde_json::Value> = serde_json::from_str(&batch)
                    .map_err(|e| ferrochat_store::StoreError::Other(Box::new(e)))?;
                if size.is_empty() {
                    return Ok(0);
                }
                for statement in SQLITE_INDEX_BATCH {
                    sqlx::query(statement)
                        .bind(&batch)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(u64::try_from(size.len()).unwrap_or(u64::MAX))
            })
            .await
    }
}

/// Indexes queued messages every [`INDEX_EVERY`] until the pool closes, so the queue stays
/// short and a search rarely has anything to index first.
pub(crate) async fn index_in_background(store: SqliteStore) {
    let mut migrated = false;
    loop {
        tokio::time::sleep(INDEX_EVERY).await;
        if store.pool.is_closed() {
            return;
        }
        // Not migrated yet (the CLI's `migrate --check`, or a server still starting); once the
        // queue exists it stays, so this is asked until then only.
        if !migrated {
            let found: Result<(bool,), _> = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'message_search_queue')",
            )
            .fetch_one(&store.pool)
            .await;
            migrated = matches!(found, Ok((true,)));
            if !migrated {
                continue;
            }
        }
        if let Err(e) = store.index_pending().await {
            if store.pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "search indexing failed");
        }
    }
}
