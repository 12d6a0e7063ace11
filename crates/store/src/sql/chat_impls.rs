//! `ChatStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `ChatStore` for an engine's store type.
///
/// `first_without_gate`: a chat turn's writes take the engine's hot writer (SQLite's)
/// without the write gate: in place when it is free, otherwise on the blocking pool, waiting
/// for it there; only when the database's lock is held elsewhere do they queue for the gate
/// and fall back to the pool. The gate is a fair queue: it hands the lock to the task waiting
/// longest, which must then be scheduled before it can write and pass it on. When thousands
/// of chat requests arrived together every write paid that wait in turn, behind the streams
/// already running: on 2 cores with 5,000 streams starting, requests waited for their answer's
/// head p50 27 s and up to a minute (one hand-off per turn of the scheduler), and chat-bench's
/// client gave up on 149–493 of them (docs/chat-benchmark.md). A thread waiting for the
/// writer is woken by the operating system the moment it is free.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_chat_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{
                Conversation, ConversationId, Generation, Message, MessageId, UserId,
            };
            use ferrochat_store::sql::chat::{self as q, GenerationRow};
            use ferrochat_store::sql::conversations::{self as cq, ConversationRow};
            use ferrochat_store::sql::hot::write_in_place_or_blocking;
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{ChatStore, StoreError, StoreResult, TurnStart};

            #[async_trait]
            impl ChatStore for $store {
                async fn start_turn(&self, start: TurnStart<'_>) -> StoreResult<Conversation> {
                    let stored = |done: StoreResult<Option<ConversationRow>>| match done? {
                        Some(row) => {
                            let mut stored = Conversation::try_from(row)?;
                            stored.tags = start.conversation.tags.clone();
                            Ok(stored)
                        }
                        None => Ok(start.conversation.clone()),
                    };
                    // See `first_without_gate`.
                    if let Some(hot) = &self.hot {
                        let (c, m, is_new) = (start.conversation, start.user_message, start.is_new);
                        if let Some(done) = write_in_place_or_blocking(
                            |wait| hot.start_turn(c, is_new, m, wait),
                            || {
                                let (hot, c, m) = (hot.clone(), c.clone(), m.cloned());
                                move |wait| hot.start_turn(&c, is_new, m.as_ref(), wait)
                            },
                        )
                        .await?
                        {
                            return stored(done);
                        }
                    }
                    let _turn = match &self.write_gate {
                        Some(gate) => Some(gate.lock().await),
                        None => None,
                    };
                    self.profiler
                        .run("chat.start_turn", async {
                            let c = start.conversation;
                            let mut tx = self.begin_write().await?;
                            let stored = if start.is_new {
                                $crate::__bind_conversation!(sqlx::query(cq::INSERT), c)
                                    .execute(&mut *tx)
                                    .await?;
                                c.clone()
                            } else {
                                let row: Option<ConversationRow> = sqlx::query_as(q::ROUTE)
                                    .bind(c.user_id.to_string())
                                    .bind(c.id.to_string())
                                    .bind(&c.endpoint)
                                    .bind(&c.endpoint_type)
                                    .bind(&c.model)
                                    .bind(c.settings.as_str())
                                    .bind(to_millis(c.updated_at))
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                let mut stored =
                                    Conversation::try_from(row.ok_or(StoreError::NotFound)?)?;
                                stored.tags = c.tags.clone();
                                stored
                            };
                            if let Some(m) = start.user_message {
                                $crate::__bind_message!(sqlx::query(cq::INSERT_MESSAGE), m)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            tx.commit().await?;
                            Ok(stored)
                        })
                        .await
                }

                async fn finish_turn(
                    &self,
                    answer: &Message,
                    g: &Generation,
                    debit: bool,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    // See `first_without_gate`.
                    if let Some(hot) = &self.hot {
                        if let Some(done) = write_in_place_or_blocking(
                            |wait| hot.finish_turn(answer, g, debit, now, wait),
                            || {
                                let (hot, answer, g) = (hot.clone(), answer.clone(), g.clone());
                                move |wait| hot.finish_turn(&answer, &g, debit, now, wait)
                            },
                        )
                        .await?
                        {
                            return done;
                        }
                    }
                    let _turn = match &self.write_gate {
                        Some(gate) => Some(gate.lock().await),
                        None => None,
                    };
                    self.profiler
                        .run("chat.finish_turn", async {
                            let mut tx = self.begin_write().await?;
                            $crate::__bind_message!(sqlx::query(cq::INSERT_MESSAGE), answer)
                                .execute(&mut *tx)
                                .await?;
                            sqlx::query(q::INSERT_GENERATION)
                                .bind(g.message_id.to_string())
                                .bind(g.conversation_id.to_string())
                                .bind(g.user_id.to_string())
                                .bind(&g.endpoint)
                                .bind(&g.model)
                                .bind(g.outcome.as_str())
                                .bind(&g.error_code)
                                .bind(&g.finish_reason)
                                .bind(g.prompt_tokens)
                                .bind(g.completion_tokens)
                                .bind(g.usage_reported)
                                .bind(g.ttft_ms)
                                .bind(g.duration_ms)
                                .bind(g.token_cost)
                                .bind(to_millis(g.created_at))
                                .execute(&mut *tx)
                                .await?;
                            if debit {
                                sqlx::query(q::DEBIT)
                                    .bind(g.user_id.to_string())
                                    .bind(g.token_cost)
                                    .bind(to_millis(now))
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            sqlx::query(q::TOUCH)
                                .bind(answer.user_id.to_string())
                                .bind(answer.conversation_id.to_string())
                                .bind(to_millis(now))
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn set_generated_title(
                    &self,
                    user_id: UserId,
                    id: ConversationId,
                    title: &str,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("chat.set_generated_title", async {
                            let done = sqlx::query(q::GENERATED_TITLE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .bind(title)
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }

                async fn generation(
                    &self,
                    user_id: UserId,
                    message_id: MessageId,
                ) -> StoreResult<Option<Generation>> {
                    self.profiler
                        .run("chat.generation", async {
                            let row: Option<GenerationRow> = sqlx::query_as(q::GENERATION)
                                .bind(user_id.to_string())
                                .bind(message_id.to_string())
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(Generation::try_from).transpose()
                        })
                        .await
                }
            }

            #[async_trait]
            impl ferrochat_store::ApiKeyStore for $store {
                async fn create_api_key(
                    &self,
                    key: &ferrochat_core::ApiKey,
                    token_hash: &str,
                ) -> StoreResult<()> {
                    use ferrochat_store::sql::api_keys as k;
                    self.profiler
                        .run("api_keys.create", async {
                            sqlx::query(k::INSERT)
                                .bind(key.id.to_string())
                                .bind(key.user_id.to_string())
                                .bind(&key.name)
                                .bind(&key.prefix)
                                .bind(k::scopes_text(&key.scopes))
                                .bind(key.expires_at.map(to_millis))
                                .bind(to_millis(key.created_at))
                                .bind(token_hash)
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn api_keys(
                    &self,
                    user_id: UserId,
                ) -> StoreResult<Vec<ferrochat_core::ApiKey>> {
                    use ferrochat_store::sql::api_keys as k;
                    self.profiler
                        .run("api_keys.list", async {
                            let rows: Vec<k::ApiKeyRow> = sqlx::query_as(k::BY_USER)
                                .bind(user_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter()
                                .map(ferrochat_core::ApiKey::try_from)
                                .collect()
                        })
                        .await
                }

                async fn api_key_by_hash(
                    &self,
                    token_hash: &str,
                ) -> StoreResult<Option<ferrochat_core::ApiKey>> {
                    use ferrochat_store::sql::api_keys as k;
                    self.profiler
                        .run("api_keys.by_hash", async {
                            let row: Option<k::ApiKeyRow> = sqlx::query_as(k::BY_HASH)
                                .bind(token_hash)
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(ferrochat_core::ApiKey::try_from).transpose()
                        })
                        .await
                }

                async fn delete_api_key(
                    &self,
                    user_id: UserId,
                    id: ferrochat_core::ApiKeyId,
                ) -> StoreResult<bool> {
                    use ferrochat_store::sql::api_keys as k;
                    self.profiler
                        .run("api_keys.delete", async {
                            let done = sqlx::query(k::DELETE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }
            }

            #[async_trait]
            impl ferrochat_store::BalanceStore for $store {
                async fn balance(
                    &self,
                    user_id: UserId,
                ) -> StoreResult<Option<ferrochat_store::Balance>> {
                    self.profiler
                        .run("balances.get", async {
                            let row: Option<(i64, i64)> = sqlx::query_as(q::BALANCE)
                                .bind(user_id.to_string())
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(|(token_credits, last)| {
                                Ok(ferrochat_store::Balance {
                                    token_credits,
                                    last_refill: ferrochat_store::sql::time::from_millis(last)?,
                                })
                            })
                            .transpose()
                        })
                        .await
                }

                async fn create_balance(
                    &self,
                    user_id: UserId,
                    credits: i64,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("balances.create", async {
                            sqlx::query(q::CREATE_BALANCE)
                                .bind(user_id.to_string())
                                .bind(credits)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn refill_balance(
                    &self,
                    user_id: UserId,
                    amount: i64,
                    due: DateTime<Utc>,
                    now: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("balances.refill", async {
                            let done = sqlx::query(q::REFILL)
                                .bind(user_id.to_string())
                                .bind(amount)
                                .bind(to_millis(now))
                                .bind(to_millis(due))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }

                async fn adjust_balance(
                    &self,
                    user_id: UserId,
                    amount: i64,
                    now: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("balances.adjust", async {
                            let done = sqlx::query(q::ADJUST)
                                .bind(user_id.to_string())
                                .bind(amount)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }
            }

            #[async_trait]
            impl ferrochat_store::UserKeyStore for $store {
                async fn put_user_key(
                    &self,
                    user_id: UserId,
                    name: &str,
                    key: &ferrochat_store::StoredKey,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("user_keys.put", async {
                            sqlx::query(q::PUT_KEY)
                                .bind(user_id.to_string())
                                .bind(name)
                                .bind(&key.ciphertext)
                                .bind(key.expires_at.map(to_millis))
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn user_key(
                    &self,
                    user_id: UserId,
                    name: &str,
                ) -> StoreResult<Option<ferrochat_store::StoredKey>> {
                    self.profiler
                        .run("user_keys.get", async {
                            let row: Option<(String, Option<i64>)> = sqlx::query_as(q::KEY)
                                .bind(user_id.to_string())
                                .bind(name)
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(|(ciphertext, expires)| {
                                Ok(ferrochat_store::StoredKey {
                                    ciphertext,
                                    expires_at: ferrochat_store::sql::time::from_millis_opt(
                                        expires,
                                    )?,
                                })
                            })
                            .transpose()
                        })
                        .await
                }

                async fn delete_user_key(&self, user_id: UserId, name: &str) -> StoreResult<bool> {
                    self.profiler
                        .run("user_keys.delete", async {
                            let done = sqlx::query(q::DELETE_KEY)
                                .bind(user_id.to_string())
                                .bind(name)
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }

                async fn delete_user_keys(&self, user_id: UserId) -> StoreResult<u64> {
                    self.profiler
                        .run("user_keys.delete_all", async {
                            let done = sqlx::query(q::DELETE_KEYS)
                                .bind(user_id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected())
                        })
                        .await
                }
            }
        };
    };
}
