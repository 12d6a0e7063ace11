//! The contents of uploaded files in a backup: written after the tables, one file at a time
//! (`{"file": key}`, its bytes as base64 lines, `{"file_end": {"bytes", "sha256"}}`), and put
//! back into the file storage before the database is loaded, so a restore either brings back
//! every file it names or keeps none of them.

use std::collections::HashSet;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use ferrochat_blobs::{BlobError, Blobs};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::read::{self, Entry};
use super::{ChannelSink, bad_file, io};
use crate::{ServiceError, ServiceResult};

/// Raw bytes per line of contents: a multiple of 3, so every line is whole base64.
const LINE: usize = 48 * 1024;

/// Files' contents in a backup.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Files whose contents are held.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files of the database snapshot whose contents were gone by the time they were read
    /// (deleted while the backup ran); their rows are in the backup, their contents are not.
    pub missing: u64,
}

fn storage(e: BlobError) -> ServiceError {
    ServiceError::Unavailable(format!("file storage: {e}"))
}

/// Writes the contents of the file stored under `key` into the backup.
pub(super) async fn write(
    blobs: &Blobs,
    key: &str,
    sink: &mut ChannelSink,
    held: &mut FileCounts,
) -> ServiceResult<()> {
    let mut read = match blobs.get(key, None).await {
        Ok(r) => r,
        Err(BlobError::NotFound) => {
            held.missing += 1;
            return Ok(());
        }
        Err(e) => return Err(storage(e)),
    };
    sink.line(&json!({ "file": key })).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut pending = Vec::with_capacity(LINE);
    while let Some(chunk) = read.stream.next().await {
        let chunk = chunk.map_err(|e| ServiceError::Unavailable(format!("file storage: {e}")))?;
        hasher.update(&chunk);
        total += chunk.len() as u64;
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let take = (LINE - pending.len()).min(rest.len());
            pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if pending.len() == LINE {
                sink.line(&STANDARD.encode(&pending)).map_err(io)?;
                pending.clear();
            }
        }
    }
    if !pending.is_empty() {
        sink.line(&STANDARD.encode(&pending)).map_err(io)?;
    }
    let sha256 = hex::encode(hasher.finalize());
    sink.line(&json!({ "file_end": { "bytes": total, "sha256": sha256 } }))
        .map_err(io)?;
    held.files += 1;
    held.bytes += total;
    Ok(())
}

/// The storage-key column of the `files` table, when `name` is that table.
pub(super) fn key_column(name: &str, columns: &[String]) -> Option<usize> {
    if name == "files" {
        columns.iter().position(|c| c == "storage_key")
    } else {
        None
    }
}

/// Reads the whole backup at `path` (checking every line and the trailer) and puts the files'
/// contents it holds into `blobs`. Every key stored is added to `put`, so the caller can take
/// them out again when this or the later load fails. Contents for a key that no row of the
/// `files` table names are refused.
pub(super) async fn restore(
    blobs: &Blobs,
    path: &Path,
    put: &mut Vec<String>,
) -> ServiceResult<FileCounts> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Entry, String>>(8);
    let path = path.to_owned();
    // Lines are read and decoded on a thread of their own; the file storage is written here.
    let reader = tokio::task::spawn_blocking(move || {
        let entries = match read::open(&path, true) {
            Ok((_, entries)) => entries,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        for entry in entries {
            if tx.blocking_send(entry).is_err() {
                return;
            }
        }
    });
    let mut named = HashSet::new();
    let mut column = None;
    let mut held = FileCounts::default();
    while let Some(entry) = rx.recv().await {
        match entry.map_err(bad_file)? {
            Entry::Table { name, columns } => column = key_column(&name, &columns),
            Entry::Row(values) => {
                if let Some(Value::String(key)) = column.and_then(|i| values.get(i)) {
                    named.insert(key.clone());
                }
            }
            Entry::File(key) => {
                if !named.contains(&key) {
                    return Err(bad_file(format!(
                        "holds contents for `{key}`, which no file in it names"
                    )));
                }
                put.push(key.clone());
                held.bytes += put_one(blobs, &key, &mut rx).await?;
                held.files += 1;
            }
            Entry::Data(_) | Entry::FileEnd { .. } => {
                return Err(bad_file("has file contents outside a file"));
            }
        }
    }
    reader
        .await
        .map_err(|_| io("the reading thread panicked"))?;
    Ok(held)
}

/// Streams one file's contents from `rx` into `blobs` under `key`, up to its end line, and
/// checks them against it; returns their size.
async fn put_one(
    blobs: &Blobs,
    key: &str,
    rx: &mut tokio::sync::mpsc::Receiver<Result<Entry, String>>,
) -> ServiceResult<u64> {
    let mut end = None;
    let body = futures_util::stream::unfold((&mut *rx, &mut end), |(rx, end)| async move {
        match rx.recv().await {
            Some(Ok(Entry::Data(d))) => Some((Ok(Bytes::from(d)), (rx, end))),
            Some(Ok(Entry::FileEnd { bytes, sha256 })) => {
                *end = Some((bytes, sha256));
                None
            }
            Some(Ok(_)) => Some((
                Err("has a line out of place in a file's contents".to_owned()),
                (rx, end),
            )),
            Some(Err(e)) => Some((Err(e), (rx, end))),
            None => Some((
                Err("is cut short inside a file's contents".to_owned()),
                (rx, end),
            )),
        }
    });
    let stored = blobs
        .put_stream(key, body, u64::MAX, false)
        .await
        .map_err(|e| match e {
            BlobError::Body(why) => bad_file(why),
            other => storage(other),
        })?;
    let Some((bytes, sha256)) = end else {
        return Err(bad_file("is cut short inside a file's contents"));
    };
    if stored.bytes != bytes || stored.sha256 != sha256 {
        return Err(bad_file(format!(
            "holds damaged contents for `{key}` ({} bytes, SHA-256 {}; written as {bytes} bytes, {sha256})",
            stored.bytes, stored.sha256
        )));
    }
    Ok(bytes)
}
