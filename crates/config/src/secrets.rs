//! Secrets the server generates on first start and keeps in the data directory.
//!
//! Zero configuration must still give sessions that survive a restart, so missing signing keys
//! are created once, written to `<data_dir>/secrets.json` readable by the owner only (0600), and
//! read back on every later start. Values set in the configuration always win.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Config, Secret};

/// The file name under the data directory.
pub const FILE_NAME: &str = "secrets.json";

/// The resolved secrets the server runs with.
#[derive(Clone, Debug)]
pub struct Secrets {
    /// Signs access tokens.
    pub jwt_secret: Secret,
    /// Signs refresh tokens.
    pub jwt_refresh_secret: Secret,
    /// Encrypts user-provided API keys (64 hex characters).
    pub creds_key: Secret,
}

#[derive(Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jwt_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jwt_refresh_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    creds_key: Option<String>,
}

/// Why the secrets could not be loaded or stored.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The secrets file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The file exists but is not what we wrote.
    #[error("{path} is corrupt ({source}); move it away to generate new secrets")]
    Corrupt {
        /// The secrets file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The system random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
}

impl Secrets {
    /// Uses configured secrets where set and the data directory's (generating any that are
    /// missing) otherwise. The data directory must exist.
    pub fn resolve(config: &Config) -> Result<Self, SecretsError> {
        let path = config.data_dir.join(FILE_NAME);
        let mut stored = read(&path)?;
        let mut changed = false;
        let mut take = |configured: &Option<Secret>, slot: &mut Option<String>| {
            if let Some(s) = configured {
                return Ok(s.clone());
            }
            if let Some(s) = slot {
                return Ok(Secret::new(s.clone()));
            }
            let fresh = random_hex(32)?;
            *slot = Some(fresh.clone());
            changed = true;
            Ok::<_, SecretsError>(Secret::new(fresh))
        };
        let secrets = Secrets {
            jwt_secret: take(&config.auth.jwt_secret, &mut stored.jwt_secret)?,
            jwt_refresh_secret: take(
                &config.auth.jwt_refresh_secret,
                &mut stored.jwt_refresh_secret,
            )?,
            creds_key: take(&config.auth.creds_key, &mut stored.creds_key)?,
        };
        if changed {
            write(&path, &stored)?;
        }
        Ok(secrets)
    }
}

fn read(path: &Path) -> Result<Stored, SecretsError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| SecretsError::Corrupt {
            path: path.to_owned(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stored::default()),
        Err(source) => Err(SecretsError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes to a temporary file created with mode 0600 and renames it over the old one, so the
/// secrets are never world-readable, not even for a moment, and a crash leaves the old file.
fn write(path: &Path, stored: &Stored) -> Result<(), SecretsError> {
    let io = |source| SecretsError::Io {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io)?;
    let body = serde_json::to_vec_pretty(stored).map_err(|source| SecretsError::Corrupt {
        path: path.to_owned(),
        source,
    })?;
    file.write_all(&body).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn random_hex(bytes: usize) -> Result<String, SecretsError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| SecretsError::Random(e.to_string()))?;
    Ok(hex::encode(buf))
}
