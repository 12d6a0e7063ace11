//! `ferrochat backup [--output FILE]` and `ferrochat restore FILE`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrochat_config::Config;
use ferrochat_services::{BackupService, SystemClock};

/// The backup service over the configured database and file storage.
async fn service(config: &Config, migrate: bool) -> anyhow::Result<BackupService> {
    let store = ferrochat_server::open_store(&config.database).await?;
    if migrate {
        store.migrate().await?;
    }
    let blobs = ferrochat_server::blobs(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(BackupService::new(
        store,
        Arc::new(SystemClock),
        ferrochat_server::backup_policy(config)?,
    )
    .with_blobs(blobs))
}

/// Writes a backup and says where, with what in it.
pub async fn backup(output: Option<PathBuf>, config: &Config) -> anyhow::Result<()> {
    let backups = service(config, false).await?;
    let report = match output {
        Some(path) => backups.write_to(&path).await?,
        None => backups.create().await?,
    };
    println!(
        "wrote {} ({} tables, {} rows, {} files of {} bytes; {} bytes in all)",
        report.path.display(),
        report.counts.tables,
        report.counts.rows,
        report.files.files,
        report.files.bytes,
        report.bytes
    );
    if let Some(address) = &report.uploaded {
        println!("uploaded to {address}");
    }
    if report.files.missing > 0 {
        println!(
            "{} files were deleted while the backup ran: their rows are in it, their contents are not",
            report.files.missing
        );
    }
    println!(
        "keep {} (or the secret environment values) with it: it holds the keys for sealed secrets",
        config.data_dir.join("secrets.json").display()
    );
    Ok(())
}

/// Migrates the configured database, then loads the backup into it (which must be empty).
/// `s3://bucket/key` names a backup in the backup bucket, fetched first.
pub async fn restore(file: &Path, config: &Config) -> anyhow::Result<()> {
    let backups = service(config, true).await?;
    let failed = |e: ferrochat_services::ServiceError| {
        anyhow::anyhow!("{}: {}", file.display(), describe(&e))
    };
    let address = file.to_str().filter(|f| f.starts_with("s3://"));
    let local = match address {
        Some(address) => backups.fetch(address).await.map_err(failed)?,
        None => file.to_owned(),
    };
    let restored = backups.restore_from(&local).await;
    if address.is_some() {
        let _ = std::fs::remove_file(&local);
    }
    let restored = restored.map_err(failed)?;
    println!(
        "restored {} tables, {} rows and {} files ({} bytes) from {}",
        restored.counts.tables,
        restored.counts.rows,
        restored.files.files,
        restored.files.bytes,
        file.display()
    );
    Ok(())
}

/// A service error with its field messages (the file's problem, or the database's).
fn describe(e: &ferrochat_services::ServiceError) -> String {
    match e {
        ferrochat_services::ServiceError::Invalid(fields) => fields
            .iter()
            .map(|f| format!("the {} {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
