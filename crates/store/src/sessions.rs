//! Login sessions (refresh-token families).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Session, SessionId, User, UserId};

use crate::StoreResult;

/// Rows of the `sessions` table.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a new session.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;

    /// Loads a session by the hash of its current refresh token.
    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Session>;

    /// The user a session belongs to, and whether the session was revoked: what every
    /// authenticated request needs, in one query.
    async fn session_user(&self, id: SessionId) -> StoreResult<(User, bool)>;

    /// Loads a session by ID.
    async fn session_by_id(&self, id: SessionId) -> StoreResult<Session>;

    /// The session whose *rotated-away* token had this hash, if any: presenting such a token
    /// again is the signal of a stolen refresh token.
    async fn session_by_rotated_hash(&self, token_hash: &str) -> StoreResult<SessionId>;

    /// Replaces the token hash if it still equals `old_hash` and the session is live, and
    /// remembers `old_hash` as rotated away, in one transaction. Returns `false` when another
    /// request rotated it first (compare-and-swap, so two concurrent refreshes cannot both
    /// win).
    async fn rotate_session(
        &self,
        id: SessionId,
        old_hash: &str,
        new_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Marks one session revoked. Revoking twice is not an error.
    async fn revoke_session(&self, id: SessionId, now: DateTime<Utc>) -> StoreResult<()>;

    /// Revokes every live session of a user except `keep`; returns how many were revoked.
    async fn revoke_user_sessions(
        &self,
        user_id: UserId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// The user's sessions, newest first, revoked ones included.
    async fn list_user_sessions(&self, user_id: UserId) -> StoreResult<Vec<Session>>;

    /// Deletes sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}
