//! Password hashing: argon2id for new hashes; bcrypt hashes imported from LibreChat are
//! recognised (verification arrives with the auth issue).
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

/// Whether `password` matches an argon2 PHC hash.
pub async fn verify(password: String, phc: String) -> Result<bool, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&phc).map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| ServiceError::Internal(Box::new(e)))?
}
