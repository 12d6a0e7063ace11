//! Files users upload: the metadata row of a stored blob, and the state of a resumable upload
//! that becomes one when its last byte arrives.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{FileId, UploadId, UserId};

/// A stored file. Its contents live in the blob store under `storage_key`, never in the
/// database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFile {
    /// ID.
    pub id: FileId,
    /// Owner.
    pub user_id: UserId,
    /// The name it was uploaded with (shown and used for downloads).
    pub filename: String,
    /// MIME type the uploader declared (checked for form, not sniffed).
    pub content_type: String,
    /// Size.
    pub bytes: u64,
    /// SHA-256 of the contents, lower-case hex (the download's ETag).
    pub sha256: String,
    /// Key in the blob store.
    pub storage_key: String,
    /// Which blob store holds it (`local`, `s3`).
    pub source: String,
    /// Image width, when the uploader gave one.
    pub width: Option<u32>,
    /// Image height, when the uploader gave one.
    pub height: Option<u32>,
    /// What it is for (LibreChat's `context`, e.g. `message_attachment`).
    pub context: String,
    /// The client's own ID for it while it was uploading (LibreChat's `temp_file_id`).
    pub temp_file_id: Option<String>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
}

/// A resumable upload: how much of the declared length has arrived, in which parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// ID.
    pub id: UploadId,
    /// Owner.
    pub user_id: UserId,
    /// Declared total size.
    pub length: u64,
    /// Bytes received so far.
    pub offset: u64,
    /// The blob keys of the parts received, in order.
    pub parts: Vec<String>,
    /// File name from the upload's metadata.
    pub filename: String,
    /// MIME type from the upload's metadata.
    pub content_type: String,
    /// The client's `Upload-Metadata` header, echoed back on `HEAD`.
    pub metadata: String,
    /// The file it became, once complete.
    pub file_id: Option<FileId>,
    /// When it is removed unless written to again.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
