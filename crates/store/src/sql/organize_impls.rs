//! `TagStore`, `FolderStore` and `PresetStore` for both engines, stamped by
//! [`impl_sql_stores!`](crate::impl_sql_stores) like the other aggregates (see `shared_impls`).

/// Implements `TagStore`, `FolderStore` and `PresetStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_organize_stores {
    ($store:ident) => {
        // tags
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{ConversationId, Tag, TagId, UserId};
            use ferrochat_store::sql::organize::{self as q, TagRow};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{StoreError, StoreResult, TagChange, TagStore};

            #[async_trait]
            impl TagStore for $store {
                async fn tags(&self, user_id: UserId) -> StoreResult<Vec<Tag>> {
                    self.profiler
                        .run("tags.list", async {
                            let rows: Vec<TagRow> = sqlx::query_as(q::TAGS)
                                .bind(user_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(Tag::try_from).collect()
                        })
                        .await
                }

                async fn create_tag(
                    &self,
                    user_id: UserId,
                    name: &str,
                    description: Option<&str>,
                    now: DateTime<Utc>,
                ) -> StoreResult<Tag> {
                    self.profiler
                        .run("tags.create", async {
                            let mut tx = self.begin_write().await?;
                            sqlx::query(q::INSERT_TAG)
                                .bind(TagId::new().to_string())
                                .bind(user_id.to_string())
                                .bind(name)
                                .bind(description)
                                .bind(to_millis(now))
                                .execute(&mut *tx)
                                .await?;
                            let row: TagRow = sqlx::query_as(q::TAG)
                                .bind(user_id.to_string())
                                .bind(name)
                                .fetch_one(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            row.try_into()
                        })
                        .await
                }

                async fn update_tag(
                    &self,
                    user_id: UserId,
                    name: &str,
                    change: TagChange<'_>,
                    now: DateTime<Utc>,
                ) -> StoreResult<Tag> {
                    self.profiler
                        .run("tags.update", async {
                            let mut tx = self.begin_write().await?;
                            let row: TagRow = sqlx::query_as(q::TAG)
                                .bind(user_id.to_string())
                                .bind(name)
                                .fetch_one(&mut *tx)
                                .await?;
                            let tag = Tag::try_from(row)?;
                            let (total,): (i64,) = sqlx::query_as(q::COUNT_TAGS)
                                .bind(user_id.to_string())
                                .fetch_one(&mut *tx)
                                .await?;
                            let old = tag.position;
                            let new = change
                                .position
                                .map_or(old, |p| p.clamp(0, (total - 1).max(0)));
                            // Close the gap where the tag was and open one where it goes.
                            let shift = match new.cmp(&old) {
                                std::cmp::Ordering::Less => Some((new, old - 1, 1_i64)),
                                std::cmp::Ordering::Greater => Some((old + 1, new, -1_i64)),
                                std::cmp::Ordering::Equal => None,
                            };
                            if let Some((from, to, by)) = shift {
                                sqlx::query(q::SHIFT_TAGS)
                                    .bind(user_id.to_string())
                                    .bind(from)
                                    .bind(to)
                                    .bind(by)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            let new_name = change.name.unwrap_or(name);
                            let description =
                                change.description.unwrap_or(tag.description.as_deref());
                            let updated = sqlx::query(q::UPDATE_TAG)
                                .bind(user_id.to_string())
                                .bind(tag.id.to_string())
                                .bind(new_name)
                                .bind(description)
                                .bind(new)
                                .bind(to_millis(now))
                                .execute(&mut *tx)
                                .await?;
                            ferrochat_store::sql::expect_one(updated.rows_affected())?;
                            let row: TagRow = sqlx::query_as(q::TAG)
                                .bind(user_id.to_string())
                                .bind(new_name)
                                .fetch_one(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            row.try_into()
                        })
                        .await
                }

                async fn delete_tag(&self, user_id: UserId, name: &str) -> StoreResult<Tag> {
                    self.profiler
                        .run("tags.delete", async {
                            let mut tx = self.begin_write().await?;
                            let row: TagRow = sqlx::query_as(q::TAG)
                                .bind(user_id.to_string())
                                .bind(name)
                                .fetch_one(&mut *tx)
                                .await?;
                            let tag = Tag::try_from(row)?;
                            sqlx::query(q::DELETE_TAG)
                                .bind(user_id.to_string())
                                .bind(tag.id.to_string())
                                .execute(&mut *tx)
                                .await?;
                            sqlx::query(q::SHIFT_TAGS)
                                .bind(user_id.to_string())
                                .bind(tag.position + 1)
                                .bind(i64::MAX)
                                .bind(-1_i64)
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            Ok(tag)
                        })
                        .await
                }

                async fn set_conversation_tags(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                    names: &[String],
                    now: DateTime<Utc>,
                ) -> StoreResult<Vec<String>> {
                    self.profiler
                        .run("tags.set_for_conversation", async {
                            let mut tx = self.begin_write().await?;
                            let (live,): (i64,) = sqlx::query_as(q::LIVE_CONVERSATION)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .fetch_one(&mut *tx)
                                .await?;
                            if live == 0 {
                                return Err(StoreError::NotFound);
                            }
                            sqlx::query(q::CLEAR_CONVERSATION_TAGS)
                                .bind(conversation_id.to_string())
                                .execute(&mut *tx)
                                .await?;
                            for name in names {
                                sqlx::query(q::ENSURE_TAG)
                                    .bind(TagId::new().to_string())
                                    .bind(user_id.to_string())
                                    .bind(name)
                                    .bind(None::<String>)
                                    .bind(to_millis(now))
                                    .execute(&mut *tx)
                                    .await?;
                                sqlx::query(q::TAG_CONVERSATION)
                                    .bind(conversation_id.to_string())
                                    .bind(user_id.to_string())
                                    .bind(name)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            let names: Vec<(String,)> = sqlx::query_as(q::CONVERSATION_TAGS)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .fetch_all(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            Ok(names.into_iter().map(|(n,)| n).collect())
                        })
                        .await
                }

                async fn conversation_tags(
                    &self,
                    user_id: UserId,
                    conversation_id: ConversationId,
                ) -> StoreResult<Vec<String>> {
                    self.profiler
                        .run("tags.of_conversation", async {
                            let names: Vec<(String,)> = sqlx::query_as(q::CONVERSATION_TAGS)
                                .bind(user_id.to_string())
                                .bind(conversation_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            Ok(names.into_iter().map(|(n,)| n).collect())
                        })
                        .await
                }
            }
        };

        // folders
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{Folder, FolderId, UserId};
            use ferrochat_store::sql::organize::{self as q, FolderRow};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{FolderStore, StoreResult};

            #[async_trait]
            impl FolderStore for $store {
                async fn folders(&self, user_id: UserId) -> StoreResult<Vec<Folder>> {
                    self.profiler
                        .run("folders.list", async {
                            let rows: Vec<FolderRow> = sqlx::query_as(q::FOLDERS)
                                .bind(user_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(Folder::try_from).collect()
                        })
                        .await
                }

                async fn folder(&self, user_id: UserId, id: FolderId) -> StoreResult<Folder> {
                    self.profiler
                        .run("folders.get", async {
                            let row: FolderRow = sqlx::query_as(q::FOLDER)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn create_folder(&self, f: &Folder) -> StoreResult<()> {
                    self.profiler
                        .run("folders.create", async {
                            sqlx::query(q::INSERT_FOLDER)
                                .bind(f.id.to_string())
                                .bind(f.user_id.to_string())
                                .bind(&f.name)
                                .bind(to_millis(f.created_at))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn rename_folder(
                    &self,
                    user_id: UserId,
                    id: FolderId,
                    name: &str,
                    now: DateTime<Utc>,
                ) -> StoreResult<Folder> {
                    self.profiler
                        .run("folders.rename", async {
                            let done = sqlx::query(q::RENAME_FOLDER)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .bind(name)
                                .bind(to_millis(now))
                                .execute(&self.pool)
                                .await?;
                            ferrochat_store::sql::expect_one(done.rows_affected())
                        })
                        .await?;
                    self.folder(user_id, id).await
                }

                async fn delete_folder(&self, user_id: UserId, id: FolderId) -> StoreResult<bool> {
                    self.profiler
                        .run("folders.delete", async {
                            let done = sqlx::query(q::DELETE_FOLDER)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() > 0)
                        })
                        .await
                }
            }
        };

        // presets
        const _: () = {
            use async_trait::async_trait;
            use ferrochat_core::{Preset, UserId};
            use ferrochat_store::sql::organize::{self as q, PresetRow};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{PresetStore, StoreResult};

            #[async_trait]
            impl PresetStore for $store {
                async fn presets(&self, user_id: UserId) -> StoreResult<Vec<Preset>> {
                    self.profiler
                        .run("presets.list", async {
                            let rows: Vec<PresetRow> = sqlx::query_as(q::PRESETS)
                                .bind(user_id.to_string())
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(Preset::try_from).collect()
                        })
                        .await
                }

                async fn save_preset(&self, p: &Preset) -> StoreResult<Preset> {
                    self.profiler
                        .run("presets.save", async {
                            let mut tx = self.begin_write().await?;
                            if p.is_default {
                                sqlx::query(q::CLEAR_DEFAULT_PRESET)
                                    .bind(p.user_id.to_string())
                                    .bind(&p.id)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            let row: PresetRow = sqlx::query_as(q::SAVE_PRESET)
                                .bind(&p.id)
                                .bind(p.user_id.to_string())
                                .bind(&p.title)
                                .bind(p.is_default)
                                .bind(p.position)
                                .bind(p.settings.to_string())
                                .bind(to_millis(p.created_at))
                                .bind(to_millis(p.updated_at))
                                .fetch_one(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            row.try_into()
                        })
                        .await
                }

                async fn delete_preset(&self, user_id: UserId, id: &str) -> StoreResult<u64> {
                    self.profiler
                        .run("presets.delete", async {
                            let done = sqlx::query(q::DELETE_PRESET)
                                .bind(user_id.to_string())
                                .bind(id)
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected())
                        })
                        .await
                }

                async fn delete_all_presets(&self, user_id: UserId) -> StoreResult<u64> {
                    self.profiler
                        .run("presets.delete_all", async {
                            let done = sqlx::query(q::DELETE_ALL_PRESETS)
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
