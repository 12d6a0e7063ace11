//! Statements and rows of `files` and `uploads`.

use ferrochat_core::{Upload, UserFile};

use super::time::{from_millis, parse_id};
use crate::StoreError;

macro_rules! file_columns {
    () => {
        "id, user_id, filename, content_type, bytes, sha256, storage_key, source, width, \
         height, context, temp_file_id, created_at"
    };
}

macro_rules! upload_columns {
    () => {
        "id, user_id, length, upload_offset, parts, filename, content_type, metadata, file_id, \
         expires_at, created_at"
    };
}

/// Inserts a file (its columns in order).
pub const INSERT_FILE: &str = concat!(
    "INSERT INTO files (",
    file_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
);
/// File $2 of user $1.
pub const FILE: &str = concat!(
    "SELECT ",
    file_columns!(),
    " FROM files WHERE user_id = $1 AND id = $2"
);
/// Deletes file $2 of user $1, returning it.
pub const DELETE_FILE: &str = concat!(
    "DELETE FROM files WHERE user_id = $1 AND id = $2 RETURNING ",
    file_columns!()
);
/// Bytes held by user $1 (files and unfinished uploads).
pub const BYTES_USED: &str = "SELECT CAST(COALESCE((SELECT SUM(bytes) FROM files WHERE user_id = $1), 0) \
     + COALESCE((SELECT SUM(length) FROM uploads WHERE user_id = $1 AND file_id IS NULL), 0) AS BIGINT)";

/// A page of user $1's files, newest first; after ($2, $3) when $2 is not null.
pub fn page(limit: u32) -> String {
    format!(
        concat!(
            "SELECT ",
            file_columns!(),
            " FROM files WHERE user_id = $1 ",
            "AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3)) ",
            "ORDER BY created_at DESC, id DESC LIMIT {limit}"
        ),
        limit = limit
    )
}

/// Inserts an upload (its columns in order).
pub const INSERT_UPLOAD: &str = concat!(
    "INSERT INTO uploads (",
    upload_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);
/// Upload $2 of user $1.
pub const UPLOAD: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM uploads WHERE user_id = $1 AND id = $2"
);
/// Moves upload $2 of user $1 from offset $3 to $4 with parts $5, expiring at $6.
pub const APPEND: &str = "UPDATE uploads SET upload_offset = $4, parts = $5, expires_at = $6 \
     WHERE user_id = $1 AND id = $2 AND upload_offset = $3 AND file_id IS NULL";
/// Marks upload $2 of user $1 complete as file $3.
pub const FINISH: &str =
    "UPDATE uploads SET file_id = $3 WHERE user_id = $1 AND id = $2 AND file_id IS NULL";
/// Deletes upload $2 of user $1, returning it.
pub const DELETE_UPLOAD: &str = concat!(
    "DELETE FROM uploads WHERE user_id = $1 AND id = $2 RETURNING ",
    upload_columns!()
);
/// Uploads that expired before $1, oldest first, at most $2.
pub const EXPIRED: &str = concat!(
    "SELECT ",
    upload_columns!(),
    " FROM uploads WHERE expires_at < $1 ORDER BY expires_at LIMIT $2"
);

/// A `files` row.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct FileRow {
    pub id: String,
    pub user_id: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub source: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub context: String,
    pub temp_file_id: Option<String>,
    pub created_at: i64,
}

impl TryFrom<FileRow> for UserFile {
    type Error = StoreError;

    fn try_from(r: FileRow) -> Result<Self, StoreError> {
        Ok(UserFile {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            filename: r.filename,
            content_type: r.content_type,
            bytes: u64::try_from(r.bytes).unwrap_or_default(),
            sha256: r.sha256,
            storage_key: r.storage_key,
            source: r.source,
            width: r.width.and_then(|w| u32::try_from(w).ok()),
            height: r.height.and_then(|h| u32::try_from(h).ok()),
            context: r.context,
            temp_file_id: r.temp_file_id,
            created_at: from_millis(r.created_at)?,
        })
    }
}

/// An `uploads` row.
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub user_id: String,
    pub length: i64,
    pub upload_offset: i64,
    pub parts: String,
    pub filename: String,
    pub content_type: String,
    pub metadata: String,
    pub file_id: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

impl TryFrom<UploadRow> for Upload {
    type Error = StoreError;

    fn try_from(r: UploadRow) -> Result<Self, StoreError> {
        Ok(Upload {
            id: parse_id(&r.id)?,
            user_id: parse_id(&r.user_id)?,
            length: u64::try_from(r.length).unwrap_or_default(),
            offset: u64::try_from(r.upload_offset).unwrap_or_default(),
            parts: serde_json::from_str(&r.parts).map_err(|e| {
                StoreError::Other(format!("bad parts of upload {}: {e}", r.id).into())
            })?,
            filename: r.filename,
            content_type: r.content_type,
            metadata: r.metadata,
            file_id: r.file_id.as_deref().map(parse_id).transpose()?,
            expires_at: from_millis(r.expires_at)?,
            created_at: from_millis(r.created_at)?,
        })
    }
}

/// The stored form of a part list.
pub fn parts_text(parts: &[String]) -> String {
    serde_json::Value::from(parts.to_vec()).to_string()
}

/// A size as the database stores it (sizes past `i64::MAX` cannot occur: limits are far lower).
pub fn size(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// Binds a file's columns, in `INSERT_FILE`'s order, to `$query`.
#[doc(hidden)]
#[macro_export]
macro_rules! __bind_file {
    ($query:expr, $f:expr) => {
        $query
            .bind($f.id.to_string())
            .bind($f.user_id.to_string())
            .bind(&$f.filename)
            .bind(&$f.content_type)
            .bind($crate::sql::files::size($f.bytes))
            .bind(&$f.sha256)
            .bind(&$f.storage_key)
            .bind(&$f.source)
            .bind($f.width.map(i64::from))
            .bind($f.height.map(i64::from))
            .bind(&$f.context)
            .bind($f.temp_file_id.as_deref())
            .bind($crate::sql::time::to_millis($f.created_at))
    };
}
