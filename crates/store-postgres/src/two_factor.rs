//! `TwoFactorStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::UserId;
use ferrochat_store::sql::{time::to_millis, two_factor as q};
use ferrochat_store::{StoreResult, TotpState, TwoFactorStore};

use crate::PgStore;

#[async_trait]
impl TwoFactorStore for PgStore {
    async fn totp_state(&self, user_id: UserId) -> StoreResult<TotpState> {
        self.profiler
            .run("two_factor.state", async {
                let (secret, enabled, last_step): (Option<String>, bool, Option<i64>) =
                    sqlx::query_as(q::STATE)
                        .bind(user_id.to_string())
                        .fetch_one(&self.pool)
                        .await?;
                Ok(TotpState {
                    secret,
                    enabled,
                    last_step,
                })
            })
            .await
    }

    async fn set_totp(
        &self,
        user_id: UserId,
        secret: Option<&str>,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.profiler
            .run("two_factor.set", async {
                let done = sqlx::query(q::SET)
                    .bind(user_id.to_string())
                    .bind(secret)
                    .bind(enabled)
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                ferrochat_store::sql::expect_one(done.rows_affected())
            })
            .await
    }

    async fn advance_totp_step(&self, user_id: UserId, step: i64) -> StoreResult<bool> {
        self.profiler
            .run("two_factor.advance", async {
                let done = sqlx::query(q::ADVANCE)
                    .bind(user_id.to_string())
                    .bind(step)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            })
            .await
    }

    async fn replace_backup_codes(&self, user_id: UserId, hashes: &[String]) -> StoreResult<()> {
        self.profiler
            .run("two_factor.replace_codes", async {
                let mut tx = self.pool.begin().await?;
                sqlx::query(q::DELETE_CODES)
                    .bind(user_id.to_string())
                    .execute(&mut *tx)
                    .await?;
                for hash in hashes {
                    sqlx::query(q::INSERT_CODE)
                        .bind(user_id.to_string())
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
            .await
    }

    async fn spend_backup_code(
        &self,
        user_id: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.profiler
            .run("two_factor.spend_code", async {
                let done = sqlx::query(q::SPEND_CODE)
                    .bind(user_id.to_string())
                    .bind(hash)
                    .bind(to_millis(now))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            })
            .await
    }

    async fn remaining_backup_codes(&self, user_id: UserId) -> StoreResult<u64> {
        self.profiler
            .run("two_factor.count_codes", async {
                let n: i64 = sqlx::query_scalar(q::COUNT_CODES)
                    .bind(user_id.to_string())
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }
}
