//! File contents, kept apart from the database: a directory on this machine by default, or an
//! S3-compatible bucket when several instances must share them. Both sit behind
//! `object_store`, so the rest of the server streams bytes in and out without knowing which.
//!
//! Uploads are streamed: a body is never held whole in memory, only the part being sent (up
//! to [`PART_SIZE`], S3's minimum multipart part). Small bodies go up in one request.
#![warn(missing_docs)]

use std::fmt::Display;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};

/// Bytes gathered before a part is sent; S3 refuses smaller parts (except the last).
pub const PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts in flight at once during one multipart upload.
const PARTS_IN_FLIGHT: usize = 2;

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No blob under that key.
    #[error("blob not found")]
    NotFound,
    /// The body went past the limit it was given; nothing was kept.
    #[error("larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The body's stream failed (the client went away mid-upload); nothing was kept.
    #[error("body interrupted: {0}")]
    Body(String),
    /// The storage itself failed.
    #[error("blob store: {0}")]
    Backend(String),
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound,
            other => BlobError::Backend(other.to_string()),
        }
    }
}

/// Settings of an S3-compatible bucket.
#[derive(Clone, Debug, Default)]
pub struct S3Settings {
    /// Bucket.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// A non-AWS endpoint (`http://` allowed).
    pub endpoint: Option<String>,
    /// Static credentials; the AWS chain (environment, instance role) when `None`.
    pub credentials: Option<(String, String)>,
    /// Path-style addressing (`endpoint/bucket/key`).
    pub path_style: bool,
}

/// What a write stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its size.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// The body's stream failed after these bytes; they were kept (see
    /// [`Blobs::put_stream`]'s `keep_partial`).
    pub interrupted: Option<String>,
}

/// An opened blob (or a range of it).
pub struct BlobRead {
    /// The whole blob's size.
    pub size: u64,
    /// The bytes the stream yields.
    pub range: Range<u64>,
    /// The contents.
    pub stream: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

/// A blob store.
#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    source: &'static str,
}

impl Blobs {
    /// Blobs in a directory (created if missing).
    pub fn local(dir: &Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| BlobError::Backend(format!("cannot create {}: {e}", dir.display())))?;
        let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            source: "local",
        })
    }

    /// Blobs in an S3-compatible bucket.
    pub fn s3(settings: &S3Settings) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_virtual_hosted_style_request(!settings.path_style);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some((id, secret)) = &settings.credentials {
            builder = builder
                .with_access_key_id(id)
                .with_secret_access_key(secret);
        }
        Ok(Self {
            store: Arc::new(builder.build()?),
            source: "s3",
        })
    }

    /// Which kind of store this is (`local`, `s3`), recorded with each file.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether the store answers (readiness): a lookup of a key that need not exist.
    pub async fn check(&self) -> Result<(), BlobError> {
        match self.store.head(&Key::from("ferrochat-readiness")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Streams `body` into the blob `key`, up to `limit` bytes, hashing as it goes.
    ///
    /// Past the limit the write is abandoned ([`BlobError::TooLarge`]). When the body's stream
    /// fails, the write is abandoned too ([`BlobError::Body`]), unless `keep_partial`: then
    /// the bytes received are stored and reported in [`Stored::interrupted`], which is what a
    /// resumable upload needs to carry on from there.
    pub async fn put_stream<S, E>(
        &self,
        key: &str,
        body: S,
        limit: u64,
        keep_partial: bool,
    ) -> Result<Stored, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: Display,
    {
        let key = Key::from(key);
        let mut body = std::pin::pin!(body);
        let mut hasher = Sha256::new();
        let mut total: u64 = 0;
        let mut pending: Vec<Bytes> = Vec::new();
        let mut pending_len = 0usize;
        let mut multipart: Option<WriteMultipart> = None;
        let mut interrupted = None;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) if keep_partial => {
                    interrupted = Some(e.to_string());
                    break;
                }
                Err(e) => {
                    abort(multipart).await;
                    return Err(BlobError::Body(e.to_string()));
                }
            };
            total += chunk.len() as u64;
            if total > limit {
                abort(multipart).await;
                return Err(BlobError::TooLarge { limit });
            }
            hasher.update(&chunk);
            if let Some(upload) = multipart.as_mut() {
                upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                upload.put(chunk);
                continue;
            }
            pending_len += chunk.len();
            pending.push(chunk);
            if pending_len >= PART_SIZE {
                let mut upload = WriteMultipart::new_with_chunk_size(
                    self.store.put_multipart(&key).await?,
                    PART_SIZE,
                );
                for c in pending.drain(..) {
                    upload.put(c);
                }
                multipart = Some(upload);
            }
        }
        match multipart {
            Some(upload) => {
                upload.finish().await?;
            }
            None => {
                self.store.put(&key, PutPayload::from_iter(pending)).await?;
            }
        }
        Ok(Stored {
            bytes: total,
            sha256: hex::encode(hasher.finalize()),
            interrupted,
        })
    }

    /// Joins the blobs `parts`, in order, into the blob `key` (resumable uploads' last step).
    pub async fn concat(
        &self,
        parts: &[String],
        key: &str,
        limit: u64,
    ) -> Result<Stored, BlobError> {
        let store = self.store.clone();
        let body = futures_util::stream::iter(parts.to_vec())
            .then(move |part| {
                let store = store.clone();
                async move { store.get(&Key::from(part)).await }
            })
            .map_ok(|got| got.into_stream())
            .try_flatten()
            // Boxed: the combinator type's `Send` bound is otherwise not general enough for
            // the handlers that await this.
            .boxed();
        self.put_stream(key, body, limit, false).await
    }

    /// Opens the blob `key`, or the byte `range` of it.
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<BlobRead, BlobError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let got = self.store.get_opts(&Key::from(key), options).await?;
        Ok(BlobRead {
            size: got.meta.size,
            range: got.range.clone(),
            stream: got
                .into_stream()
                .map_err(|e| std::io::Error::other(e.to_string()))
                .boxed(),
        })
    }

    /// Deletes the blob `key`; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The keys of the blobs under `prefix`, with their sizes, in key order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, BlobError> {
        let prefix = Key::from(prefix);
        let mut found: Vec<(String, u64)> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| (meta.location.to_string(), meta.size))
            .try_collect()
            .await?;
        found.sort();
        Ok(found)
    }

    /// Deletes every blob under `prefix` (a user's files when the account goes); returns how
    /// many.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<u64, BlobError> {
        let prefix = Key::from(prefix);
        let keys: Vec<Key> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        let mut deleted = 0;
        for key in keys {
            match self.store.delete(&key).await {
                Ok(()) => deleted += 1,
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(deleted)
    }
}

/// Abandons a multipart upload, logging (not failing on) an abort that itself fails: the
/// store's own lifecycle rules clean up what is left.
async fn abort(upload: Option<WriteMultipart>) {
    if let Some(upload) = upload
        && let Err(e) = upload.abort().await
    {
        tracing::warn!(error = %e, "could not abort a multipart upload");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn chunks(sizes: &[usize]) -> Vec<Result<Bytes, std::io::Error>> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, n)| Ok(Bytes::from(vec![b'a' + (i % 26) as u8; *n])))
            .collect()
    }

    async fn read_all(blobs: &Blobs, key: &str) -> Vec<u8> {
        let read = blobs.get(key, None).await.unwrap();
        read.stream
            .try_fold(Vec::new(), |mut all, c| async move {
                all.extend_from_slice(&c);
                Ok(all)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn small_and_multipart_writes_read_back_with_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local(dir.path()).unwrap();
        let small = blobs
            .put_stream(
                "files/u/a",
                futures_util::stream::iter(chunks(&[3, 4])),
                100,
                false,
            )
            .await
            .unwrap();
        assert_eq!(small.bytes, 7);
        assert_eq!(read_all(&blobs, "files/u/a").await, b"aaabbbb");
        assert_eq!(small.sha256, hex::encode(Sha256::digest(b"aaabbbb")));

        let sizes = [PART_SIZE - 1, 2, PART_SIZE, 10];
        let big = blobs
            .put_stream(
                "files/u/b",
                futures_util::stream::iter(chunks(&sizes)),
                u64::MAX,
                false,
            )
            .await
            .unwrap();
        assert_eq!(big.bytes, sizes.iter().sum::<usize>() as u64);
        let back = read_all(&blobs, "files/u/b").await;
        assert_eq!(hex::encode(Sha256::digest(&back)), big.sha256);

        let range = blobs.get("files/u/a", Some(2..5)).await.unwrap();
        assert_eq!((range.size, range.range.clone()), (7, 2..5));
    }

    #[tokio::test]
    async fn limits_and_broken_bodies_keep_nothing_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::local(dir.path()).unwrap();
        let over = blobs
            .put_stream(
                "k/over",
                futures_util::stream::iter(chunks(&[6, 6])),
                10,
                false,
            )
            .await;
        assert!(matches!(over, Err(BlobError::TooLarge { limit: 10 })));
        assert!(matches!(
            blobs.get("k/over", None).await,
            Err(BlobError::NotFound)
        ));

        let broken = || {
            let mut items = chunks(&[4]);
            items.push(Err(std::io::Error::other("reset")));
            futures_util::stream::iter(items)
        };
        assert!(matches!(
            blobs.put_stream("k/broken", broken(), 100, false).await,
            Err(BlobError::Body(_))
        ));
        assert!(matches!(
            blobs.get("k/broken", None).await,
            Err(BlobError::NotFound)
        ));
        let kept = blobs
            .put_stream("k/kept", broken(), 100, true)
            .await
            .unwrap();
        assert_eq!((kept.bytes, kept.interrupted.is_some()), (4, true));
        assert_eq!(read_all(&blobs, "k/kept").await, b"aaaa");

        let joined = blobs
            .concat(&["k/kept".into(), "k/kept".into()], "k/joined", 100)
            .await
            .unwrap();
        assert_eq!(joined.bytes, 8);
        assert_eq!(blobs.delete_prefix("k").await.unwrap(), 2);
        blobs.delete("k/joined").await.unwrap();
        blobs.check().await.unwrap();
    }
}
