//! Personal API keys: created with a name, scopes and an optional expiry; the token is
//! returned once and only its SHA-256 is stored; revoking deletes it. Keys authenticate on
//! the native API only, and only for their scopes (the web layer's one extractor enforces both).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ferrochat_core::{ApiKey, ApiKeyId, Role, Scope, User, UserId};
use ferrochat_store::{DynStore, StoreError};

use crate::auth::tokens::{hash_token, random_token};
use crate::{Clock, ServiceError, ServiceResult};

/// Every token starts with this, so a leaked one is recognisable (secret scanners) and the
/// extractor knows which check applies.
pub const TOKEN_PREFIX: &str = "fck_";
/// Keys per user.
pub const MAX_KEYS: usize = 50;
/// Longest key name.
pub const NAME_MAX: usize = 100;

/// A key just created, with its token (shown this once).
#[derive(Clone, Debug)]
pub struct CreatedKey {
    /// The key.
    pub key: ApiKey,
    /// The bearer token.
    pub token: String,
}

/// Personal API keys.
#[derive(Clone)]
pub struct ApiKeyService {
    store: DynStore,
    clock: Arc<dyn Clock>,
}

impl ApiKeyService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Creates a key for `user`. Scopes must be known and, for `admin`, the user an
    /// administrator; the expiry must be in the future.
    pub async fn create(
        &self,
        user: &User,
        name: &str,
        scopes: &[String],
        expires_at: Option<DateTime<Utc>>,
    ) -> ServiceResult<CreatedKey> {
        let mut checks = crate::validate::Checks::default();
        let name = crate::validate::label(name, "name", NAME_MAX, &mut checks);
        let mut parsed = Vec::new();
        for s in scopes {
            match Scope::parse(s) {
                Some(scope) if !parsed.contains(&scope) => parsed.push(scope),
                Some(_) => {}
                None => checks.fail(
                    "scopes",
                    format!("unknown scope `{s}` (read, write, chat, admin)"),
                ),
            }
        }
        if scopes.is_empty() {
            checks.fail("scopes", "at least one scope is required");
        }
        if parsed.contains(&Scope::Admin) && user.role != Role::Admin {
            checks.fail("scopes", "only administrators may create admin keys");
        }
        let now = self.clock.now();
        if expires_at.is_some_and(|e| e <= now) {
            checks.fail("expires_at", "must be in the future");
        }
        checks.finish()?;
        parsed.sort();
        if self.store.api_keys(user.id).await?.len() >= MAX_KEYS {
            return Err(ServiceError::invalid(
                "name",
                format!("at most {MAX_KEYS} keys per account; revoke one first"),
            ));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_token()?);
        let key = ApiKey {
            id: ApiKeyId::new(),
            user_id: user.id,
            name,
            prefix: token.chars().take(TOKEN_PREFIX.len() + 8).collect(),
            scopes: parsed,
            expires_at,
            created_at: now,
        };
        self.store.create_api_key(&key, &hash_token(&token)).await?;
        Ok(CreatedKey { key, token })
    }

    /// The user's keys.
    pub async fn list(&self, user: UserId) -> ServiceResult<Vec<ApiKey>> {
        Ok(self.store.api_keys(user).await?)
    }

    /// Revokes one of the user's keys at once.
    pub async fn revoke(&self, user: UserId, id: ApiKeyId) -> ServiceResult<()> {
        if self.store.delete_api_key(user, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("API key"))
        }
    }

    /// The key and owner a token belongs to: `Unauthenticated` for unknown, revoked or expired
    /// keys; `Forbidden` for a banned owner.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<(User, ApiKey)> {
        let key = self
            .store
            .api_key_by_hash(&hash_token(token))
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        if key.expires_at.is_some_and(|e| e <= self.clock.now()) {
            return Err(ServiceError::Unauthenticated);
        }
        let user = self
            .store
            .user_by_id(key.user_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::Unauthenticated,
                other => other.into(),
            })?;
        if user.banned {
            return Err(ServiceError::Forbidden(
                "Your account has been temporarily banned.",
            ));
        }
        // Admin routes also require the admin role, so an admin key stops working on them the
        // moment the role is taken away.
        Ok((user, key))
    }
}
