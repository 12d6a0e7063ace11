//! `SearchStore` on PostgreSQL: the GIN index of migration `0012_message_search.sql`,
//! maintained as rows are written.

use async_trait::async_trait;
use ferrochat_core::UserId;
use ferrochat_store::sql::search::{self as q, HitRow};
use ferrochat_store::sql::time::to_millis;
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
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let sql = q::hits(Engine::Postgres, after.is_some(), limit);
        self.profiler
            .run("search.messages", async {
                let mut query = sqlx::query_as::<_, HitRow>(sqlx::AssertSqlSafe(sql))
                    .bind(user_id.to_string())
                    .bind(q::tsquery(terms));
                if let Some((at, id)) = after {
                    query = query.bind(to_millis(at)).bind(id.to_string());
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.into_iter().map(MessageHit::try_from).collect()
            })
            .await
    }

    async fn index_pending(&self) -> StoreResult<u64> {
        Ok(0)
    }

    async fn flush_for_search(&self) -> StoreResult<u64> {
        Ok(0)
    }
}
