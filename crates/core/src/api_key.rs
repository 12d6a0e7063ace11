//! Personal API keys: long-lived bearer credentials for scripts and integrations, limited to
//! the native API and to the scopes they were given.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ApiKeyId, UserId};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read (GET) resources.
    Read,
    /// Create, change and delete resources.
    Write,
    /// Send chat messages (`/api/v1/chat`).
    Chat,
    /// Administration (`/api/v1/admin`), for administrators' keys only.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Chat, Scope::Admin];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Chat => "chat",
            Scope::Admin => "admin",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A personal API key (never its secret: only a hash is stored, and the token is shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// ID.
    pub id: ApiKeyId,
    /// Owner.
    pub user_id: UserId,
    /// The owner's label for it.
    pub name: String,
    /// The token's first characters, to recognise it in a list.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
