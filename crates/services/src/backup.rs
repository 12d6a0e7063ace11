//! Backups: the whole database as one gzip-compressed JSON Lines file, the same on both
//! engines, so a backup of a SQLite installation restores into PostgreSQL (and back).
//!
//! File layout, one JSON value per line: a header (`{"format": "ferrochat-backup",
//! "version": 1, "schema": <latest migration>, "engine", "created_at", "ferrochat"}`), then
//! for each table `{"table", "columns"}` followed by its rows as arrays, and a trailer
//! `{"end": {"tables", "rows"}}`; a file without its trailer (cut short) is refused. Tables come
//! parents first, so a restore inserts them in order in one transaction.
//!
//! Made from one consistent snapshot while the server runs (SQLite's read transaction,
//! PostgreSQL's repeatable read). Written to a temporary name and renamed, so a crash never
//! leaves a half file under a backup's name. Not in the file: `secrets.json` (the keys that
//! sign tokens and seal user-provided API keys, webhook and two-factor secrets); keep it, or
//! the environment values, with the backups.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_store::{BackupCounts, DumpSink, DynStore, LoadItem};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::{Clock, ServiceError, ServiceResult};

/// The format's name in the header.
const FORMAT: &str = "ferrochat-backup";
/// The layout's version.
const VERSION: u64 = 1;
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
}

/// A finished backup.
#[derive(Clone, Debug)]
pub struct BackupReport {
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub counts: BackupCounts,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Makes and restores backups.
#[derive(Clone)]
pub struct BackupService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    policy: Arc<BackupPolicy>,
}

fn io(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Unavailable(format!("backup file: {e}"))
}

fn bad_file(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("file", message)
}

/// Hands serialized lines to the thread that compresses and writes them.
struct ChannelSink {
    buffer: Vec<u8>,
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
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
        self.line(&json!({ "table": name, "columns": columns }))
    }

    fn row(&mut self, values: &[Value]) -> std::io::Result<()> {
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
        }
    }

    /// The configured directory and schedule.
    pub fn policy(&self) -> &BackupPolicy {
        &self.policy
    }

    /// Writes a backup into the backup directory (`ferrochat-<time>.jsonl.gz`) and removes
    /// the oldest beyond the number kept.
    pub async fn create(&self) -> ServiceResult<BackupReport> {
        std::fs::create_dir_all(&self.policy.dir).map_err(io)?;
        let name = format!(
            "ferrochat-{}.jsonl.gz",
            self.clock.now().format("%Y%m%dT%H%M%S%.3fZ")
        );
        let report = self.write_to(&self.policy.dir.join(name)).await?;
        self.prune()?;
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
        };
        let header = json!({
            "format": FORMAT,
            "version": VERSION,
            "schema": schema,
            "engine": self.store.engine().as_str(),
            "created_at": self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "ferrochat": env!("CARGO_PKG_VERSION"),
        });
        let dumped = async {
            sink.line(&header).map_err(io)?;
            let counts = self.store.dump(&mut sink).await?;
            sink.line(&json!({ "end": { "tables": counts.tables, "rows": counts.rows } }))
                .map_err(io)?;
            sink.flush().map_err(io)?;
            Ok::<_, ServiceError>(counts)
        }
        .await;
        drop(sink);
        let written = writer
            .join()
            .map_err(|_| io("the writing thread panicked"))
            .and_then(|r| r.map_err(io));
        let counts = match (dumped, written) {
            (Ok(counts), Ok(())) => counts,
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
            bytes,
        })
    }

    /// Loads a backup into this database, which must be migrated and hold no accounts. All
    /// or nothing: a damaged or cut-short file changes nothing.
    pub async fn restore_from(&self, path: &Path) -> ServiceResult<BackupCounts> {
        let file = std::fs::File::open(path).map_err(io)?;
        let mut lines = BufReader::new(GzDecoder::new(file)).lines();
        let header: Value = match lines.next() {
            Some(Ok(line)) => serde_json::from_str(&line)
                .map_err(|_| bad_file("is not a ferrochat backup (no header)"))?,
            Some(Err(e)) => return Err(bad_file(format!("cannot be read: {e}"))),
            None => return Err(bad_file("is empty")),
        };
        if header["format"] != FORMAT {
            return Err(bad_file("is not a ferrochat backup"));
        }
        if header["version"].as_u64() != Some(VERSION) {
            return Err(bad_file(format!(
                "has layout version {}; this ferrochat reads version {VERSION}",
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
        let mut items = Items {
            lines,
            ended: None,
            counted: BackupCounts::default(),
        };
        let loaded = self.store.load(&mut items).await.map_err(|e| match e {
            ferrochat_store::StoreError::Other(detail) => bad_file(detail.to_string()),
            other => other.into(),
        })?;
        Ok(loaded)
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
                        .is_some_and(|n| n.starts_with("ferrochat-") && n.ends_with(".jsonl.gz"))
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        // The names sort by time.
        found.sort();
        Ok(found)
    }

    fn prune(&self) -> ServiceResult<()> {
        let found = self.list()?;
        let keep = usize::try_from(self.policy.keep.max(1)).unwrap_or(usize::MAX);
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
                    bytes = r.bytes,
                    ms = (self.clock.now() - started).num_milliseconds(),
                    "backup written"
                ),
                Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
            }
        }
    }
}

fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// The lines after the header as load items; an error at the first line that does not fit,
/// and at the end when the trailer is missing or does not match what came before.
struct Items<R: BufRead> {
    lines: std::io::Lines<R>,
    ended: Option<BackupCounts>,
    counted: BackupCounts,
}

impl<R: BufRead> Iterator for Items<R> {
    type Item = Result<LoadItem, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let Some(line) = self.lines.next() else {
            return match &self.ended {
                Some(end) if *end == self.counted => None,
                Some(end) => Some(Err(format!(
                    "is inconsistent: its trailer says {} tables and {} rows, it holds {} and {}",
                    end.tables, end.rows, self.counted.tables, self.counted.rows
                ))),
                None => Some(Err("is cut short (no trailer)".into())),
            };
        };
        if self.ended.is_some() {
            return Some(Err("has data after its trailer".into()));
        }
        let line = match line {
            Ok(l) => l,
            Err(e) => return Some(Err(format!("cannot be read: {e}"))),
        };
        let value: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => return Some(Err(format!("has a damaged line: {e}"))),
        };
        match value {
            Value::Array(values) => {
                self.counted.rows += 1;
                Some(Ok(LoadItem::Row(values)))
            }
            Value::Object(mut o) => {
                if let Some(end) = o.get("end") {
                    self.ended = Some(BackupCounts {
                        tables: end["tables"]
                            .as_u64()
                            .and_then(|n| usize::try_from(n).ok())
                            .unwrap_or(usize::MAX),
                        rows: end["rows"].as_u64().unwrap_or(u64::MAX),
                    });
                    return self.next();
                }
                let name = o
                    .remove("table")
                    .and_then(|t| t.as_str().map(str::to_owned));
                let columns = o.remove("columns").and_then(|c| {
                    c.as_array().map(|cs| {
                        cs.iter()
                            .filter_map(|c| c.as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                });
                match (name, columns) {
                    (Some(name), Some(columns)) => {
                        self.counted.tables += 1;
                        Some(Ok(LoadItem::Table { name, columns }))
                    }
                    _ => Some(Err("has a line that is neither a table nor a row".into())),
                }
            }
            _ => Some(Err("has a line that is neither a table nor a row".into())),
        }
    }
}
