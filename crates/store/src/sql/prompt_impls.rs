//! `PromptStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `PromptStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_prompt_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{Prompt, PromptGroup, PromptGroupId, PromptId, UserId};
            use ferrochat_store::sql::prompts::{self as q, GroupRow, PromptRow};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{
                PromptDeleted, PromptGroupQuery, PromptStore, StoreError, StoreResult,
            };

            #[async_trait]
            impl PromptStore for $store {
                async fn create_prompt_group(
                    &self,
                    group: &PromptGroup,
                    first: &Prompt,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("prompts.create_group", async {
                            let mut tx = self.begin_write().await?;
                            sqlx::query(q::INSERT_GROUP)
                                .bind(group.id.to_string())
                                .bind(group.user_id.to_string())
                                .bind(&group.name)
                                .bind(group.command.as_deref())
                                .bind(&group.oneliner)
                                .bind(&group.category)
                                .bind(first.id.to_string())
                                .bind(to_millis(group.created_at))
                                .bind(to_millis(group.updated_at))
                                .execute(&mut *tx)
                                .await?;
                            $crate::__insert_prompt!(first, &mut *tx);
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn prompt_group(
                    &self,
                    user_id: UserId,
                    id: PromptGroupId,
                ) -> StoreResult<PromptGroup> {
                    self.profiler
                        .run("prompts.group", async {
                            let row: GroupRow = sqlx::query_as(q::GROUP)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn prompt_groups(
                    &self,
                    user_id: UserId,
                    query: &PromptGroupQuery<'_>,
                ) -> StoreResult<Vec<PromptGroup>> {
                    let statement = q::list(&user_id.to_string(), query);
                    self.profiler
                        .run("prompts.groups", async {
                            let rows: Vec<GroupRow> = $crate::__bind_values!(
                                sqlx::query_as(sqlx::AssertSqlSafe(statement.sql)),
                                statement.binds
                            )
                            .fetch_all(&self.pool)
                            .await?;
                            rows.into_iter().map(PromptGroup::try_from).collect()
                        })
                        .await
                }

                async fn count_prompt_groups(
                    &self,
                    user_id: UserId,
                    query: &PromptGroupQuery<'_>,
                ) -> StoreResult<u64> {
                    let statement = q::count(&user_id.to_string(), query);
                    self.profiler
                        .run("prompts.count", async {
                            let (n,): (i64,) = $crate::__bind_values!(
                                sqlx::query_as(sqlx::AssertSqlSafe(statement.sql)),
                                statement.binds
                            )
                            .fetch_one(&self.pool)
                            .await?;
                            Ok(u64::try_from(n).unwrap_or(0))
                        })
                        .await
                }

                async fn prompt_group_by_command(
                    &self,
                    user_id: UserId,
                    command: &str,
                ) -> StoreResult<Option<PromptGroup>> {
                    self.profiler
                        .run("prompts.by_command", async {
                            let row: Option<GroupRow> = sqlx::query_as(q::BY_COMMAND)
                                .bind(user_id.to_string())
                                .bind(command)
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(PromptGroup::try_from).transpose()
                        })
                        .await
                }

                async fn update_prompt_group(&self, group: &PromptGroup) -> StoreResult<()> {
                    self.profiler
                        .run("prompts.update_group", async {
                            let done = sqlx::query(q::UPDATE_GROUP)
                                .bind(group.user_id.to_string())
                                .bind(group.id.to_string())
                                .bind(&group.name)
                                .bind(group.command.as_deref())
                                .bind(&group.oneliner)
                                .bind(&group.category)
                                .bind(to_millis(group.updated_at))
                                .execute(&self.pool)
                                .await?;
                            $crate::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn delete_prompt_group(
                    &self,
                    user_id: UserId,
                    id: PromptGroupId,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("prompts.delete_group", async {
                            let done = sqlx::query(q::DELETE_GROUP)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() > 0)
                        })
                        .await
                }

                async fn add_prompt(&self, prompt: &Prompt, production: bool) -> StoreResult<()> {
                    self.profiler
                        .run("prompts.add", async {
                            let mut tx = self.begin_write().await?;
                            let done = sqlx::query(q::TOUCH_GROUP)
                                .bind(prompt.user_id.to_string())
                                .bind(prompt.group_id.to_string())
                                .bind(to_millis(prompt.created_at))
                                .bind(production.then(|| prompt.id.to_string()))
                                .execute(&mut *tx)
                                .await?;
                            $crate::sql::expect_one(done.rows_affected())?;
                            $crate::__insert_prompt!(prompt, &mut *tx);
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn prompts(
                    &self,
                    user_id: UserId,
                    group_id: PromptGroupId,
                ) -> StoreResult<Vec<Prompt>> {
                    self.profiler
                        .run("prompts.list", async {
                            let rows: Vec<PromptRow> = sqlx::query_as(q::PROMPTS)
                                .bind(user_id.to_string())
                                .bind(group_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(Prompt::try_from).collect()
                        })
                        .await
                }

                async fn prompt(&self, user_id: UserId, id: PromptId) -> StoreResult<Prompt> {
                    self.profiler
                        .run("prompts.get", async {
                            let row: PromptRow = sqlx::query_as(q::PROMPT)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn make_production(
                    &self,
                    user_id: UserId,
                    id: PromptId,
                    at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("prompts.production", async {
                            let mut tx = self.begin_write().await?;
                            let row: PromptRow = sqlx::query_as(q::PROMPT)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&mut *tx)
                                .await?;
                            sqlx::query(q::TOUCH_GROUP)
                                .bind(user_id.to_string())
                                .bind(&row.group_id)
                                .bind(to_millis(at))
                                .bind(Some(id.to_string()))
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn delete_prompt(
                    &self,
                    user_id: UserId,
                    id: PromptId,
                    at: DateTime<Utc>,
                ) -> StoreResult<PromptDeleted> {
                    self.profiler
                        .run("prompts.delete", async {
                            let mut tx = self.begin_write().await?;
                            let row: PromptRow = sqlx::query_as(q::PROMPT)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&mut *tx)
                                .await?;
                            sqlx::query(q::DELETE_PROMPT)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .execute(&mut *tx)
                                .await?;
                            let newest: Option<(String,)> = sqlx::query_as(q::NEWEST)
                                .bind(&row.group_id)
                                .fetch_optional(&mut *tx)
                                .await?;
                            let outcome =
                                match newest {
                                    None => {
                                        sqlx::query(q::DELETE_GROUP)
                                            .bind(user_id.to_string())
                                            .bind(&row.group_id)
                                            .execute(&mut *tx)
                                            .await?;
                                        PromptDeleted::Group(row.group_id.parse().map_err(
                                            |_| StoreError::Other("bad group id".into()),
                                        )?)
                                    }
                                    Some((newest,)) => {
                                        sqlx::query(q::REPOINT)
                                            .bind(&row.group_id)
                                            .bind(newest)
                                            .bind(to_millis(at))
                                            .bind(id.to_string())
                                            .execute(&mut *tx)
                                            .await?;
                                        PromptDeleted::Version
                                    }
                                };
                            tx.commit().await?;
                            Ok(outcome)
                        })
                        .await
                }
            }
        };
    };
}

/// Inserts one version through `$executor` (inside the impls above).
#[doc(hidden)]
#[macro_export]
macro_rules! __insert_prompt {
    ($prompt:expr, $executor:expr) => {
        sqlx::query(ferrochat_store::sql::prompts::INSERT_PROMPT)
            .bind($prompt.id.to_string())
            .bind($prompt.group_id.to_string())
            .bind($prompt.user_id.to_string())
            .bind(&$prompt.text)
            .bind($prompt.kind.as_str())
            .bind(ferrochat_store::sql::time::to_millis($prompt.created_at))
            .bind(ferrochat_store::sql::time::to_millis($prompt.updated_at))
            .execute($executor)
            .await?;
    };
}
