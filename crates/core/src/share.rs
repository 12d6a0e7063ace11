//! Shared links: a read-only view of (a branch of) a conversation at a URL anyone holding it
//! can open, optionally until an expiry or behind a password.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ConversationId, MessageId, UserId};

/// The alphabet of share IDs: URL-safe, 64 symbols (nanoid's, as LibreChat's IDs).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Identifies a shared link in its public URL. Unlike the other IDs it is not a UUID: it is
/// the secret that grants access, so it is random (126 bits) rather than time-ordered, and in
/// the 21-character URL-safe form LibreChat's links have.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShareId(String);

impl ShareId {
    /// Characters in a new ID.
    pub const LEN: usize = 21;

    /// An ID from 21 random bytes (each maps to one symbol; 64 divides 256, so no bias).
    pub fn from_random(bytes: [u8; Self::LEN]) -> Self {
        Self(
            bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
                .collect(),
        )
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text is not a share ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidShareId;

impl FromStr for ShareId {
    type Err = InvalidShareId;

    /// Accepts 8 to 64 URL-safe symbols: ours are 21, links imported from elsewhere may differ,
    /// and anything else cannot name a link, so it is refused before reaching storage.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if (8..=64).contains(&s.len()) && s.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidShareId)
        }
    }
}

/// A shared link, as its owner sees it (the password only as a flag).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedLink {
    /// ID, also the secret part of the URL.
    pub id: ShareId,
    /// Owner.
    pub user_id: UserId,
    /// The conversation shown.
    pub conversation_id: ConversationId,
    /// The conversation's title when the link was made or last refreshed.
    pub title: String,
    /// When set, only the branch from the root down to this message is shown.
    pub target_message_id: Option<MessageId>,
    /// Messages created after this are not shown (the link is a snapshot; refreshing moves
    /// it). Edits and deletions of the shown messages do show: a user who deletes a message
    /// expects it gone everywhere.
    pub snapshot_at: DateTime<Utc>,
    /// After this the link no longer opens.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether viewers must give a password.
    pub has_password: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change (refresh, expiry or password).
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_parse_back() {
        let id = ShareId::from_random([255; ShareId::LEN]);
        assert_eq!(id.as_str(), "-".repeat(21));
        let id = ShareId::from_random(std::array::from_fn(|i| i as u8 * 7));
        assert_eq!(id.as_str().parse::<ShareId>(), Ok(id.clone()));
        assert_eq!(id.as_str().len(), ShareId::LEN);
    }

    #[test]
    fn foreign_text_is_not_an_id() {
        for bad in [
            "",
            "short",
            "has space in it",
            "../../etc/passwd",
            &"a".repeat(65),
        ] {
            assert_eq!(bad.parse::<ShareId>(), Err(InvalidShareId), "{bad}");
        }
    }
}
