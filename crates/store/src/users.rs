//! User accounts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{NewUser, Role, User, UserId};

use crate::StoreResult;

/// One page of users in ID (creation) order.
#[derive(Clone, Debug)]
pub struct UserPage {
    /// The users on this page.
    pub users: Vec<User>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<UserId>,
}

/// Rows of the `users` table.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user. Fails with `Conflict { constraint: "users.email" }` (or
    /// `"users.username"`) when the address or handle is taken.
    async fn create_user(&self, new: NewUser, now: DateTime<Utc>) -> StoreResult<User>;

    /// Loads a user by ID.
    async fn user_by_id(&self, id: UserId) -> StoreResult<User>;

    /// Loads a user by (already lower-cased) email.
    async fn user_by_email(&self, email: &str) -> StoreResult<User>;

    /// Lists users after the given ID, oldest first (keyset pagination on the primary key,
    /// which is time-ordered).
    async fn list_users(&self, after: Option<UserId>, limit: u32) -> StoreResult<UserPage>;

    /// Number of accounts; registration uses it to make the first user an admin.
    async fn count_users(&self) -> StoreResult<u64>;

    /// Changes a user's role and returns the updated row.
    async fn set_user_role(&self, id: UserId, role: Role, now: DateTime<Utc>) -> StoreResult<User>;

    /// Bans or unbans a user and returns the updated row.
    async fn set_user_banned(
        &self,
        id: UserId,
        banned: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;

    /// The user linked to an external identity.
    async fn user_by_identity(&self, provider: &str, subject: &str) -> StoreResult<User>;

    /// Links an external identity to a user; `Conflict` if it is linked already.
    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Sets (or with `None` clears) the URL of the user's picture.
    async fn set_user_avatar(
        &self,
        id: UserId,
        avatar: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Records whether the user accepted the terms of service.
    async fn set_terms_accepted(
        &self,
        id: UserId,
        accepted: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Marks the user's email address verified.
    async fn set_email_verified(&self, id: UserId, now: DateTime<Utc>) -> StoreResult<()>;

    /// Replaces a user's password hash (re-hashing on login, password change or reset).
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Deletes a user and, through foreign keys, every row the user owns.
    async fn delete_user(&self, id: UserId) -> StoreResult<()>;
}
