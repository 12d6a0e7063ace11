//! Uploaded files and resumable uploads (metadata only; contents live in the blob store).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{FileId, Upload, UploadId, UserFile, UserId};

use crate::StoreResult;

/// Rows of `files` and `uploads`; every call but the expiry sweep is scoped to the owner.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Records a stored file.
    async fn insert_file(&self, file: &UserFile) -> StoreResult<()>;

    /// One of a user's files.
    async fn file(&self, user_id: UserId, id: FileId) -> StoreResult<UserFile>;

    /// A page of a user's files, newest first, after the keyset cursor.
    async fn files(
        &self,
        user_id: UserId,
        after: Option<(DateTime<Utc>, FileId)>,
        limit: u32,
    ) -> StoreResult<Vec<UserFile>>;

    /// Removes a file's row and returns it (its blob is the caller's to delete); `None` when
    /// the user has no such file.
    async fn delete_file(&self, user_id: UserId, id: FileId) -> StoreResult<Option<UserFile>>;

    /// Bytes a user holds: stored files plus the declared length of unfinished uploads.
    async fn bytes_used(&self, user_id: UserId) -> StoreResult<u64>;

    /// Records a new resumable upload.
    async fn create_upload(&self, upload: &Upload) -> StoreResult<()>;

    /// One of a user's uploads.
    async fn upload(&self, user_id: UserId, id: UploadId) -> StoreResult<Upload>;

    /// Appends a part: moves the offset from `from` to `to`, adds `part` and pushes the expiry
    /// to `expires_at`, only if the offset still is `from` (a concurrent write lost: `false`).
    async fn append_part(
        &self,
        upload: &Upload,
        from: u64,
        part: &str,
        to: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Records the finished file and marks the upload complete with it, in one transaction.
    async fn finish_upload(&self, upload: &Upload, file: &UserFile) -> StoreResult<()>;

    /// Removes an upload's row and returns it; `None` when the user has no such upload.
    async fn delete_upload(&self, user_id: UserId, id: UploadId) -> StoreResult<Option<Upload>>;

    /// Up to `limit` uploads that expired before `now` (any user), for the sweep.
    async fn expired_uploads(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Upload>>;
}
