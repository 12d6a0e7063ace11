//! `FileStore` for both engines, stamped by [`impl_sql_stores!`](crate::impl_sql_stores) like
//! the other aggregates (see `shared_impls`).

/// Implements `FileStore` for an engine's store type.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_sql_file_store {
    ($store:ident) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use ferrochat_core::{FileId, Upload, UploadId, UserFile, UserId};
            use ferrochat_store::sql::files::{self as q, FileRow, UploadRow, parts_text, size};
            use ferrochat_store::sql::time::to_millis;
            use ferrochat_store::{FileStore, StoreResult};

            #[async_trait]
            impl FileStore for $store {
                async fn insert_file(&self, file: &UserFile) -> StoreResult<()> {
                    self.profiler
                        .run("files.insert", async {
                            $crate::__bind_file!(sqlx::query(q::INSERT_FILE), file)
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn file(&self, user_id: UserId, id: FileId) -> StoreResult<UserFile> {
                    self.profiler
                        .run("files.get", async {
                            let row: FileRow = sqlx::query_as(q::FILE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn files(
                    &self,
                    user_id: UserId,
                    after: Option<(DateTime<Utc>, FileId)>,
                    limit: u32,
                ) -> StoreResult<Vec<UserFile>> {
                    self.profiler
                        .run("files.list", async {
                            let rows: Vec<FileRow> =
                                sqlx::query_as(sqlx::AssertSqlSafe(q::page(limit)))
                                    .bind(user_id.to_string())
                                    .bind(after.map(|(at, _)| to_millis(at)))
                                    .bind(after.map(|(_, id)| id.to_string()))
                                    .fetch_all(&self.pool)
                                    .await?;
                            rows.into_iter().map(UserFile::try_from).collect()
                        })
                        .await
                }

                async fn delete_file(
                    &self,
                    user_id: UserId,
                    id: FileId,
                ) -> StoreResult<Option<UserFile>> {
                    self.profiler
                        .run("files.delete", async {
                            let row: Option<FileRow> = sqlx::query_as(q::DELETE_FILE)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(UserFile::try_from).transpose()
                        })
                        .await
                }

                async fn bytes_used(&self, user_id: UserId) -> StoreResult<u64> {
                    self.profiler
                        .run("files.bytes_used", async {
                            let (used,): (i64,) = sqlx::query_as(q::BYTES_USED)
                                .bind(user_id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            Ok(u64::try_from(used).unwrap_or_default())
                        })
                        .await
                }

                async fn create_upload(&self, upload: &Upload) -> StoreResult<()> {
                    self.profiler
                        .run("uploads.create", async {
                            sqlx::query(q::INSERT_UPLOAD)
                                .bind(upload.id.to_string())
                                .bind(upload.user_id.to_string())
                                .bind(size(upload.length))
                                .bind(size(upload.offset))
                                .bind(parts_text(&upload.parts))
                                .bind(&upload.filename)
                                .bind(&upload.content_type)
                                .bind(&upload.metadata)
                                .bind(upload.file_id.map(|f| f.to_string()))
                                .bind(to_millis(upload.expires_at))
                                .bind(to_millis(upload.created_at))
                                .execute(&self.pool)
                                .await?;
                            Ok(())
                        })
                        .await
                }

                async fn upload(&self, user_id: UserId, id: UploadId) -> StoreResult<Upload> {
                    self.profiler
                        .run("uploads.get", async {
                            let row: UploadRow = sqlx::query_as(q::UPLOAD)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_one(&self.pool)
                                .await?;
                            row.try_into()
                        })
                        .await
                }

                async fn append_part(
                    &self,
                    upload: &Upload,
                    from: u64,
                    part: &str,
                    to: u64,
                    expires_at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let mut parts = upload.parts.clone();
                    parts.push(part.to_owned());
                    self.profiler
                        .run("uploads.append", async {
                            let done = sqlx::query(q::APPEND)
                                .bind(upload.user_id.to_string())
                                .bind(upload.id.to_string())
                                .bind(size(from))
                                .bind(size(to))
                                .bind(parts_text(&parts))
                                .bind(to_millis(expires_at))
                                .execute(&self.pool)
                                .await?;
                            Ok(done.rows_affected() > 0)
                        })
                        .await
                }

                async fn finish_upload(&self, upload: &Upload, file: &UserFile) -> StoreResult<()> {
                    self.profiler
                        .run("uploads.finish", async {
                            let mut tx = self.begin_write().await?;
                            let done = sqlx::query(q::FINISH)
                                .bind(upload.user_id.to_string())
                                .bind(upload.id.to_string())
                                .bind(file.id.to_string())
                                .execute(&mut *tx)
                                .await?;
                            $crate::sql::expect_one(done.rows_affected())?;
                            $crate::__bind_file!(sqlx::query(q::INSERT_FILE), file)
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await?;
                            Ok(())
                        })
                        .await
                }

                async fn delete_upload(
                    &self,
                    user_id: UserId,
                    id: UploadId,
                ) -> StoreResult<Option<Upload>> {
                    self.profiler
                        .run("uploads.delete", async {
                            let row: Option<UploadRow> = sqlx::query_as(q::DELETE_UPLOAD)
                                .bind(user_id.to_string())
                                .bind(id.to_string())
                                .fetch_optional(&self.pool)
                                .await?;
                            row.map(Upload::try_from).transpose()
                        })
                        .await
                }

                async fn expired_uploads(
                    &self,
                    now: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<Upload>> {
                    self.profiler
                        .run("uploads.expired", async {
                            let rows: Vec<UploadRow> = sqlx::query_as(q::EXPIRED)
                                .bind(to_millis(now))
                                .bind(i64::from(limit))
                                .fetch_all(&self.pool)
                                .await?;
                            rows.into_iter().map(Upload::try_from).collect()
                        })
                        .await
                }
            }
        };
    };
}
