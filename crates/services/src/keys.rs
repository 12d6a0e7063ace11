//! Keys users bring for `user_provided` endpoints (LibreChat's `/api/keys`): encrypted with
//! `CREDS_KEY` before they reach the store, decrypted only to call the upstream, never shown
//! again (the client only learns whether one exists and when it expires).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ferrochat_core::UserId;
use ferrochat_store::{DynStore, StoredKey};
use serde_json::Value;

use crate::chat::{Endpoints, UserCredentials};
use crate::crypto::SecretBox;
use crate::{Clock, ServiceError, ServiceResult};

/// Longest key value accepted, in bytes (LibreChat sends a key, or a small JSON object with
/// `apiKey` and `baseURL`).
pub const MAX_VALUE_BYTES: usize = 8 * 1024;

/// User-provided keys.
#[derive(Clone)]
pub struct KeyService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    secret_box: SecretBox,
    endpoints: Arc<Endpoints>,
}

impl KeyService {
    /// Builds the service.
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        secret_box: SecretBox,
        endpoints: Arc<Endpoints>,
    ) -> Self {
        Self {
            store,
            clock,
            secret_box,
            endpoints,
        }
    }

    fn check_name(&self, name: &str) -> ServiceResult<()> {
        match self.endpoints.get(name) {
            Some(e) if Endpoints::needs_user_credentials(e) => Ok(()),
            Some(_) => Err(ServiceError::invalid(
                "name",
                "this endpoint uses the server's key",
            )),
            None => Err(ServiceError::invalid(
                "name",
                "no such endpoint is configured",
            )),
        }
    }

    /// Stores (or replaces) the user's key for an endpoint.
    pub async fn put(
        &self,
        user: UserId,
        name: &str,
        value: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> ServiceResult<()> {
        self.check_name(name)?;
        if value.trim().is_empty() || value.len() > MAX_VALUE_BYTES {
            return Err(ServiceError::invalid(
                "value",
                format!("must be 1 to {MAX_VALUE_BYTES} bytes"),
            ));
        }
        let now = self.clock.now();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(ServiceError::invalid("expiresAt", "must be in the future"));
        }
        let key = StoredKey {
            ciphertext: self.secret_box.seal(value.trim().as_bytes())?,
            expires_at,
        };
        Ok(self.store.put_user_key(user, name, &key, now).await?)
    }

    /// Whether the user has a key for `name`, and its expiry (`Some(None)`: never expires).
    pub async fn expiry(
        &self,
        user: UserId,
        name: &str,
    ) -> ServiceResult<Option<Option<DateTime<Utc>>>> {
        Ok(self.store.user_key(user, name).await?.map(|k| k.expires_at))
    }

    /// Removes one key; `NotFound` if there was none.
    pub async fn delete(&self, user: UserId, name: &str) -> ServiceResult<()> {
        if self.store.delete_user_key(user, name).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("key"))
        }
    }

    /// Removes all of the user's keys.
    pub async fn delete_all(&self, user: UserId) -> ServiceResult<u64> {
        Ok(self.store.delete_user_keys(user).await?)
    }

    /// The user's credentials for an endpoint that wants them; `None` when it does not (or the
    /// user stored none, which the engine reports as `no_user_key`). An expired key is
    /// `expired_user_key`.
    pub async fn credentials(
        &self,
        user: UserId,
        endpoint: &str,
    ) -> ServiceResult<Option<UserCredentials>> {
        match self.endpoints.get(endpoint) {
            Some(e) if Endpoints::needs_user_credentials(e) => {}
            _ => return Ok(None),
        }
        let Some(stored) = self.store.user_key(user, endpoint).await? else {
            return Ok(None);
        };
        if stored.expires_at.is_some_and(|e| e <= self.clock.now()) {
            return Err(ServiceError::Forbidden("expired_user_key"));
        }
        let plain = self.secret_box.open(&stored.ciphertext)?;
        let text =
            String::from_utf8(plain).map_err(|_| ServiceError::Forbidden("invalid_user_key"))?;
        // LibreChat stores `{"apiKey", "baseURL"}` JSON for endpoints that take both.
        Ok(Some(match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => UserCredentials {
                api_key: map.get("apiKey").and_then(Value::as_str).map(str::to_owned),
                base_url: map
                    .get("baseURL")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            },
            _ => UserCredentials {
                api_key: Some(text),
                base_url: None,
            },
        }))
    }
}
