//! Encryption of secrets at rest (TOTP secrets now, user-provided API keys later) with
//! AES-256-GCM under `CREDS_KEY`. Each value gets a fresh random nonce; the stored form is
//! `v1:<hex nonce><hex ciphertext+tag>`, versioned so the scheme can change without guessing.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::ServiceError;

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Encrypts and decrypts small secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    /// A box keyed by the 64-hex-character `CREDS_KEY`.
    pub fn from_hex_key(hex_key: &str) -> Result<Self, ServiceError> {
        let key = hex::decode(hex_key)
            .map_err(|_| ServiceError::Internal("CREDS_KEY is not hex".into()))?;
        let cipher = Aes256Gcm::new_from_slice(&key)
            .map_err(|_| ServiceError::Internal("CREDS_KEY must be 32 bytes".into()))?;
        Ok(Self { cipher })
    }

    /// Encrypts `plain`.
    pub fn seal(&self, plain: &[u8]) -> Result<String, ServiceError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), plain)
            .map_err(|_| ServiceError::Internal("encryption failed".into()))?;
        Ok(format!(
            "{PREFIX}{}{}",
            hex::encode(nonce),
            hex::encode(sealed)
        ))
    }

    /// Decrypts a value produced by [`SecretBox::seal`]; fails on tampering or a wrong key.
    pub fn open(&self, stored: &str) -> Result<Vec<u8>, ServiceError> {
        let bad = || {
            ServiceError::Internal(
                "stored secret cannot be decrypted (was CREDS_KEY changed?)".into(),
            )
        };
        let body = stored.strip_prefix(PREFIX).ok_or_else(bad)?;
        let bytes = hex::decode(body).map_err(|_| bad())?;
        if bytes.len() <= NONCE_LEN {
            return Err(bad());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| bad())?;
        self.cipher
            .decrypt(&Nonce::from(nonce), sealed)
            .map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = "11".repeat(32);
        let b = SecretBox::from_hex_key(&key).unwrap();
        let sealed = b.seal(b"secret").unwrap();
        assert_ne!(sealed, b.seal(b"secret").unwrap(), "fresh nonce each time");
        assert_eq!(b.open(&sealed).unwrap(), b"secret");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('0') { '1' } else { '0' });
        assert!(b.open(&tampered).is_err());
        let other = SecretBox::from_hex_key(&"22".repeat(32)).unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(SecretBox::from_hex_key("short").is_err());
    }
}
