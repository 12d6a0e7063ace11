//! `SessionStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Session, SessionId, UserId};
use ferrochat_store::sql::{sessions as q, sessions::SessionRow, time::to_millis};
use ferrochat_store::{SessionStore, StoreResult};

use crate::PgStore;

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        self.profiler
            .run("sessions.create", async {
                sqlx::query(q::INSERT)
                    .bind(s.id.to_string())
                    .bind(s.user_id.to_string())
                    .bind(&s.token_hash)
                    .bind(to_millis(s.expires_at))
                    .bind(to_millis(s.created_at))
                    .bind(to_millis(s.last_used_at))
                    .bind(s.revoked_at.map(to_millis))
                    .bind(&s.user_agent)
                    .bind(&s.ip)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            })
            .await
    }

    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Session> {
        self.profiler
            .run("sessions.by_token_hash", async {
                let row: SessionRow = sqlx::query_as(q::BY_TOKEN_HASH)
                    .bind(token_hash)
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn session_by_id(&self, id: SessionId) -> StoreResult<Session> {
        self.profiler
            .run("sessions.by_id", async {
                let row: SessionRow = sqlx::query_as(q::BY_ID)
                    .bind(id.to_string())
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            })
            .await
    }

    async fn session_by_rotated_hash(&self, token_hash: &str) -> StoreResult<SessionId> {
        self.profiler
            .run("sessions.by_rotated_hash", async {
                let id: String = sqlx::query_scalar(q::BY_ROTATED_HASH)
                    .bind(token_hash)
                    .fetch_one(&self.pool)
                    .await?;
                ferrochat_store::sql::time::parse_id(&id)
            })
            .await
    }

    async fn rotate_session(
        &self,
        id: SessionId,
        old_hash: &str,
        new_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.profiler
            .run("sessions.rotate", async {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(q::ROTATE)
                    .bind(id.to_string())
                    .bind(old_hash)
                    .bind(new_hash)
                    .bind(to_millis(expires_at))
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query(q::RECORD_ROTATED)
                    .bind(old_hash)
                    .bind(id.to_string())
                    .bind(to_millis(now))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            })
            .await
    }

    async fn revoke_session(&self, id: SessionId, now: DateTime<Utc>) -> StoreResult<()> {
        self.profiler
            .run("sessions.revoke", async {
                sqlx::query(q::REVOKE)
                    .bind(id.to_string())
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                Ok(())
            })
            .await
    }

    async fn revoke_user_sessions(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        self.profiler
            .run("sessions.revoke_all", async {
                let query = match keep {
                    None => sqlx::query(q::REVOKE_ALL)
                        .bind(user_id.to_string())
                        .bind(to_millis(now)),
                    Some(keep) => sqlx::query(q::REVOKE_ALL_EXCEPT)
                        .bind(user_id.to_string())
                        .bind(to_millis(now))
                        .bind(keep.to_string()),
                };
                Ok(query.execute(&self.pool).await?.rows_affected())
            })
            .await
    }

    async fn list_user_sessions(&self, user_id: UserId) -> StoreResult<Vec<Session>> {
        self.profiler
            .run("sessions.list_for_user", async {
                let rows: Vec<SessionRow> = sqlx::query_as(q::LIST_FOR_USER)
                    .bind(user_id.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(Session::try_from).collect()
            })
            .await
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        self.profiler
            .run("sessions.delete_expired", async {
                let done = sqlx::query(q::DELETE_EXPIRED)
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            })
            .await
    }
}
