//! Password hashing: argon2id for new hashes; bcrypt hashes imported from LibreChat
//! (`$2a$`/`$2b$`/`$2y$`) still verify and are flagged for re-hashing.
//!
//! Hashing is deliberately slow, so it runs on the blocking pool rather than stalling an async
//! worker thread.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::ServiceError;

/// Shortest accepted password (LibreChat's minimum).
pub const MIN_LEN: usize = 8;
/// Longest accepted password: long enough for any passphrase, short enough that hashing an
/// attacker's megabyte is refused before it costs CPU.
pub const MAX_LEN: usize = 128;

/// Checks length limits (in characters).
pub fn check(password: &str) -> Result<(), ServiceError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at least {MIN_LEN} characters"),
        ));
    }
    if n > MAX_LEN {
        return Err(ServiceError::invalid(
            "password",
            format!("must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt, returning a PHC string.
pub async fn hash(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let hashed: PasswordHash = Argon2::default()
            .hash_password(password.as_bytes())
            .map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        Ok(hashed.to_string())
    })
    .await
    .map_err(|e| ServiceError::Internal(Box::new(e)))?
}

/// The outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password (or unusable hash).
    No,
    /// Right password, hash is current.
    Yes,
    /// Right password, but the hash uses an old scheme (bcrypt) and should be replaced.
    YesRehash,
}

/// Checks `password` against a stored argon2 or bcrypt hash.
pub async fn verify_stored(password: String, stored: String) -> Result<Verified, ServiceError> {
    if stored.starts_with("$2") {
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(password, &stored).unwrap_or(false))
                .await
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        return Ok(if ok {
            Verified::YesRehash
        } else {
            Verified::No
        });
    }
    Ok(if verify(password, stored).await? {
        Verified::Yes
    } else {
        Verified::No
    })
}

/// Whether `password` matches an argon2 PHC hash.
pub async fn verify(password: String, phc: String) -> Result<bool, ServiceError> {
    tokio::task::spawn_blocking(move || {
        // An unparseable hash verifies nothing; it is not an error the caller can act on.
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return Ok(false);
        };
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| ServiceError::Internal(Box::new(e)))?
}
