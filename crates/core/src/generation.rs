//! The record of one generated answer: what it cost and how fast it came (analytics and
//! balances read these).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::UserId;
use crate::id::{ConversationId, MessageId};

/// How a generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The upstream finished.
    Completed,
    /// The client went away; the partial answer was kept.
    Aborted,
    /// The upstream failed; the answer records the error.
    Error,
}

impl Outcome {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Aborted => "aborted",
            Self::Error => "error",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "completed" => Some(Self::Completed),
            "aborted" => Some(Self::Aborted),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// One answer's generation record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generation {
    /// The answer.
    pub message_id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Who asked.
    pub user_id: UserId,
    /// Endpoint key.
    pub endpoint: String,
    /// Model.
    pub model: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Stable error code when it failed (`provider_rate_limited`, …).
    pub error_code: Option<String>,
    /// The upstream's finish reason (`stop`, `length`, …).
    pub finish_reason: Option<String>,
    /// Prompt tokens (upstream-reported, else estimated).
    pub prompt_tokens: i64,
    /// Answer tokens (upstream-reported, else estimated).
    pub completion_tokens: i64,
    /// Whether the counts came from the upstream.
    pub usage_reported: bool,
    /// Milliseconds from the request to the first answer token, when one came.
    pub ttft_ms: Option<i64>,
    /// Milliseconds from the request to the end.
    pub duration_ms: i64,
    /// Credits charged (0 when balances are off).
    pub token_cost: i64,
    /// When it ended.
    pub created_at: DateTime<Utc>,
}
