//! Backups: the whole database as one gzip-compressed JSON Lines file, the same on both
//! engines, so a backup of a SQLite installation restores into PostgreSQL (and back).
//!
//! File layout, one JSON value per line: a header (`{"format": "ferrochat-backup",
//! "version": 2, "schema": <latest migration>, "engine", "created_at", "ferrochat", "files"}`),
//! then for each table `{"table", "columns"}` followed by its rows as arrays, then the contents
//! of the uploaded files the `files` table names (see [`files`]), and a trailer `{"end":
//! {"tables", "rows", "files", "file_bytes"}}`; a file without its trailer (cut short) is
//! refused. Tables come parents first, so a restore inserts them in order in one transaction.
//! Version 1 files (tables only) still load.
//!
//! Made from one consistent snapshot while the server runs (SQLite's read transaction,
//! PostgreSQL's repeatable read). Written to a temporary name and renamed, so a crash never
//! leaves a half file under a backup's name. Not in the file: `secrets.json` (the keys that
//! sign tokens and seal user-provided API keys, webhook and two-factor secrets); keep it, or
//! the environment values, with the backups.

mod files;
mod read;
mod remote;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_blobs::Blobs;
use ferrochat_store::{BackupCounts, DumpSink, DynStore, LoadItem};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

pub use files::FileCounts;
use read::Entry;
pub use remote::BackupRemote;

use crate::{Clock, ServiceError, ServiceResult};

/// The format's name in the header.
const FORMAT: &str = "ferrochat-backup";
/// The layout's version: 2 holds files' contents after the tables.
const VERSION: u64 = 2;
/// Bytes gathered before they are handed to the writing thread.
const CHUNK: usize = 1 << 20;

/// Where and how often.
#[derive(Clone, Debug)]
pub struct BackupPolicy {
    /// Where scheduled backups (and `ferrochat backup` without a path) go.
    pub dir: PathBuf,
    /// How often the server makes one; `None`: never.
    pub interval: Option<Duration>,
    /// How many scheduled backups are kept (the oldest beyond go).
    pub keep: u32,
    /// Whether backups hold the contents of uploaded files.
    pub files: bool,
    /// The bucket backups are also uploaded to.
    pub remote: Option<BackupRemote>,
}

/// A finished backup.
#[derive(Clone, Debug)]
pub struct BackupReport {
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub counts: BackupCounts,
    /// The files' contents it holds.
    pub files: FileCounts,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its `s3://` address, when it was uploaded to the backup bucket.
    pub uploaded: Option<String>,
}

/// What a restore brought back.
#[derive(Clone, Debug)]
pub struct RestoreReport {
    /// Tables and rows.
    pub counts: BackupCounts,
    /// Files' contents put back into the file storage.
    pub files: FileCounts,
}

/// Makes and restores backups.
#[derive(Clone)]
pub struct BackupService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    policy: Arc<BackupPolicy>,
    /// The file storage whose contents backups hold (none: database only).
    blobs: Option<Blobs>,
}

fn io(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("backup file: {e}"))
}

fn bad_file(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("file", message)
}

/// Hands serialized lines to the thread that compresses and writes them, noting the storage
/// keys of the `files` table's rows on the way (their contents follow the tables).
struct ChannelSink {
    buffer: Vec<u8>,
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    /// The storage-key column while the `files` table is written.
    key_column: Option<usize>,
    keys: Vec<String>,
}

impl ChannelSink {
    fn line<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.buffer, value)?;
        self.buffer.push(b'\n');
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::take(&mut self.buffer);
        self.tx
            .send(chunk)
            .map_err(|_| std::io::Error::other("the backup writer stopped"))
    }
}

impl DumpSink for ChannelSink {
    fn table(&mut self, name: &str, columns: &[String]) -> std::io::Result<()> {
        self.key_column = files::key_column(name, columns);
        self.line(&json!({ "table": name, "columns": columns }))
    }

    fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
        if let Some(Value::String(key)) = self.key_column.and_then(|i| values.get(i)) {
            self.keys.push(key.clone());
        }
        self.line(values)
    }
}

impl BackupService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, policy: BackupPolicy) -> Self {
        Self {
            store,
            clock,
            policy: Arc::new(policy),
            blobs: None,
        }
    }

    /// Backups hold the contents of the files in `blobs` (unless the policy says not to), and
    /// restores put them back there.
    pub fn with_blobs(mut self, blobs: Blobs) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// The configured directory and schedule.
    pub fn policy(&self) -> &BackupPolicy {
        &self.policy
    }

    /// Writes a backup into the backup directory (`ferrochat-<time>.jsonl.gz`), uploads it to
    /// the backup bucket when there is one, and removes the oldest beyond the number kept
    /// (in both places).
    pub async fn create(&self) -> ServiceResult<BackupReport> {
        std::fs::create_dir_all(&self.policy.dir).map_err(io)?;
        let name = format!(
            "ferrochat-{}.jsonl.gz",
            self.clock.now().format("%Y%m%dT%H%M%S%.3fZ")
        );
        let mut report = self.write_to(&self.policy.dir.join(&name)).await?;
        self.prune()?;
        if let Some(remote) = &self.policy.remote {
            report.uploaded = Some(remote.upload(&report.path, &name).await?);
            remote.prune(self.keep()).await?;
        }
        Ok(report)
    }

    /// Writes a backup to `path` (replacing it only once complete).
    pub async fn write_to(&self, path: &Path) -> ServiceResult<BackupReport> {
        let schema = self
            .store
            .migration_status()
            .await?
            .iter()
            .filter(|m| m.applied)
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let partial = partial_name(path);
        let file = std::fs::File::create(&partial).map_err(io)?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            let mut gz = GzEncoder::new(BufWriter::new(file), Compression::default());
            for chunk in rx {
                gz.write_all(&chunk)?;
            }
            let mut inner = gz.finish()?;
            inner.flush()?;
            inner.get_ref().sync_all()
        });
        let mut sink = ChannelSink {
            buffer: Vec::with_capacity(CHUNK),
            tx,
            key_column: None,
            keys: Vec::new(),
        };
        let blobs = self.blobs.as_ref().filter(|_| self.policy.files);
        let header = json!({
            "format": FORMAT,
            "version": VERSION,
            "schema": schema,
            "engine": self.store.engine().as_str(),
            "created_at": self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "ferrochat": env!("CARGO_PKG_VERSION"),
            "files": blobs.is_some(),
        });
        let dumped = async {
            sink.line(&header).map_err(io)?;
            let counts = self.store.dump(&mut sink).await?;
            let mut held = FileCounts::default();
            if let Some(blobs) = blobs {
                for key in std::mem::take(&mut sink.keys) {
                    files::write(blobs, &key, &mut sink, &mut held).await?;
                }
            }
            sink.line(&json!({ "end": {
                "tables": counts.tables,
                "rows": counts.rows,
                "files": held.files,
                "file_bytes": held.bytes,
            } }))
            .map_err(io)?;
            sink.flush().map_err(io)?;
            Ok::<_, ServiceError>((counts, held))
        }
        .await;
        drop(sink);
        let written = writer
            .join()
            .map_err(|_| io("the writing thread panicked"))
            .and_then(|r| r.map_err(io));
        let (counts, files) = match (dumped, written) {
            (Ok(done), Ok(())) => done,
            (Err(e), _) | (Ok(_), Err(e)) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, path).map_err(io)?;
        let bytes = std::fs::metadata(path).map_err(io)?.len();
        Ok(BackupReport {
            path: path.to_owned(),
            counts,
            files,
            bytes,
            uploaded: None,
        })
    }

    /// Loads a backup into this database, which must be migrated and hold no accounts, and
    /// puts the files' contents it holds into the file storage. All or nothing: a damaged or
    /// cut-short file changes nothing (contents already put are taken out again).
    pub async fn restore_from(&self, path: &Path) -> ServiceResult<RestoreReport> {
        let (header, _) = read::open(path, false).map_err(bad_file)?;
        if header["format"] != FORMAT {
            return Err(bad_file("is not a ferrochat backup"));
        }
        let version = header["version"].as_u64().unwrap_or(0);
        if !(1..=VERSION).contains(&version) {
            return Err(bad_file(format!(
                "has layout version {}; this ferrochat reads versions 1 to {VERSION}",
                header["version"]
            )));
        }
        let schema = header["schema"].as_i64().unwrap_or(i64::MAX);
        let known = self
            .store
            .embedded_migrations()
            .into_iter()
            .max()
            .unwrap_or(0);
        if schema > known {
            return Err(bad_file(format!(
                "was made by a newer ferrochat (schema {schema}; this one knows up to {known})"
            )));
        }
        if !self.store.is_empty().await? {
            return Err(ServiceError::invalid(
                "database",
                "already holds accounts; restore into an empty database (a new DATABASE_URL or data directory)",
            ));
        }
        let blobs = match (header["files"] == true, &self.blobs) {
            (false, _) => None,
            (true, Some(blobs)) => Some(blobs),
            (true, None) => {
                return Err(bad_file(
                    "holds files' contents, and no file storage is configured to put them in",
                ));
            }
        };
        let mut put = Vec::new();
        let restored = self.restore_all(path, blobs, &mut put).await;
        if restored.is_err()
            && let Some(blobs) = blobs
        {
            for key in &put {
                if let Err(e) = blobs.delete(key).await {
                    tracing::warn!(key, error = %e, "could not take back a restored file");
                }
            }
        }
        restored
    }

    /// The files' contents first (a full read of the backup, which checks all of it), then
    /// the database in one transaction.
    async fn restore_all(
        &self,
        path: &Path,
        blobs: Option<&Blobs>,
        put: &mut Vec<String>,
    ) -> ServiceResult<RestoreReport> {
        let files = match blobs {
            Some(blobs) => files::restore(blobs, path, put).await?,
            None => FileCounts::default(),
        };
        let (_, entries) = read::open(path, false).map_err(bad_file)?;
        let mut items = Items {
            entries,
            // Rows name the storage the contents were in; they are now in this one.
            source: blobs.map(Blobs::source),
            source_column: None,
        };
        let counts = self.store.load(&mut items).await.map_err(|e| match e {
            ferrochat_store::StoreError::Other(detail) => bad_file(detail.to_string()),
            other => other.into(),
        })?;
        Ok(RestoreReport { counts, files })
    }

    /// The backups in the directory, oldest first.
    pub fn list(&self) -> ServiceResult<Vec<PathBuf>> {
        let mut found: Vec<PathBuf> = match std::fs::read_dir(&self.policy.dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(is_backup_name)
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        // The names sort by time.
        found.sort();
        Ok(found)
    }

    /// Downloads the backup at `address` (`s3://bucket/key`, in the backup bucket) into the
    /// backup directory, for a restore; the caller removes the file afterwards.
    pub async fn fetch(&self, address: &str) -> ServiceResult<PathBuf> {
        let remote = self.policy.remote.as_ref().ok_or_else(|| {
            bad_file("is in a bucket, and no backup bucket is configured (backup.s3_bucket)")
        })?;
        remote.fetch(address, &self.policy.dir).await
    }

    fn keep(&self) -> usize {
        usize::try_from(self.policy.keep.max(1)).unwrap_or(usize::MAX)
    }

    fn prune(&self) -> ServiceResult<()> {
        let found = self.list()?;
        let keep = self.keep();
        for old in found.iter().take(found.len().saturating_sub(keep)) {
            std::fs::remove_file(old).map_err(io)?;
        }
        Ok(())
    }

    /// Makes a backup every interval, forever (from the server; no-op without an interval).
    pub async fn run_schedule(self) {
        let Some(every) = self.policy.interval else {
            return;
        };
        loop {
            tokio::time::sleep(every).await;
            let started: DateTime<Utc> = self.clock.now();
            match self.create().await {
                Ok(r) => tracing::info!(
                    path = %r.path.display(),
                    tables = r.counts.tables,
                    rows = r.counts.rows,
                    files = r.files.files,
                    missing_files = r.files.missing,
                    bytes = r.bytes,
                    uploaded = r.uploaded.as_deref().unwrap_or("no"),
                    ms = (self.clock.now() - started).num_milliseconds(),
                    "backup written"
                ),
                Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
            }
        }
    }
}

/// Whether a file name is one the schedule gives (`ferrochat-<time>.jsonl.gz`).
fn is_backup_name(name: &str) -> bool {
    name.starts_with("ferrochat-") && name.ends_with(".jsonl.gz")
}

fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// A backup's tables and rows, as the store loads them (files' contents skipped; the reader
/// still checks them and the trailer, so the load fails on a damaged file).
struct Items {
    entries: read::Entries,
    /// The file storage's name, written into the `files` rows' `source`.
    source: Option<&'static str>,
    source_column: Option<usize>,
}

impl Iterator for Items {
    type Item = Result<LoadItem, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            return Some(match self.entries.next()? {
                Ok(Entry::Table { name, columns }) => {
                    self.source_column = (name == "files")
                        .then(|| columns.iter().position(|c| c == "source"))
                        .flatten();
                    Ok(LoadItem::Table { name, columns })
                }
                Ok(Entry::Row(mut values)) => {
                    if let (Some(source), Some(i)) = (self.source, self.source_column)
                        && let Some(v) = values.get_mut(i)
                    {
                        *v = Value::String(source.to_owned());
                    }
                    Ok(LoadItem::Row(values))
                }
                Ok(Entry::File(_) | Entry::Data(_) | Entry::FileEnd { .. }) => continue,
                Err(e) => Err(e),
            });
        }
    }
}
