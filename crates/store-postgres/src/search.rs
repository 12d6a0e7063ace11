//! `SearchStore` on PostgreSQL: the stored `tsvector` column and its GIN index of migration
//! `0012_message_search.sql`, maintained as rows are written, so nothing is ever pending.

use async_trait::async_trait;
use ferrochat_core::UserId;
use ferrochat_store::{Engine, MessageHit, SearchCursor, SearchStore, StoreResult};

use crate::PgStore;

#[async_trait]
impl SearchStore for PgStore {
    async fn search_messages(
        &self,
        user_id: UserId,
        terms: &[String],
        after: Option<SearchCursor>,
        limit: u32,
    ) -> StoreResult<Vec<MessageHit>> {
        ferrochat_store::__search_messages!(self, Engine::Postgres, user_id, terms, after, limit)
    }

    async fn index_pending(&self) -> StoreResult<u64> {
        Ok(0)
    }

    async fn flush_for_search(&self) -> StoreResult<u64> {
        Ok(0)
    }
}
