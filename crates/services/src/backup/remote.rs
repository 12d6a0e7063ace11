//! Backups kept off the machine, in an S3 bucket: each backup the schedule (or `ferrochat
//! backup`) writes locally is uploaded under a prefix, the oldest beyond the number kept are
//! deleted there too, and `ferrochat restore s3://bucket/key` fetches one back.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use ferrochat_blobs::{BlobError, Blobs};
use futures_util::StreamExt;

use super::{bad_file, io, is_backup_name};
use crate::{ServiceError, ServiceResult};

/// Bytes read from the local file per piece of an upload.
const PIECE: usize = 1 << 20;

/// Where backups are uploaded.
#[derive(Clone, Debug)]
pub struct BackupRemote {
    /// The bucket.
    pub blobs: Blobs,
    /// Its name, as `s3://` addresses give it.
    pub bucket: String,
    /// Key prefix (`backups/`).
    pub prefix: String,
}

fn storage(e: BlobError) -> ServiceError {
    ServiceError::Unavailable(format!("backup bucket: {e}"))
}

impl BackupRemote {
    /// Uploads the local backup `path` as `prefix + name`; returns its `s3://` address.
    pub(super) async fn upload(&self, path: &Path, name: &str) -> ServiceResult<String> {
        let key = format!("{}{name}", self.prefix);
        let file = std::fs::File::open(path).map_err(io)?;
        // Read a piece at a time off the async threads; the bucket takes them as they come.
        let pieces = futures_util::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let read = tokio::task::spawn_blocking(move || {
                let mut piece = vec![0; PIECE];
                let n = file.read(&mut piece)?;
                piece.truncate(n);
                Ok::<_, std::io::Error>((file, piece))
            })
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            match read {
                Ok((_, piece)) if piece.is_empty() => None,
                Ok((file, piece)) => Some((Ok(Bytes::from(piece)), Some(file))),
                Err(e) => Some((Err(e), None)),
            }
        });
        self.blobs
            .put_stream(&key, pieces, u64::MAX, false)
            .await
            .map_err(storage)?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }

    /// Deletes the oldest backups under the prefix beyond `keep`.
    pub(super) async fn prune(&self, keep: usize) -> ServiceResult<()> {
        let found: Vec<String> = self
            .blobs
            .list(&self.prefix)
            .await
            .map_err(storage)?
            .into_iter()
            .map(|(key, _)| key)
            .filter(|key| {
                key.strip_prefix(&self.prefix)
                    .is_some_and(|name| !name.contains('/') && is_backup_name(name))
            })
            .collect();
        // The names sort by time.
        for old in found.iter().take(found.len().saturating_sub(keep)) {
            self.blobs.delete(old).await.map_err(storage)?;
        }
        Ok(())
    }

    /// Downloads the backup at `address` (`s3://<this bucket>/<key>`) into `dir`; returns the
    /// local file, which the caller removes.
    pub(super) async fn fetch(&self, address: &str, dir: &Path) -> ServiceResult<PathBuf> {
        let key = address
            .strip_prefix("s3://")
            .and_then(|rest| rest.split_once('/'))
            .filter(|(bucket, key)| *bucket == self.bucket && !key.is_empty())
            .map(|(_, key)| key)
            .ok_or_else(|| {
                bad_file(format!(
                    "is not in the backup bucket: give s3://{}/<key>",
                    self.bucket
                ))
            })?;
        let mut read = self.blobs.get(key, None).await.map_err(|e| match e {
            BlobError::NotFound => bad_file("is not in the backup bucket"),
            other => storage(other),
        })?;
        std::fs::create_dir_all(dir).map_err(io)?;
        let name = key.rsplit('/').next().unwrap_or("backup");
        let local = dir.join(format!(".fetched-{name}"));
        let mut file = std::fs::File::create(&local).map_err(io)?;
        let copied = async {
            while let Some(chunk) = read.stream.next().await {
                let chunk = chunk.map_err(|e| storage(BlobError::Backend(e.to_string())))?;
                file.write_all(&chunk).map_err(io)?;
            }
            file.sync_all().map_err(io)
        }
        .await;
        match copied {
            Ok(()) => Ok(local),
            Err(e) => {
                let _ = std::fs::remove_file(&local);
                Err(e)
            }
        }
    }
}
