//! Account management: creating, listing, re-roling and deleting users. Used by the CLI now
//! and by registration and the admin API later.

use std::sync::Arc;

use ferrochat_core::{NewUser, Role, User, UserId};
use ferrochat_store::{DynStore, StoreError, UserPage};

use crate::validate::{self, Checks};
use crate::{Clock, ServiceError, ServiceResult, password};

/// Largest page `list` returns.
pub const MAX_PAGE: u32 = 200;

/// Input for [`UserService::create`].
#[derive(Clone, Debug)]
pub struct CreateUser {
    /// Login address (normalised to lower case).
    pub email: String,
    /// Display name.
    pub name: String,
    /// Optional unique handle.
    pub username: Option<String>,
    /// Plain password; hashed before it reaches the store.
    pub password: String,
    /// Initial role.
    pub role: Role,
    /// Whether the address counts as verified (true for operator-created accounts).
    pub email_verified: bool,
}

/// Account rules.
#[derive(Clone)]
pub struct UserService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    /// Removes a deleted account's file contents (rows go by cascade, blobs do not).
    files: Option<crate::FileService>,
}

impl UserService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            files: None,
        }
    }

    /// The same service, also deleting an account's file contents with the account.
    pub fn with_files(mut self, files: crate::FileService) -> Self {
        self.files = Some(files);
        self
    }

    /// Creates a local (password) account after validating every field.
    pub async fn create(&self, input: CreateUser) -> ServiceResult<User> {
        let mut checks = Checks::default();
        let email = validate::email(&input.email, &mut checks);
        let name = validate::name(&input.name, &mut checks);
        let username = input
            .username
            .as_deref()
            .map(|u| validate::username(u, &mut checks));
        if let Err(ServiceError::Invalid(mut errs)) = password::check(&input.password) {
            checks.0.append(&mut errs);
        }
        checks.finish()?;

        let password_hash = password::hash(input.password).await?;
        let new = NewUser {
            email,
            username,
            name,
            provider: "local".into(),
            role: input.role,
            password_hash: Some(password_hash),
            email_verified: input.email_verified,
        };
        self.store
            .create_user(new, self.clock.now())
            .await
            .map_err(|e| {
                if e.is_conflict_on("users", "email") {
                    ServiceError::Conflict { field: "email" }
                } else if e.is_conflict_on("users", "username") {
                    ServiceError::Conflict { field: "username" }
                } else {
                    e.into()
                }
            })
    }

    /// Finds a user by ID or, failing that, by email: what an operator types on the CLI.
    pub async fn find(&self, id_or_email: &str) -> ServiceResult<User> {
        let found = match id_or_email.parse::<UserId>() {
            Ok(id) => self.store.user_by_id(id).await,
            Err(_) => {
                self.store
                    .user_by_email(&id_or_email.trim().to_lowercase())
                    .await
            }
        };
        found.map_err(not_found)
    }

    /// Lists users in creation order, `limit` (1-200) at a time.
    pub async fn list(&self, after: Option<UserId>, limit: u32) -> ServiceResult<UserPage> {
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        Ok(self.store.list_users(after, limit).await?)
    }

    /// Changes a user's role.
    pub async fn set_role(&self, id: UserId, role: Role) -> ServiceResult<User> {
        self.store
            .set_user_role(id, role, self.clock.now())
            .await
            .map_err(not_found)
    }

    /// Bans (or unbans) a user. A ban also revokes every session, so it takes effect at once
    /// rather than when the access token expires.
    pub async fn set_banned(&self, id: UserId, banned: bool) -> ServiceResult<User> {
        let now = self.clock.now();
        let user = self
            .store
            .set_user_banned(id, banned, now)
            .await
            .map_err(not_found)?;
        if banned {
            self.store.revoke_user_sessions(id, None, now).await?;
        }
        Ok(user)
    }

    /// An administrator changes someone's role. Administrators cannot demote themselves, so
    /// an installation cannot lose its last administrator by accident.
    pub async fn admin_set_role(
        &self,
        actor: UserId,
        target: UserId,
        role: Role,
    ) -> ServiceResult<User> {
        if actor == target && role != Role::Admin {
            return Err(ServiceError::Forbidden(
                "administrators cannot demote themselves",
            ));
        }
        self.set_role(target, role).await
    }

    /// An administrator bans or unbans someone (never themselves).
    pub async fn admin_set_banned(
        &self,
        actor: UserId,
        target: UserId,
        banned: bool,
    ) -> ServiceResult<User> {
        if actor == target {
            return Err(ServiceError::Forbidden(
                "administrators cannot ban themselves",
            ));
        }
        self.set_banned(target, banned).await
    }

    /// An administrator deletes someone's account (not their own: that is `delete`).
    pub async fn admin_delete(&self, actor: UserId, target: UserId) -> ServiceResult<()> {
        if actor == target {
            return Err(ServiceError::Forbidden(
                "administrators delete their own account from their settings",
            ));
        }
        self.delete(target).await
    }

    /// Records that the user accepted the terms of service.
    pub async fn accept_terms(&self, id: UserId) -> ServiceResult<()> {
        self.store
            .set_terms_accepted(id, true, self.clock.now())
            .await
            .map_err(not_found)
    }

    /// Deletes a user and everything the user owns.
    pub async fn delete(&self, id: UserId) -> ServiceResult<()> {
        self.store.delete_user(id).await.map_err(not_found)?;
        if let Some(files) = &self.files {
            // The account is gone either way; leftover blobs are only logged.
            if let Err(e) = files.delete_all_of(id).await {
                tracing::warn!(user = %id, error = %e, "could not delete a deleted account's files");
            }
        }
        Ok(())
    }
}

fn not_found(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("user"),
        other => other.into(),
    }
}
