//! Prompt templates (LibreChat's prompt library): a named group of versions of a prompt text,
//! one of which is in use ("production"), optionally bound to a slash command. Texts may hold
//! `{{variables}}` that are filled in when the prompt is used.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{PromptGroupId, PromptId, UserId};

/// How the prompt is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptKind {
    /// Inserted as the user's message text.
    Text,
    /// A chat prompt (LibreChat's `chat` type).
    Chat,
}

impl PromptKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptKind::Text => "text",
            PromptKind::Chat => "chat",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "text" => Some(PromptKind::Text),
            "chat" => Some(PromptKind::Chat),
            _ => None,
        }
    }
}

/// A named prompt with its versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptGroup {
    /// ID.
    pub id: PromptGroupId,
    /// Owner.
    pub user_id: UserId,
    /// Name.
    pub name: String,
    /// Slash command that inserts it (`/command`), unique per user.
    pub command: Option<String>,
    /// One-line description.
    pub oneliner: String,
    /// Category (free text; the client offers a list).
    pub category: String,
    /// The version in use.
    pub production_id: Option<PromptId>,
    /// That version's text (read with the group).
    pub production_prompt: Option<String>,
    /// How often it was used.
    pub number_of_generations: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change (of the group or its versions).
    pub updated_at: DateTime<Utc>,
}

/// One version of a prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// ID.
    pub id: PromptId,
    /// Its group.
    pub group_id: PromptGroupId,
    /// Owner.
    pub user_id: UserId,
    /// The text, with `{{variables}}`.
    pub text: String,
    /// How it is used.
    pub kind: PromptKind,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
