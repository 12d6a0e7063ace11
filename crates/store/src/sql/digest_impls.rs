//! `DigestStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `DigestStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_digest_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::UserId;
            use ferrochat_store::sql::digest::{self as q, ActiveRow, DueRow};
            use ferrochat_store::sql::time::{from_millis, to_millis};
            use ferrochat_store::{ActiveConversation, DigestRecipient, DigestStore, StoreResult};

            #[async_trait]
            impl DigestStore for $store {
                async fn subscribe_digest(
                    &self,
                    user_id: UserId,
                    week: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("digest.subscribe", async {
                            sqlx::query(q::SUBSCRIBE)
                                .bind(user_id.to_string())
                                .bind(to_millis(week))
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn unsubscribe_digest(&self, user_id: UserId) -> StoreResult<bool> {
                    self.profiler
                        .run("digest.unsubscribe", async {
                            let done = sqlx::query(q::UNSUBSCRIBE)
                                .bind(user_id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() > 0)
                        })
                        .await
                }

                async fn digest_subscription(
                    &self,
                    user_id: UserId,
                ) -> StoreResult<Option<DateTime<Utc>>> {
                    self.profiler
                        .run("digest.subscription", async {
                            let at: Option<i64> = sqlx::query_scalar(q::SUBSCRIPTION)
                                .bind(user_id.to_string())
                                .fetch_optional(&self.pool)
                                .await?;
                            at.map(from_millis).transpose()
                        })
                        .await
                }

                async fn digest_due(
                    &self,
                    week: DateTime<Utc>,
                    after: Option<(DateTime<Utc>, UserId)>,
                    limit: u32,
                ) -> StoreResult<Vec<DigestRecipient>> {
                    let (after_week, after_id) = match after {
                        Some((week, id)) => (to_millis(week), id.to_string()),
                        None => (i64::MIN, String::new()),
                    };
                    self.profiler
                        .run("digest.due", async {
                            let rows: Vec<DueRow> = sqlx::query_as(q::DUE)
                                .bind(to_millis(week))
                                .bind(after_week)
                                .bind(after_id)
                                .bind(i64::from(limit))
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(DigestRecipient::try_from).collect()
                        })
                        .await
                }

                async fn claim_digest(
                    &self,
                    user_id: UserId,
                    week: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("digest.claim", async {
                            let done = sqlx::query(q::CLAIM)
                                .bind(user_id.to_string())
                                .bind(to_millis(week))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }

                async fn release_digest(
                    &self,
                    user_id: UserId,
                    week: DateTime<Utc>,
                    previous: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("digest.release", async {
                            sqlx::query(q::RELEASE)
                                .bind(user_id.to_string())
                                .bind(to_millis(week))
                                .bind(to_millis(previous))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn active_conversations(
                    &self,
                    user_id: UserId,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<ActiveConversation>> {
                    self.profiler
                        .run("digest.active_conversations", async {
                            let rows: Vec<ActiveRow> = sqlx::query_as(q::ACTIVE)
                                .bind(user_id.to_string())
                                .bind(to_millis(from))
                                .bind(to_millis(to))
                                .bind(i64::from(limit))
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(ActiveConversation::try_from).collect()
                        })
                        .await
                }
            }
        };
    };
}
