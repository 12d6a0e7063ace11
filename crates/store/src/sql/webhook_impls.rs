//! `WebhookStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `WebhookStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_webhook_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{Delivery, DeliveryId, UserId, Webhook, WebhookId};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::sql::webhooks::{self as q, ClaimRow, DeliveryRow, HookRow};
            use ferrochat_store::{
                Attempt, ClaimedDelivery, StoreError, StoreResult, WebhookStore,
            };

            #[async_trait]
            impl WebhookStore for $store {
                async fn create_webhook(
                    &self,
                    hook: &Webhook,
                    sealed_secret: &str,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("webhooks.create", async {
                            sqlx::query(q::INSERT)
                                .bind(hook.id.to_string())
                                .bind(hook.user_id.to_string())
                                .bind(&hook.url)
                                .bind(q::events_text(hook))
                                .bind(&hook.description)
                                .bind(sealed_secret)
                                .bind(hook.active)
                                .bind(to_millis(hook.created_at))
                                .bind(to_millis(hook.updated_at))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn webhook(&self, user_id: UserId, id: WebhookId) -> StoreResult<Webhook> {
                    self.profiler
                        .run("webhooks.get", async {
                            let row: HookRow = sqlx::query_as(q::GET)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn webhooks(&self, user_id: UserId) -> StoreResult<Vec<Webhook>> {
                    self.profiler
                        .run("webhooks.list", async {
                            let rows: Vec<HookRow> = sqlx::query_as(q::LIST)
                                .bind(user_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(Webhook::try_from).collect()
                        })
                        .await
                }

                async fn users_with_active_webhooks(&self) -> StoreResult<Vec<UserId>> {
                    self.profiler
                        .run("webhooks.hooked_users", async {
                            let rows: Vec<(String,)> = sqlx::query_as(q::HOOKED_USERS)
                                .fetch_all(&self.pool)
                                .await?;
                            rows.iter()
                                .map(|(id,)| ferrochat_store::sql::time::parse_id(id))
                                .collect()
                        })
                        .await
                }

                async fn active_webhooks(&self, users: &[UserId]) -> StoreResult<Vec<Webhook>> {
                    if users.is_empty() {
                        return Ok(Vec::new());
                    }
                    self.profiler
                        .run("webhooks.active", async {
                            let mut query = sqlx::query_as::<_, HookRow>(sqlx::AssertSqlSafe(
                                q::active_of(users.len()),
                            ));
                            for u in users {
                                query = query.bind(u.to_string());
                            }
                            let rows = query.fetch_all(&self.pool).await?;
                            rows.into_iter().map(Webhook::try_from).collect()
                        })
                        .await
                }

                async fn update_webhook(
                    &self,
                    hook: &Webhook,
                    sealed_secret: Option<&str>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("webhooks.update", async {
                            let done = sqlx::query(q::UPDATE)
                                .bind(hook.user_id.to_string())
                                .bind(hook.id.to_string())
                                .bind(&hook.url)
                                .bind(q::events_text(hook))
                                .bind(&hook.description)
                                .bind(hook.active)
                                .bind(hook.disabled_reason.as_deref())
                                .bind(to_millis(hook.updated_at))
                                .bind(sealed_secret)
                                .execute(&self.pool)
                                .await?;
                            $crate::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn delete_webhook(
                    &self,
                    user_id: UserId,
                    id: WebhookId,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("webhooks.delete", async {
                            let done = sqlx::query(q::DELETE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() > 0)
                        })
                        .await
                }

                async fn disable_webhook(
                    &self,
                    id: WebhookId,
                    reason: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("webhooks.disable", async {
                            sqlx::query(q::DISABLE)
                                .bind(id.to_string())
                                .bind(reason)
                                .bind(to_millis(at))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn enqueue_deliveries(&self, deliveries: &[Delivery]) -> StoreResult<()> {
                    if deliveries.is_empty() {
                        return Ok(());
                    }
                    self.profiler
                        .run("webhooks.enqueue", async {
                            let mut tx = self.begin_write().await?;
                            for d in deliveries {
                                sqlx::query(q::ENQUEUE)
                                    .bind(d.id.to_string())
                                    .bind(d.webhook_id.to_string())
                                    .bind(d.user_id.to_string())
                                    .bind(&d.event)
                                    .bind(&d.payload)
                                    .bind(d.status.as_str())
                                    .bind(i64::from(d.attempts))
                                    .bind(to_millis(d.next_attempt_at))
                                    .bind(to_millis(d.created_at))
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn claim_deliveries(
                    &self,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<ClaimedDelivery>> {
                    self.profiler
                        .run("webhooks.claim", async {
                            let rows: Vec<ClaimRow> =
                                sqlx::query_as(sqlx::AssertSqlSafe(q::claim(limit)))
                                    .bind(to_millis(now))
                                    .bind(to_millis(lease_until))
                                    .fetch_all(&self.pool)
                                    .await?;
                            rows.into_iter()
                                .map(|r| {
                                    Ok(ClaimedDelivery {
                                        delivery: Delivery::try_from(r.delivery)?,
                                        url: r.url,
                                        secret: r.secret,
                                    })
                                })
                                .collect::<Result<Vec<_>, StoreError>>()
                        })
                        .await
                }

                async fn has_due_deliveries(&self, now: DateTime<Utc>) -> StoreResult<bool> {
                    self.profiler
                        .run("webhooks.has_due", async {
                            let (due,): (bool,) = sqlx::query_as(q::HAS_DUE)
                                .bind(to_millis(now))
                                .fetch_one(&self.pool)
                                .await?;
                            Ok(due)
                        })
                        .await
                }

                async fn record_attempt(
                    &self,
                    id: DeliveryId,
                    attempt: &Attempt,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("webhooks.record", async {
                            sqlx::query(q::RECORD)
                                .bind(id.to_string())
                                .bind(attempt.status.as_str())
                                .bind(to_millis(attempt.at))
                                .bind(to_millis(attempt.next_attempt_at))
                                .bind(attempt.response_status.map(i64::from))
                                .bind(attempt.error.as_deref())
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn deliveries(
                    &self,
                    user_id: UserId,
                    webhook_id: WebhookId,
                    after: Option<(DateTime<Utc>, DeliveryId)>,
                    limit: u32,
                ) -> StoreResult<Vec<Delivery>> {
                    self.profiler
                        .run("webhooks.deliveries", async {
                            let rows: Vec<DeliveryRow> =
                                sqlx::query_as(sqlx::AssertSqlSafe(q::page(limit)))
                                    .bind(user_id.to_string())
                                    .bind(webhook_id.to_string())
                                    .bind(after.map(|(at, _)| to_millis(at)))
                                    .bind(after.map(|(_, id)| id.to_string()))
                                    .fetch_all(&self.pool)
                                    .await?;
                            rows.into_iter().map(Delivery::try_from).collect()
                        })
                        .await
                }

                async fn delivery(
                    &self,
                    user_id: UserId,
                    webhook_id: WebhookId,
                    id: DeliveryId,
                ) -> StoreResult<Delivery> {
                    self.profiler
                        .run("webhooks.delivery", async {
                            let row: DeliveryRow = sqlx::query_as(q::GET_DELIVERY)
                                .bind(user_id.to_string())
                                .bind(webhook_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn prune_deliveries(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                    self.profiler
                        .run("webhooks.prune", async {
                            let done = sqlx::query(q::PRUNE)
                                .bind(to_millis(before))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected())
                        })
                        .await
                }

                async fn retry_delivery(
                    &self,
                    user_id: UserId,
                    webhook_id: WebhookId,
                    id: DeliveryId,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("webhooks.retry", async {
                            let done = sqlx::query(q::RETRY)
                                .bind(user_id.to_string())
                                .bind(webhook_id.to_string())
                                .bind(id.to_string())
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            $crate::sql::expect_one(done.rows_affected())
                        })
                        .await
                }
            }
        };
    };
}
