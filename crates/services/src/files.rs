//! Files: uploaded in one request or resumably (tus), kept in the blob store with a metadata
//! row, listed, downloaded (whole or by range) and deleted by their owner.
//!
//! Order of writes keeps the two stores consistent: a blob is written before its row and
//! removed after it, so a row never names a missing blob; a crash in between leaves at worst
//! an orphan blob, which deleting the account removes (every key sits under the user's
//! prefix).

use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ferrochat_blobs::{BlobError, BlobRead, Blobs};
use ferrochat_config::FileConfig;
use ferrochat_config::file_config::mime_allowed;
use ferrochat_core::{FileId, Upload, UploadId, UserFile, UserId};
use ferrochat_store::DynStore;
use futures_util::Stream;

use crate::error::not_found;
use crate::{Clock, ServiceError, ServiceResult, paging};

/// Longest file name kept.
const MAX_FILENAME: usize = 255;
/// Default page.
pub const DEFAULT_PAGE: u32 = 50;
/// Largest page.
pub const MAX_PAGE: u32 = 100;
/// Expired uploads removed per sweep round.
const SWEEP_BATCH: u32 = 100;

/// What uploads may do.
#[derive(Clone, Debug)]
pub struct FilePolicy {
    /// Uploads are allowed.
    pub enabled: bool,
    /// Largest file.
    pub max_file_size: u64,
    /// Total bytes per user, if limited.
    pub user_quota: Option<u64>,
    /// How long an unfinished upload lives after its last write.
    pub upload_expiry: Duration,
    /// LibreChat's `fileConfig`: per-endpoint rules (types, sizes, files per message) and the
    /// avatar limit.
    pub rules: Arc<FileConfig>,
}

/// A new file's description (its bytes come separately).
#[derive(Clone, Debug, Default)]
pub struct NewFile {
    /// Its name.
    pub filename: String,
    /// Declared MIME type; `application/octet-stream` when absent.
    pub content_type: Option<String>,
    /// Image width.
    pub width: Option<u32>,
    /// Image height.
    pub height: Option<u32>,
    /// What it is for (LibreChat's `context`); `message_attachment` when absent.
    pub context: Option<String>,
    /// The client's temporary ID.
    pub temp_file_id: Option<String>,
    /// The endpoint the file is for, whose `fileConfig` rules apply (`default`'s without one).
    pub endpoint: Option<String>,
    /// That endpoint is a custom one (the `custom` rules apply when it has none of its own).
    pub custom_endpoint: bool,
}

/// Contents stored for a file not yet recorded.
#[derive(Debug)]
pub struct Staged {
    id: FileId,
    user_id: UserId,
    key: String,
    bytes: u64,
    sha256: String,
}

/// A page of files.
#[derive(Debug)]
pub struct FilePage {
    /// The files, newest first.
    pub files: Vec<UserFile>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// A checksum algorithm of tus' checksum extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// SHA-1 (the one every tus server must offer).
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// The names offered in `Tus-Checksum-Algorithm`.
    pub const OFFERED: &'static str = "sha1,sha256";

    /// The algorithm a tus name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            _ => None,
        }
    }

    fn hasher(self) -> Hasher {
        use sha2::Digest as _;
        match self {
            Self::Sha1 => Hasher::Sha1(sha1::Sha1::new()),
            Self::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
        }
    }
}

/// What a part's bytes must hash to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksum {
    /// How.
    pub algorithm: ChecksumAlgorithm,
    /// The expected digest.
    pub digest: Vec<u8>,
}

enum Hasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        match self {
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    fn finish(&mut self) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Hasher::Sha1(h) => h.finalize_reset().to_vec(),
            Hasher::Sha256(h) => h.finalize_reset().to_vec(),
        }
    }
}

/// What a write to a resumable upload did.
#[derive(Debug)]
pub struct Appended {
    /// The upload after it.
    pub upload: Upload,
    /// The file it became, when that write was the last.
    pub file: Option<UserFile>,
}

/// Image types a link may show inline (never SVG, which can carry script).
pub const INLINE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];
/// Largest avatar: LibreChat's default `avatarSizeLimit`, 2 MB.
pub const AVATAR_MAX_BYTES: u64 = 2 * 1024 * 1024;

/// Files and uploads.
#[derive(Clone)]
pub struct FileService {
    store: DynStore,
    blobs: Blobs,
    clock: Arc<dyn Clock>,
    policy: FilePolicy,
    /// Signs image links (`<img>` tags cannot send a bearer token); none: no links.
    link_key: Option<Arc<[u8]>>,
}

impl FileService {
    /// A service over `store` (rows) and `blobs` (contents).
    pub fn new(store: DynStore, blobs: Blobs, clock: Arc<dyn Clock>, policy: FilePolicy) -> Self {
        Self {
            store,
            blobs,
            clock,
            policy,
            link_key: None,
        }
    }

    /// The same service, signing image links with `key`.
    pub fn with_link_key(mut self, key: &[u8]) -> Self {
        self.link_key = Some(Arc::from(key));
        self
    }

    /// Where a client fetches a file: for an image, a signed link that works without
    /// credentials (the LibreChat client shows images with plain `<img>` tags, as LibreChat's
    /// own `/images/…` path does); otherwise the download path, which needs the bearer token.
    pub fn client_path(&self, file: &UserFile) -> String {
        match self.link_token(file.user_id, file.id) {
            Some(token) if INLINE_IMAGES.contains(&file.content_type.as_str()) => {
                format!("/api/files/view/{}/{}/{token}", file.user_id, file.id)
            }
            _ => format!("/api/files/download/{}/{}", file.user_id, file.id),
        }
    }

    /// An image a signed link names, if the token is right (else, as for any other miss,
    /// not found).
    pub async fn linked_image(
        &self,
        user_id: UserId,
        id: FileId,
        token: &str,
    ) -> ServiceResult<UserFile> {
        let expected = self
            .link_token(user_id, id)
            .ok_or(ServiceError::NotFound("file"))?;
        let same: bool =
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), token.as_bytes()).into();
        if !same {
            return Err(ServiceError::NotFound("file"));
        }
        let file = self.get(user_id, id).await?;
        if !INLINE_IMAGES.contains(&file.content_type.as_str()) {
            return Err(ServiceError::NotFound("file"));
        }
        Ok(file)
    }

    /// HMAC-SHA256 of the owner and file, 128 bits in hex.
    fn link_token(&self, user_id: UserId, id: FileId) -> Option<String> {
        use hmac::Mac as _;
        let key = self.link_key.as_ref()?;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
        mac.update(format!("{user_id}/{id}").as_bytes());
        Some(hex::encode(&mac.finalize().into_bytes()[..16]))
    }

    /// Largest avatar: `fileConfig.avatarSizeLimit`, else [`AVATAR_MAX_BYTES`].
    pub fn avatar_limit(&self) -> u64 {
        self.policy
            .rules
            .avatar_size_limit
            .unwrap_or(AVATAR_MAX_BYTES)
    }

    /// The rules in force (the doors show the limits).
    pub fn policy(&self) -> &FilePolicy {
        &self.policy
    }

    /// Whether the blob store answers.
    pub async fn ready(&self) -> ServiceResult<()> {
        self.blobs.check().await.map_err(blob_error)
    }

    /// Stores a file sent in one request. `declared` (a `Content-Length`) lets an oversized
    /// or over-quota upload be refused before a byte is read.
    pub async fn upload<S, E>(
        &self,
        user_id: UserId,
        new: NewFile,
        declared: Option<u64>,
        body: S,
    ) -> ServiceResult<UserFile>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let new = checked(new)?;
        if let Some(declared) = declared {
            self.check_rules(&new, declared)?;
        }
        let staged = self.stage(user_id, declared, body).await?;
        if let Err(e) = self.check_rules(&new, staged.bytes) {
            self.discard(staged).await;
            return Err(e);
        }
        self.insert(staged, new).await
    }

    /// The endpoint's `fileConfig` rules for a file of `bytes` (its type as declared).
    fn check_rules(&self, new: &NewFile, bytes: u64) -> ServiceResult<()> {
        let Some(rules) = self
            .policy
            .rules
            .rules(new.endpoint.as_deref(), new.custom_endpoint)
        else {
            return Ok(());
        };
        if rules.disabled == Some(true) {
            return Err(ServiceError::invalid(
                "endpoint",
                "takes no files (fileConfig)",
            ));
        }
        let kind = new
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        if let Some(patterns) = &rules.supported_mime_types
            && !mime_allowed(patterns, kind)
        {
            return Err(ServiceError::invalid(
                "file",
                format!("files of type {kind} are not accepted here (fileConfig)"),
            ));
        }
        if let Some(limit) = rules.file_size_limit
            && bytes > limit
        {
            return Err(ServiceError::TooLarge {
                what: "file",
                limit,
            });
        }
        Ok(())
    }

    /// Files one message to `endpoint` may carry, when `fileConfig` limits it; an error when
    /// the endpoint takes no files.
    pub fn message_file_limit(&self, endpoint: &str, custom: bool) -> ServiceResult<Option<u32>> {
        match self.policy.rules.rules(Some(endpoint), custom) {
            Some(r) if r.disabled == Some(true) => Err(ServiceError::invalid(
                "files",
                "this endpoint takes no files (fileConfig)",
            )),
            Some(r) => Ok(r.file_limit),
            None => Ok(None),
        }
    }

    /// Stores the contents of a file whose description comes later (a multipart form may send
    /// its fields after the file); [`FileService::record`] completes it.
    pub async fn stage<S, E>(
        &self,
        user_id: UserId,
        declared: Option<u64>,
        body: S,
    ) -> ServiceResult<Staged>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        self.check_enabled()?;
        let room = self.room(user_id, declared.unwrap_or(0)).await?;
        let id = FileId::new();
        let key = file_key(user_id, id);
        let stored = self
            .blobs
            .put_stream(&key, body, room, false)
            .await
            .map_err(|e| self.limit_error(e, room))?;
        Ok(Staged {
            id,
            user_id,
            key,
            bytes: stored.bytes,
            sha256: stored.sha256,
        })
    }

    /// Records a staged file under its description; an invalid description drops the contents.
    pub async fn record(&self, staged: Staged, new: NewFile) -> ServiceResult<UserFile> {
        let new = checked(new).and_then(|new| {
            self.check_rules(&new, staged.bytes)?;
            Ok(new)
        });
        match new {
            Ok(new) => self.insert(staged, new).await,
            Err(e) => {
                self.discard(staged).await;
                Err(e)
            }
        }
    }

    /// Records staged contents under a checked description.
    async fn insert(&self, staged: Staged, new: NewFile) -> ServiceResult<UserFile> {
        let file = UserFile {
            id: staged.id,
            user_id: staged.user_id,
            filename: new.filename,
            content_type: new.content_type.unwrap_or_default(),
            bytes: staged.bytes,
            sha256: staged.sha256,
            storage_key: staged.key,
            source: self.blobs.source().to_owned(),
            width: new.width,
            height: new.height,
            context: new.context.unwrap_or_default(),
            temp_file_id: new.temp_file_id,
            created_at: self.clock.now(),
        };
        if let Err(e) = self.store.insert_file(&file).await {
            self.forget_blob(&file.storage_key).await;
            return Err(e.into());
        }
        Ok(file)
    }

    /// Drops staged contents that will not be recorded.
    pub async fn discard(&self, staged: Staged) {
        self.forget_blob(&staged.key).await;
    }

    /// One of the user's files.
    pub async fn get(&self, user_id: UserId, id: FileId) -> ServiceResult<UserFile> {
        self.store
            .file(user_id, id)
            .await
            .map_err(not_found("file"))
    }

    /// A page of the user's files, newest first.
    pub async fn list(
        &self,
        user_id: UserId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<FilePage> {
        let limit = paging::limit(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = cursor.map(paging::decode_cursor).transpose()?;
        let mut files = self.store.files(user_id, after, limit + 1).await?;
        let next_cursor = paging::finish(&mut files, limit, |f| paging::cursor(f.created_at, f.id));
        Ok(FilePage { files, next_cursor })
    }

    /// Opens a file's contents (read with [`FileService::get`], which checked the owner), or
    /// the byte `range` of them (end exclusive; the caller keeps it within [`UserFile::bytes`]).
    pub async fn contents(
        &self,
        file: &UserFile,
        range: Option<Range<u64>>,
    ) -> ServiceResult<BlobRead> {
        self.blobs
            .get(&file.storage_key, range)
            .await
            .map_err(blob_error)
    }

    /// Deletes a file (row, then contents).
    pub async fn delete(&self, user_id: UserId, id: FileId) -> ServiceResult<UserFile> {
        let file = self
            .store
            .delete_file(user_id, id)
            .await?
            .ok_or(ServiceError::NotFound("file"))?;
        self.forget_blob(&file.storage_key).await;
        // The account's picture, deleted as a file: the account shows none rather than a
        // link that no longer loads.
        if file.context == "avatar" {
            let user = self.store.user_by_id(user_id).await?;
            if avatar_file(user_id, user.avatar.as_deref()) == Some(id) {
                self.store
                    .set_user_avatar(user_id, None, self.clock.now())
                    .await?;
            }
        }
        Ok(file)
    }

    /// Removes the user's avatar: the account shows none, and the picture, if it was an
    /// upload, is deleted.
    pub async fn clear_avatar(&self, user_id: UserId) -> ServiceResult<()> {
        let user = self.store.user_by_id(user_id).await?;
        if user.avatar.is_none() {
            return Ok(());
        }
        self.store
            .set_user_avatar(user_id, None, self.clock.now())
            .await?;
        if let Some(old) = avatar_file(user_id, user.avatar.as_deref()) {
            match self.delete(user_id, old).await {
                Ok(_) | Err(ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Makes an uploaded picture the user's avatar: a PNG, JPEG, GIF or WebP image (told by
    /// its first bytes, whatever the upload declared, and decoded once to be sure) of at most
    /// [`Self::avatar_limit`], scaled down when large ([`avatar_picture`]), kept as
    /// one of the user's files (context `avatar`). Its signed link becomes the account's
    /// `avatar`, because the client shows it with a plain `<img>`; the picture it replaces is
    /// deleted. Returns the link.
    pub async fn set_avatar<S, E>(&self, user_id: UserId, body: S) -> ServiceResult<String>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        use futures_util::StreamExt as _;
        self.check_enabled()?;
        let limit = self.avatar_limit();
        let mut image = Vec::new();
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| ServiceError::invalid("file", format!("unreadable: {e}")))?;
            if (image.len() + chunk.len()) as u64 > limit {
                return Err(ServiceError::TooLarge {
                    what: "avatar",
                    limit,
                });
            }
            image.extend_from_slice(&chunk);
        }
        let (content_type, extension) = image_kind(&image).ok_or_else(|| {
            ServiceError::invalid("file", "must be a PNG, JPEG, GIF or WebP image")
        })?;
        let (image, content_type, extension) =
            avatar_picture(image, content_type, extension).await?;
        let previous = self.store.user_by_id(user_id).await?.avatar;
        let bytes = image.len() as u64;
        let new = NewFile {
            filename: format!("avatar.{extension}"),
            content_type: Some(content_type.to_owned()),
            context: Some("avatar".to_owned()),
            ..NewFile::default()
        };
        // Not through `upload`: endpoints' file rules are for attachments, not pictures.
        let new = checked(new)?;
        let chunk: Result<Bytes, std::convert::Infallible> = Ok(Bytes::from(image));
        let staged = self
            .stage(user_id, Some(bytes), futures_util::stream::iter([chunk]))
            .await?;
        let file = self.insert(staged, new).await?;
        let link = self.client_path(&file);
        if let Err(e) = self
            .store
            .set_user_avatar(user_id, Some(&link), self.clock.now())
            .await
        {
            let _ = self.delete(user_id, file.id).await;
            return Err(e.into());
        }
        if let Some(old) = avatar_file(user_id, previous.as_deref()).filter(|old| *old != file.id) {
            match self.delete(user_id, old).await {
                Ok(_) | Err(ServiceError::NotFound(_)) => {}
                Err(e) => tracing::warn!(error = %e, "could not delete a replaced avatar"),
            }
        }
        Ok(link)
    }

    /// Removes every blob of a user (after the account's rows are gone).
    pub async fn delete_all_of(&self, user_id: UserId) -> ServiceResult<u64> {
        let files = self
            .blobs
            .delete_prefix(&format!("files/{user_id}"))
            .await
            .map_err(blob_error)?;
        let parts = self
            .blobs
            .delete_prefix(&format!("uploads/{user_id}"))
            .await
            .map_err(blob_error)?;
        Ok(files + parts)
    }

    /// Starts a resumable upload of `length` bytes.
    pub async fn create_upload(
        &self,
        user_id: UserId,
        length: u64,
        new: NewFile,
        metadata: String,
    ) -> ServiceResult<Upload> {
        self.check_enabled()?;
        let new = checked(new)?;
        if length == 0 {
            return Err(ServiceError::invalid("Upload-Length", "must be at least 1"));
        }
        self.check_rules(&new, length)?;
        self.room(user_id, length).await?;
        let now = self.clock.now();
        let upload = Upload {
            id: UploadId::new(),
            user_id,
            length,
            offset: 0,
            parts: Vec::new(),
            filename: new.filename,
            content_type: new.content_type.unwrap_or_default(),
            metadata,
            file_id: None,
            expires_at: self.expiry(now),
            created_at: now,
        };
        self.store.create_upload(&upload).await?;
        Ok(upload)
    }

    /// One of the user's uploads (an expired one is gone, even before the sweep).
    pub async fn upload_state(&self, user_id: UserId, id: UploadId) -> ServiceResult<Upload> {
        let upload = self
            .store
            .upload(user_id, id)
            .await
            .map_err(not_found("upload"))?;
        if upload.file_id.is_none() && upload.expires_at <= self.clock.now() {
            return Err(ServiceError::NotFound("upload"));
        }
        Ok(upload)
    }

    /// Appends `body` at `offset`, which must be where the upload stands. The bytes that
    /// arrive are kept even when the body breaks off, so the client resumes from there; the
    /// write that reaches the declared length turns the upload into a file. With a
    /// `checksum` (tus' checksum extension), bytes that do not match it are not kept
    /// (a body that broke off cannot match).
    pub async fn append<S, E>(
        &self,
        user_id: UserId,
        id: UploadId,
        offset: u64,
        body: S,
        checksum: Option<Checksum>,
    ) -> ServiceResult<Appended>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let upload = self.upload_state(user_id, id).await?;
        if upload.file_id.is_some() || upload.offset != offset {
            return Err(ServiceError::Conflict {
                field: "Upload-Offset",
            });
        }
        let room = upload.length - upload.offset;
        let key = format!("uploads/{user_id}/{id}/{offset:020}-{}", FileId::new());
        let digest = checksum
            .as_ref()
            .map(|c| Arc::new(Mutex::new(c.algorithm.hasher())));
        let seen = digest.clone();
        let body = futures_util::StreamExt::inspect(body, move |chunk| {
            if let (Some(hasher), Ok(bytes)) = (&seen, chunk) {
                hasher
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .update(bytes);
            }
        });
        let stored = self
            .blobs
            .put_stream(&key, body, room, true)
            .await
            .map_err(|e| self.limit_error(e, room))?;
        if let (Some(expected), Some(hasher)) = (&checksum, digest) {
            let got = hasher.lock().unwrap_or_else(|p| p.into_inner()).finish();
            if stored.interrupted.is_some() || got != expected.digest {
                self.forget_blob(&key).await;
                return Err(ServiceError::ChecksumMismatch);
            }
        }
        if stored.bytes == 0 {
            self.forget_blob(&key).await;
            return Ok(Appended { upload, file: None });
        }
        let to = offset + stored.bytes;
        let now = self.clock.now();
        let won = self
            .store
            .append_part(&upload, offset, &key, to, self.expiry(now))
            .await?;
        if !won {
            self.forget_blob(&key).await;
            return Err(ServiceError::Conflict {
                field: "Upload-Offset",
            });
        }
        let mut upload = upload;
        upload.parts.push(key);
        upload.offset = to;
        let file = if to == upload.length {
            Some(self.finish(&mut upload).await?)
        } else {
            None
        };
        Ok(Appended { upload, file })
    }

    /// Joins a complete upload's parts into its file.
    async fn finish(&self, upload: &mut Upload) -> ServiceResult<UserFile> {
        let id = FileId::new();
        let key = file_key(upload.user_id, id);
        let stored = self
            .blobs
            .concat(&upload.parts, &key, upload.length)
            .await
            .map_err(blob_error)?;
        let file = UserFile {
            id,
            user_id: upload.user_id,
            filename: upload.filename.clone(),
            content_type: upload.content_type.clone(),
            bytes: stored.bytes,
            sha256: stored.sha256,
            storage_key: key,
            source: self.blobs.source().to_owned(),
            width: None,
            height: None,
            context: "message_attachment".into(),
            temp_file_id: None,
            created_at: self.clock.now(),
        };
        if let Err(e) = self.store.finish_upload(upload, &file).await {
            self.forget_blob(&file.storage_key).await;
            return Err(e.into());
        }
        for part in &upload.parts {
            self.forget_blob(part).await;
        }
        upload.file_id = Some(id);
        Ok(file)
    }

    /// Abandons an upload and its parts (tus termination).
    pub async fn terminate(&self, user_id: UserId, id: UploadId) -> ServiceResult<()> {
        let upload = self
            .store
            .delete_upload(user_id, id)
            .await?
            .ok_or(ServiceError::NotFound("upload"))?;
        if upload.file_id.is_none() {
            for part in &upload.parts {
                self.forget_blob(part).await;
            }
        }
        Ok(())
    }

    /// Removes expired uploads with their parts; returns how many.
    pub async fn sweep(&self) -> ServiceResult<u64> {
        let mut removed = 0;
        loop {
            let expired = self
                .store
                .expired_uploads(self.clock.now(), SWEEP_BATCH)
                .await?;
            if expired.is_empty() {
                return Ok(removed);
            }
            for upload in expired {
                if self
                    .store
                    .delete_upload(upload.user_id, upload.id)
                    .await?
                    .is_some()
                {
                    removed += 1;
                }
                if upload.file_id.is_none() {
                    for part in &upload.parts {
                        self.forget_blob(part).await;
                    }
                }
            }
        }
    }

    /// Sweeps expired uploads every minute, forever (the server runs it beside the others).
    pub async fn run_sweeper(&self) {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            match self.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "expired uploads removed"),
                Err(e) => tracing::warn!(error = %e, "sweeping expired uploads failed"),
            }
        }
    }

    fn check_enabled(&self) -> ServiceResult<()> {
        if self.policy.enabled {
            Ok(())
        } else {
            Err(ServiceError::Forbidden("file uploads are turned off"))
        }
    }

    /// Bytes the user may still add in one file: the file limit, or what the quota leaves.
    /// Refuses at once when `wanted` does not fit.
    async fn room(&self, user_id: UserId, wanted: u64) -> ServiceResult<u64> {
        let mut room = self.policy.max_file_size;
        if wanted > room {
            return Err(ServiceError::TooLarge {
                what: "file",
                limit: room,
            });
        }
        if let Some(quota) = self.policy.user_quota {
            let left = quota.saturating_sub(self.store.bytes_used(user_id).await?);
            if wanted > left || left == 0 {
                return Err(ServiceError::TooLarge {
                    what: "storage quota",
                    limit: quota,
                });
            }
            room = room.min(left);
        }
        Ok(room)
    }

    /// A blob error during an upload with `room` bytes allowed.
    fn limit_error(&self, e: BlobError, room: u64) -> ServiceError {
        match e {
            BlobError::TooLarge { .. } if room < self.policy.max_file_size => {
                ServiceError::TooLarge {
                    what: "storage quota",
                    limit: self.policy.user_quota.unwrap_or(room),
                }
            }
            BlobError::TooLarge { limit } => ServiceError::TooLarge {
                what: "file",
                limit,
            },
            other => blob_error(other),
        }
    }

    fn expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.policy.upload_expiry)
            .unwrap_or_else(|_| chrono::Duration::days(1))
    }

    /// Deletes a blob nobody refers to any more; a failure leaves an orphan, logged.
    async fn forget_blob(&self, key: &str) {
        if let Err(e) = self.blobs.delete(key).await {
            tracing::warn!(key, error = %e, "could not delete a blob");
        }
    }
}

/// The file an avatar link names, if it is one of the user's uploads
/// (`/api/files/view/{user}/{file}/{token}`), not a picture from a sign-in provider.
fn avatar_file(user_id: UserId, avatar: Option<&str>) -> Option<FileId> {
    let rest = avatar?.strip_prefix(&format!("/api/files/view/{user_id}/"))?;
    rest.split('/').next()?.parse().ok()
}

/// The image type and file extension `bytes` start like, for the types an avatar may be.
/// Longest side of a stored avatar: the client shows it at 20 to 40 CSS pixels.
const AVATAR_SIDE: u32 = 256;

/// The picture as stored: decoded once (within the codec's limits) to be sure it is one, and
/// scaled down to fit [`AVATAR_SIDE`] when larger, since every page that shows the user loads
/// it. Animated GIFs are kept as sent (scaling keeps one frame).
async fn avatar_picture(
    image: Vec<u8>,
    content_type: &'static str,
    extension: &'static str,
) -> ServiceResult<(Vec<u8>, &'static str, &'static str)> {
    use crate::images::{ImageError, check, probe, scale};
    let unreadable = || ServiceError::invalid("file", "is not a readable image");
    let (format, (w, h)) = probe(&image).map_err(|_| unreadable())?;
    let shrink = format != image::ImageFormat::Gif && w.max(h) > AVATAR_SIDE;
    let checked = tokio::task::spawn_blocking(move || {
        if shrink {
            scale(&image, format, AVATAR_SIDE, usize::MAX)
                .map(|s| (s.bytes, s.media_type, s.extension))
        } else {
            check(&image, format).map(|()| (image, content_type, extension))
        }
    })
    .await
    .map_err(|e| ServiceError::Internal(Box::new(e)))?;
    checked.map_err(|e| match e {
        ImageError::TooLarge(why) => ServiceError::invalid("file", format!("is too large ({why})")),
        ImageError::Unreadable => unreadable(),
    })
}

fn image_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

fn file_key(user_id: UserId, id: FileId) -> String {
    format!("files/{user_id}/{id}")
}

fn blob_error(e: BlobError) -> ServiceError {
    match e {
        BlobError::NotFound => ServiceError::NotFound("file contents"),
        BlobError::TooLarge { limit } => ServiceError::TooLarge {
            what: "file",
            limit,
        },
        BlobError::Body(why) => {
            ServiceError::invalid("body", format!("the upload broke off: {why}"))
        }
        BlobError::Backend(why) => ServiceError::Unavailable(format!("file storage: {why}")),
    }
}

/// Checks and normalises a new file's description.
fn checked(mut new: NewFile) -> ServiceResult<NewFile> {
    let name = new.filename.trim();
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    if name.is_empty() {
        return Err(ServiceError::invalid("filename", "must not be empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            "filename",
            "must not contain control characters",
        ));
    }
    new.filename = name.chars().take(MAX_FILENAME).collect();
    new.content_type = Some(match new.content_type.as_deref().map(str::trim) {
        None | Some("") => "application/octet-stream".to_owned(),
        Some(t) if is_mime(t) => t.to_ascii_lowercase(),
        Some(_) => {
            return Err(ServiceError::invalid(
                "content_type",
                "must be a MIME type such as image/png",
            ));
        }
    });
    let context = new.context.as_deref().map(str::trim).unwrap_or("");
    if context.len() > 64
        || !context
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(ServiceError::invalid(
            "context",
            "must be a word such as message_attachment",
        ));
    }
    new.context = Some(if context.is_empty() {
        "message_attachment".into()
    } else {
        context.to_owned()
    });
    if new.temp_file_id.as_ref().is_some_and(|t| t.len() > 128) {
        return Err(ServiceError::invalid(
            "file_id",
            "must be at most 128 characters",
        ));
    }
    Ok(new)
}

/// `type/subtype` with token characters, parameters dropped by the caller.
fn is_mime(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 127
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match text.split_once('/') {
        Some((kind, sub)) => token(kind) && token(sub),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_directories_and_types_are_checked() {
        let new = checked(NewFile {
            filename: "../../etc/passwd".into(),
            ..NewFile::default()
        })
        .unwrap_or_default();
        assert_eq!(new.filename, "passwd");
        assert_eq!(
            new.content_type.as_deref(),
            Some("application/octet-stream")
        );
        assert!(
            checked(NewFile {
                filename: "a.png".into(),
                content_type: Some("image/png; x=<script>".into()),
                ..NewFile::default()
            })
            .is_err()
        );
        assert!(
            checked(NewFile {
                filename: " ".into(),
                ..NewFile::default()
            })
            .is_err()
        );
        assert!(is_mime(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
    }
}
