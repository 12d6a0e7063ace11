//! `ShareStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `ShareStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_share_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use ferrochat_core::{ConversationId, ShareId, SharedLink, UserId};
            use ferrochat_store::sql::shares::{self as q, LinkRow, PublicLinkRow};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{PasswordChange, ShareQuery, ShareStore, StoreResult};

            #[async_trait]
            impl ShareStore for $store {
                async fn create_shared_link(
                    &self,
                    link: &SharedLink,
                    password_hash: Option<&str>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("shares.create", async {
                            sqlx::query(q::INSERT)
                                .bind(link.id.as_str())
                                .bind(link.user_id.to_string())
                                .bind(link.conversation_id.to_string())
                                .bind(&link.title)
                                .bind(link.target_message_id.map(|m| m.to_string()))
                                .bind(to_millis(link.snapshot_at))
                                .bind(link.expires_at.map(to_millis))
                                .bind(password_hash)
                                .bind(to_millis(link.created_at))
                                .bind(to_millis(link.updated_at))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn shared_link(
                    &self,
                    user_id: UserId,
                    id: &ShareId,
                ) -> StoreResult<SharedLink> {
                    self.profiler
                        .run("shares.get", async {
                            let row: LinkRow = sqlx::query_as(q::GET)
                                .bind(user_id.to_string())
                                .bind(id.as_str())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn conversation_shared_link(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                ) -> StoreResult<Option<SharedLink>> {
                    self.profiler
                        .run("shares.by_conversation", async {
                            let row: Option<LinkRow> = sqlx::query_as(q::BY_CONVERSATION)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(SharedLink::try_from).transpose()
                        })
                        .await
                }

                async fn shared_links(
                    &self,
                    user_id: UserId,
                    query: &ShareQuery<'_>,
                ) -> StoreResult<Vec<SharedLink>> {
                    let statement = q::list(&user_id.to_string(), query);
                    self.profiler
                        .run("shares.list", async {
                            let rows: Vec<LinkRow> = $crate::__bind_values!(
                                sqlx::query_as(sqlx::AssertSqlSafe(statement.sql)),
                                statement.binds
                            )
                            .fetch_all(&self.pool)
                            .await?;
                            rows.into_iter().map(SharedLink::try_from).collect()
                        })
                        .await
                }

                async fn update_shared_link(
                    &self,
                    user_id: UserId,
                    id: &ShareId,
                    link: &SharedLink,
                    password: PasswordChange<'_>,
                ) -> StoreResult<()> {
                    let (replace, hash) = match password {
                        PasswordChange::Keep => (false, None),
                        PasswordChange::Set(hash) => (true, Some(hash)),
                        PasswordChange::Clear => (true, None),
                    };
                    self.profiler
                        .run("shares.update", async {
                            let done = sqlx::query(q::UPDATE)
                                .bind(user_id.to_string())
                                .bind(id.as_str())
                                .bind(link.id.as_str())
                                .bind(&link.title)
                                .bind(to_millis(link.snapshot_at))
                                .bind(link.expires_at.map(to_millis))
                                .bind(to_millis(link.updated_at))
                                .bind(replace)
                                .bind(hash)
                                .execute(&self.pool)
                                .await?;
                            $crate::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn delete_shared_link(
                    &self,
                    user_id: UserId,
                    id: &ShareId,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("shares.delete", async {
                            let done = sqlx::query(q::DELETE)
                                .bind(user_id.to_string())
                                .bind(id.as_str())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() > 0)
                        })
                        .await
                }

                async fn public_shared_link(
                    &self,
                    id: &ShareId,
                ) -> StoreResult<Option<(SharedLink, Option<String>)>> {
                    self.profiler
                        .run("shares.public", async {
                            let row: Option<PublicLinkRow> = sqlx::query_as(q::PUBLIC)
                                .bind(id.as_str())
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(|r| Ok((SharedLink::try_from(r.link)?, r.password_hash)))
                                .transpose()
                        })
                        .await
                }
            }
        };
    };
}
