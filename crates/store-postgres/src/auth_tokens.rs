//! `AuthTokenStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{AuthToken, AuthTokenId, TokenPurpose, UserId};
use ferrochat_store::sql::{auth_tokens as q, auth_tokens::AuthTokenRow, time::to_millis};
use ferrochat_store::{AuthTokenStore, StoreResult};

use crate::PgStore;

#[async_trait]
impl AuthTokenStore for PgStore {
    async fn replace_auth_token(&self, token: &AuthToken) -> StoreResult<()> {
        self.profiler
            .run("auth_tokens.replace", async {
                let mut tx = self.pool.begin().await?;
                sqlx::query(q::DELETE_FOR_USER)
                    .bind(token.user_id.to_string())
                    .bind(token.purpose.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(q::INSERT)
                    .bind(token.id.to_string())
                    .bind(token.user_id.to_string())
                    .bind(token.purpose.as_str())
                    .bind(&token.token_hash)
                    .bind(to_millis(token.expires_at))
                    .bind(to_millis(token.created_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    async fn live_auth_tokens(
        &self,
        user_id: UserId,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AuthToken>> {
        self.profiler
            .run("auth_tokens.live", async {
                let rows: Vec<AuthTokenRow> = sqlx::query_as(q::LIVE)
                    .bind(user_id.to_string())
                    .bind(purpose.as_str())
                    .bind(to_millis(now))
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(AuthToken::try_from).collect()
            })
            .await
    }

    async fn spend_auth_token(&self, id: AuthTokenId, now: DateTime<Utc>) -> StoreResult<bool> {
        self.profiler
            .run("auth_tokens.spend", async {
                let done = sqlx::query(q::SPEND)
                    .bind(id.to_string())
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            })
            .await
    }
}
