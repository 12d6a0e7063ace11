//! The store trait implementations shared by the SQLite and PostgreSQL engines.
//!
//! Both engines run the same statements (`sql::*`) through the same binding code; only the pool
//! type differs, and sqlx offers no trait to write one generic implementation over both pools
//! without a wall of bounds (and no common `rows_affected`). This macro stamps the identical
//! code onto each engine's store type instead, so every query is written exactly once. Each
//! block is an anonymous `const` so its `use` lines stay local.

/// Implements every store trait for an engine's store type, which must have `pool` (an sqlx
/// pool), `profiler`, `max_connections`, `hot` (`Option<Arc<dyn HotReads>>`, see
/// [`crate::sql::hot`]) and `write_gate` (`Option<Arc<tokio::sync::Mutex<()>>>`: queues the
/// busiest write transactions where the engine has a single writer) fields, in a crate with a
/// `MIGRATOR` static.
#[macro_export]
macro_rules! impl_sql_stores {
    ($store:ident, $engine:expr) => {
        $crate::impl_sql_organize_stores!($store);
        $crate::impl_sql_chat_store!($store);
        $crate::impl_sql_share_store!($store);
        $crate::impl_sql_webhook_store!($store);
        $crate::impl_sql_prompt_store!($store);
        $crate::impl_sql_usage_store!($store);
        $crate::impl_sql_digest_store!($store);
        $crate::impl_sql_file_store!($store);
        $crate::impl_sql_backup_store!($store, $engine);

        // conversations
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{
                Conversation, ConversationId, FolderId, Message, MessageId, UserId,
            };
            use ferrochat_store::sql::conversations::{ConversationRow, MessageRow};
            use ferrochat_store::sql::{conversations as q, time::to_millis};
            use ferrochat_store::{
                ConversationChange, ConversationCursor, ConversationFilter, ConversationStore,
                StoreResult,
            };

            #[async_trait]
            impl ConversationStore for $store {
                async fn create_conversation(&self, c: &Conversation) -> StoreResult<()> {
                    self.profiler
                        .run("conversations.create", async {
                            $crate::__bind_conversation!(sqlx::query(q::INSERT), c)
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn conversation(
                    &self,
                    user_id: UserId,
                    id: ConversationId,
                ) -> StoreResult<Conversation> {
                    self.profiler
                        .run("conversations.get", async {
                            let row: ConversationRow = sqlx::query_as(q::GET)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn list_conversations(
                    &self,
                    user_id: UserId,
                    filter: &ConversationFilter<'_>,
                    after: Option<ConversationCursor>,
                    limit: u32,
                ) -> StoreResult<Vec<Conversation>> {
                    let after = after.map(|(at, id)| (to_millis(at), id.to_string()));
                    if filter.search.is_some() {
                        ferrochat_store::SearchStore::flush_for_search(self).await?;
                    }
                    let statement = q::list(
                        $engine,
                        &user_id.to_string(),
                        filter,
                        after.as_ref().map(|(at, id)| (*at, id.as_str())),
                        limit,
                    );
                    let rows: Vec<ConversationRow> = match &self.hot {
                        Some(hot) => self
                            .profiler
                            .measure("conversations.list", || hot.conversation_rows(&statement))?,
                        None => {
                            self.profiler
                                .run("conversations.list", async {
                                    Ok($crate::__bind_values!(
                                        sqlx::query_as(sqlx::AssertSqlSafe(statement.sql)),
                                        statement.binds
                                    )
                                    .fetch_all(&self.pool)
                                    .await?)
                                })
                                .await?
                        }
                    };
                    rows.into_iter().map(Conversation::try_from).collect()
                }

                async fn create_conversation_with_messages(
                    &self,
                    c: &Conversation,
                    messages: &[Message],
                ) -> StoreResult<()> {
                    self.profiler
                        .run("conversations.create_with_messages", async {
                            let mut tx = self.begin_write().await?;
                            $crate::__bind_conversation!(sqlx::query(q::INSERT), c)
                                .execute(&mut *tx)
                                .await?;
                            for m in messages {
                                $crate::__bind_message!(sqlx::query(q::INSERT_MESSAGE), m)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn move_conversation(
                    &self,
                    user_id: UserId,
                    id: ConversationId,
                    folder: Option<FolderId>,
                ) -> StoreResult<Conversation> {
                    self.profiler
                        .run("conversations.move", async {
                            let row: ConversationRow = sqlx::query_as(q::MOVE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .bind(folder.map(|f| f.to_string()))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn update_conversation(
                    &self,
                    user_id: UserId,
                    id: ConversationId,
                    change: ConversationChange<'_>,
                    now: DateTime<Utc>,
                ) -> StoreResult<Conversation> {
                    self.profiler
                        .run("conversations.update", async {
                            let row: ConversationRow = sqlx::query_as(q::UPDATE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .bind(change.title)
                                .bind(change.is_archived)
                                .bind(to_millis(now))
                                .bind(change.settings.map(|s| s.as_str()))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn soft_delete_conversation(
                    &self,
                    user_id: UserId,
                    id: ConversationId,
                    now: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("conversations.soft_delete", async {
                            let done = sqlx::query(q::SOFT_DELETE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }

                async fn soft_delete_all_conversations(
                    &self,
                    user_id: UserId,
                    now: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    self.profiler
                        .run("conversations.soft_delete_all", async {
                            let done = sqlx::query(q::SOFT_DELETE_ALL)
                                .bind(user_id.to_string())
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected())
                        })
                        .await
                }

                async fn restore_conversation(
                    &self,
                    user_id: UserId,
                    id: ConversationId,
                ) -> StoreResult<bool> {
                    self.profiler
                        .run("conversations.restore", async {
                            let done = sqlx::query(q::RESTORE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() == 1)
                        })
                        .await
                }

                async fn purge_deleted_conversations(
                    &self,
                    before: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    self.profiler
                        .run("conversations.purge", async {
                            let done = sqlx::query(q::PURGE)
                                .bind(to_millis(before))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected())
                        })
                        .await
                }

                async fn purge_expired_conversations(
                    &self,
                    now: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    self.profiler
                        .run("conversations.purge_expired", async {
                            let done = sqlx::query(q::PURGE_EXPIRED)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected())
                        })
                        .await
                }

                async fn create_message(&self, m: &Message) -> StoreResult<()> {
                    self.profiler
                        .run("messages.create", async {
                            $crate::__bind_message!(sqlx::query(q::INSERT_MESSAGE), m)
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn message(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                    id: MessageId,
                ) -> StoreResult<Message> {
                    self.profiler
                        .run("messages.get", async {
                            let row: MessageRow = sqlx::query_as(q::MESSAGE)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn update_message(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                    id: MessageId,
                    text: &str,
                    content: Option<&serde_json::Value>,
                    token_count: Option<i64>,
                    now: DateTime<Utc>,
                ) -> StoreResult<Message> {
                    self.profiler
                        .run("messages.update", async {
                            let row: MessageRow = sqlx::query_as(q::UPDATE_MESSAGE)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .bind(id.to_string())
                                .bind(text)
                                .bind(content.map(|c| c.to_string()))
                                .bind(token_count)
                                .bind(to_millis(now))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn set_message_feedback(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                    id: MessageId,
                    feedback: Option<&serde_json::Value>,
                    now: DateTime<Utc>,
                ) -> StoreResult<Message> {
                    self.profiler
                        .run("messages.feedback", async {
                            let row: MessageRow = sqlx::query_as(q::SET_FEEDBACK)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .bind(id.to_string())
                                .bind(feedback.map(|f| f.to_string()))
                                .bind(to_millis(now))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn delete_messages(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                    ids: &[MessageId],
                ) -> StoreResult<u64> {
                    self.profiler
                        .run("messages.delete", async {
                            let mut tx = self.begin_write().await?;
                            let mut deleted = 0;
                            for id in ids {
                                deleted += sqlx::query(q::DELETE_MESSAGE)
                                    .bind(user_id.to_string())
                                    .bind(conversation_id.to_string())
                                    .bind(id.to_string())
                                    .execute(&mut *tx)
                                    .await?
                                    .rows_affected();
                            }
                            tx.commit().await?;
                            Ok(deleted)
                        })
                        .await
                }

                async fn messages_page(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                    after: Option<(DateTime<Utc>, MessageId)>,
                    limit: u32,
                ) -> StoreResult<Vec<Message>> {
                    self.profiler
                        .run("messages.page", async {
                            let sql = q::messages_page(after.is_some(), limit);
                            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string());
                            if let Some((at, id)) = after {
                                query = query.bind(to_millis(at)).bind(id.to_string());
                            }
                            let rows: Vec<MessageRow> = query.fetch_all(&self.pool).await?;
                            rows.into_iter().map(Message::try_from).collect()
                        })
                        .await
                }

                async fn messages(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                ) -> StoreResult<Vec<Message>> {
                    self.profiler
                        .run("messages.tree", async {
                            let rows: Vec<MessageRow> = match &self.hot {
                                Some(hot) => {
                                    ferrochat_store::sql::hot::message_rows_blocking(
                                        hot,
                                        user_id.to_string(),
                                        conversation_id.to_string(),
                                    )
                                    .await?
                                }
                                None => {
                                    sqlx::query_as(q::MESSAGES)
                                        .bind(user_id.to_string())
                                        .bind(conversation_id.to_string())
                                        .fetch_all(&self.pool)
                                        .await?
                                }
                            };
                            rows.into_iter().map(Message::try_from).collect()
                        })
                        .await
                }
            }
        };

        // maintenance
        const _: () = {
            use async_trait::async_trait;
            use ferrochat_store::{Engine, Maintenance, MigrationInfo, PoolStats, StoreResult};

            #[async_trait]
            impl Maintenance for $store {
                fn engine(&self) -> Engine {
                    $engine
                }

                async fn ping(&self) -> StoreResult<()> {
                    self.profiler
                        .run("ping", async {
                            sqlx::query("SELECT 1").execute(&self.pool).await?;
                            Ok(())
                        })
                        .await
                }

                fn pool_stats(&self) -> PoolStats {
                    PoolStats {
                        size: self.pool.size(),
                        idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
                        max: self.max_connections,
                    }
                }

                async fn migrate(&self) -> StoreResult<Vec<i64>> {
                    let before = self.migration_status().await?;
                    MIGRATOR.run(&self.pool).await?;
                    Ok(before
                        .into_iter()
                        .filter(|m| !m.applied)
                        .map(|m| m.version)
                        .collect())
                }

                async fn migration_status(&self) -> StoreResult<Vec<MigrationInfo>> {
                    let mut conn = self.pool.acquire().await?;
                    ferrochat_store::migration_status(&MIGRATOR, &mut *conn).await
                }

                fn embedded_migrations(&self) -> Vec<i64> {
                    MIGRATOR.iter().map(|m| m.version).collect()
                }

                async fn close(&self) {
                    self.pool.close().await;
                }
            }
        };

        // users
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{NewUser, Role, User, UserId};
            use ferrochat_store::sql::{time::to_millis, users as q, users::UserRow};
            use ferrochat_store::{StoreResult, UserPage, UserStore};

            #[async_trait]
            impl UserStore for $store {
                async fn create_user(&self, new: NewUser, now: DateTime<Utc>) -> StoreResult<User> {
                    self.profiler
                        .run("users.create", async {
                            let row: UserRow = sqlx::query_as(q::INSERT)
                                .bind(UserId::new().to_string())
                                .bind(new.email)
                                .bind(new.username)
                                .bind(new.name)
                                .bind(new.provider)
                                .bind(new.role.as_str())
                                .bind(new.password_hash)
                                .bind(new.email_verified)
                                .bind(to_millis(now))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn user_by_id(&self, id: UserId) -> StoreResult<User> {
                    self.profiler
                        .run("users.by_id", async {
                            let row: UserRow = sqlx::query_as(q::BY_ID)
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn user_by_email(&self, email: &str) -> StoreResult<User> {
                    self.profiler
                        .run("users.by_email", async {
                            let row: UserRow = sqlx::query_as(q::BY_EMAIL)
                                .bind(email)
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn list_users(
                    &self,
                    after: Option<UserId>,
                    limit: u32,
                ) -> StoreResult<UserPage> {
                    self.profiler
                        .run("users.list", async {
                            // One extra row tells whether another page exists without a COUNT.
                            let fetch = i64::from(limit) + 1;
                            let rows: Vec<UserRow> = match after {
                                None => sqlx::query_as(q::LIST_FIRST).bind(fetch),
                                Some(id) => sqlx::query_as(q::LIST_AFTER)
                                    .bind(id.to_string())
                                    .bind(fetch),
                            }
                            .fetch_all(&self.pool)
                            .await?;
                            ferrochat_store::sql::users::page(rows, limit)
                        })
                        .await
                }

                async fn count_users(&self) -> StoreResult<u64> {
                    self.profiler
                        .run("users.count", async {
                            let n: i64 = sqlx::query_scalar(q::COUNT).fetch_one(&self.pool).await?;
                            Ok(u64::try_from(n).unwrap_or(0))
                        })
                        .await
                }

                async fn set_user_role(
                    &self,
                    id: UserId,
                    role: Role,
                    now: DateTime<Utc>,
                ) -> StoreResult<User> {
                    self.profiler
                        .run("users.set_role", async {
                            let row: UserRow = sqlx::query_as(q::SET_ROLE)
                                .bind(id.to_string())
                                .bind(role.as_str())
                                .bind(to_millis(now))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn set_user_banned(
                    &self,
                    id: UserId,
                    banned: bool,
                    now: DateTime<Utc>,
                ) -> StoreResult<User> {
                    self.profiler
                        .run("users.set_banned", async {
                            let row: UserRow = sqlx::query_as(q::SET_BANNED)
                                .bind(id.to_string())
                                .bind(banned)
                                .bind(to_millis(now))
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn user_by_identity(
                    &self,
                    provider: &str,
                    subject: &str,
                ) -> StoreResult<User> {
                    self.profiler
                        .run("users.by_identity", async {
                            let row: UserRow = sqlx::query_as(q::BY_IDENTITY)
                                .bind(provider)
                                .bind(subject)
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn link_identity(
                    &self,
                    provider: &str,
                    subject: &str,
                    user_id: UserId,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("users.link_identity", async {
                            sqlx::query(q::LINK_IDENTITY)
                                .bind(provider)
                                .bind(subject)
                                .bind(user_id.to_string())
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn set_user_avatar(
                    &self,
                    id: UserId,
                    avatar: Option<&str>,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("users.set_avatar", async {
                            let done = sqlx::query(q::SET_AVATAR)
                                .bind(id.to_string())
                                .bind(avatar)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            ferrochat_store::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn set_terms_accepted(
                    &self,
                    id: UserId,
                    accepted: bool,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("users.set_terms_accepted", async {
                            let done = sqlx::query(q::SET_TERMS_ACCEPTED)
                                .bind(id.to_string())
                                .bind(accepted)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            ferrochat_store::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn set_email_verified(
                    &self,
                    id: UserId,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("users.set_email_verified", async {
                            let done = sqlx::query(q::SET_EMAIL_VERIFIED)
                                .bind(id.to_string())
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            ferrochat_store::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn set_password_hash(
                    &self,
                    id: UserId,
                    hash: &str,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
                    self.profiler
                        .run("users.set_password_hash", async {
                            let done = sqlx::query(q::SET_PASSWORD_HASH)
                                .bind(id.to_string())
                                .bind(hash)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            ferrochat_store::sql::expect_one(done.rows_affected())
                        })
                        .await
                }

                async fn delete_user(&self, id: UserId) -> StoreResult<()> {
                    self.profiler
                        .run("users.delete", async {
                            let done = sqlx::query(q::DELETE)
                                .bind(id.to_string())
                                .execute(&self.pool)
                                .await?;
                            ferrochat_store::sql::expect_one(done.rows_affected())
                        })
                        .await
                }
            }
        };

        // sessions
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{Session, SessionId, UserId};
            use ferrochat_store::sql::{sessions as q, sessions::SessionRow, time::to_millis};
            use ferrochat_store::{SessionStore, StoreResult};

            #[async_trait]
            impl SessionStore for $store {
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

                async fn session_user(
                    &self,
                    id: SessionId,
                ) -> StoreResult<(ferrochat_core::User, bool)> {
                    let row: ferrochat_store::sql::users::SessionUserRow = match &self.hot {
                        Some(hot) => self
                            .profiler
                            .measure("sessions.user", || hot.session_user_row(&id.to_string()))?,
                        None => {
                            self.profiler
                                .run("sessions.user", async {
                                    Ok(sqlx::query_as(ferrochat_store::sql::users::BY_SESSION)
                                        .bind(id.to_string())
                                        .fetch_one(&self.pool)
                                        .await?)
                                })
                                .await?
                        }
                    };
                    let revoked = row.session_revoked_at.is_some();
                    Ok((ferrochat_core::User::try_from(row.user)?, revoked))
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

                async fn session_by_rotated_hash(
                    &self,
                    token_hash: &str,
                ) -> StoreResult<SessionId> {
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
                            let mut tx = self.begin_write().await?;
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

                async fn revoke_session(
                    &self,
                    id: SessionId,
                    now: DateTime<Utc>,
                ) -> StoreResult<()> {
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
        };

        // auth_tokens
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{AuthToken, AuthTokenId, TokenPurpose, UserId};
            use ferrochat_store::sql::{
                auth_tokens as q, auth_tokens::AuthTokenRow, time::to_millis,
            };
            use ferrochat_store::{AuthTokenStore, StoreResult};

            #[async_trait]
            impl AuthTokenStore for $store {
                async fn replace_auth_token(&self, token: &AuthToken) -> StoreResult<()> {
                    self.profiler
                        .run("auth_tokens.replace", async {
                            let mut tx = self.begin_write().await?;
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

                async fn spend_auth_token(
                    &self,
                    id: AuthTokenId,
                    now: DateTime<Utc>,
                ) -> StoreResult<bool> {
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
        };

        // two_factor
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::UserId;
            use ferrochat_store::sql::{time::to_millis, two_factor as q};
            use ferrochat_store::{StoreResult, TotpState, TwoFactorStore};

            #[async_trait]
            impl TwoFactorStore for $store {
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

                async fn replace_backup_codes(
                    &self,
                    user_id: UserId,
                    hashes: &[String],
                ) -> StoreResult<()> {
                    self.profiler
                        .run("two_factor.replace_codes", async {
                            let mut tx = self.begin_write().await?;
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
        };
    };
}

/// Binds a conversation's columns to [`crate::sql::conversations::INSERT`].
#[doc(hidden)]
#[macro_export]
macro_rules! __bind_conversation {
    ($query:expr, $c:expr) => {{
        let c: &ferrochat_core::Conversation = $c;
        $query
            .bind(c.id.to_string())
            .bind(c.user_id.to_string())
            .bind(&c.title)
            .bind(&c.endpoint)
            .bind(&c.endpoint_type)
            .bind(&c.model)
            .bind(c.is_archived)
            .bind(c.settings.as_str())
            .bind(c.folder_id.map(|f| f.to_string()))
            .bind($crate::sql::time::to_millis(c.created_at))
            .bind($crate::sql::time::to_millis(c.updated_at))
            .bind(c.expired_at.map($crate::sql::time::to_millis))
    }};
}

/// Binds a message's columns to [`crate::sql::conversations::INSERT_MESSAGE`].
#[doc(hidden)]
#[macro_export]
macro_rules! __bind_message {
    ($query:expr, $m:expr) => {{
        let m: &ferrochat_core::Message = $m;
        $query
            .bind(m.id.to_string())
            .bind(m.conversation_id.to_string())
            .bind(m.user_id.to_string())
            .bind(m.parent_id.map(|p| p.to_string()))
            .bind(&m.sender)
            .bind(&m.text)
            .bind(m.content.as_ref().map(|c| c.as_str()))
            .bind(m.is_created_by_user)
            .bind(m.error)
            .bind(m.unfinished)
            .bind(&m.model)
            .bind(&m.endpoint)
            .bind(m.token_count)
            .bind(m.feedback.as_ref().map(|f| f.as_str()))
            .bind($crate::sql::time::to_millis(m.created_at))
            .bind($crate::sql::time::to_millis(m.updated_at))
            .bind(m.files.as_ref().map(|f| f.as_str()))
    }};
}

/// Binds the values of a statement built at run time ([`crate::sql::conversations::Statement`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __bind_values {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for value in $binds {
            query = match value {
                $crate::sql::conversations::Bind::Text(t) => query.bind(t),
                $crate::sql::conversations::Bind::Int(i) => query.bind(i),
                $crate::sql::conversations::Bind::Bool(b) => query.bind(b),
            };
        }
        query
    }};
}

/// The body of `SearchStore::search_messages` for an engine's store (`$store`, with `pool` and
/// `profiler`): flush what the engine has pending for search, then read a page of hits.
#[doc(hidden)]
#[macro_export]
macro_rules! __search_messages {
    ($store:expr, $engine:expr, $user_id:expr, $terms:expr, $after:expr, $limit:expr) => {{
        use $crate::sql::search as q;
        let (user_id, terms, after) = ($user_id, $terms, $after);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        $crate::SearchStore::flush_for_search($store).await?;
        let sql = q::hits($engine, after.is_some(), $limit);
        $store
            .profiler
            .run("search.messages", async {
                let mut query = sqlx::query_as::<_, q::HitRow>(sqlx::AssertSqlSafe(sql))
                    .bind(user_id.to_string())
                    .bind(q::query_text($engine, terms));
                if let Some((at, id)) = after {
                    query = query
                        .bind($crate::sql::time::to_millis(at))
                        .bind(id.to_string());
                }
                let rows = query.fetch_all(&$store.pool).await?;
                rows.into_iter().map($crate::MessageHit::try_from).collect()
            })
            .await
    }};
}
