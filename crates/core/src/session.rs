//! Login sessions: one row per refresh-token family.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{SessionId, UserId};

/// A login session. The refresh token itself is never stored, only its hash, so a database
/// leak does not hand out live sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Primary key.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 (hex) of the current refresh token; rotated on every refresh.
    pub token_hash: String,
    /// When the session stops being refreshable.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last rotation (or creation).
    pub last_used_at: DateTime<Utc>,
    /// Set when the session was revoked (logout, reuse detection, password change).
    pub revoked_at: Option<DateTime<Utc>>,
    /// Client user agent at creation, for the "your sessions" list.
    pub user_agent: Option<String>,
    /// Client IP at creation.
    pub ip: Option<String>,
}
