//! Conversations as files a user can keep or hand on: LibreChat's JSON export (the whole tree,
//! importable here and by LibreChat), Markdown and PDF (the branch the user sees: the path from
//! the first message to the newest one).
//!
//! Pure functions of a conversation and its messages: no storage, no HTTP. PDF is typeset by
//! Typst with its bundled fonts; message text goes in as data, never as markup.
#![warn(missing_docs)]

mod json;
mod markdown;
mod pdf;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, Message, MessageId};

pub use json::json;
pub use markdown::markdown;
pub use pdf::pdf;

/// A failure to typeset (a bug in the template, never the user's text).
#[derive(Debug, thiserror::Error)]
#[error("could not typeset the PDF: {0}")]
pub struct ExportError(String);

/// The branch shown on screen: from the root down to the newest message, in order.
pub fn current_branch(messages: &[Message]) -> Vec<&Message> {
    let by_id: HashMap<MessageId, &Message> = messages.iter().map(|m| (m.id, m)).collect();
    let Some(newest) = messages
        .iter()
        .max_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.0.cmp(&b.id.0)))
    else {
        return Vec::new();
    };
    let mut chain = vec![newest];
    let mut seen = std::collections::HashSet::from([newest.id]);
    while let Some(parent) = chain
        .last()
        .and_then(|m| m.parent_id)
        .and_then(|p| by_id.get(&p))
        .filter(|p| seen.insert(p.id))
    {
        chain.push(parent);
    }
    chain.reverse();
    chain
}

/// What a reader sees of a message: its text, or for an answer made of content parts the text
/// parts (reasoning and tool parts are the model's working, not the answer).
pub fn visible_text(m: &Message) -> String {
    if !m.text.is_empty() {
        return m.text.clone();
    }
    let Some(content) = &m.content else {
        return String::new();
    };
    let parts = content.to_value();
    let texts: Vec<String> = parts
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["type"] == "text")
        .filter_map(|p| match &p["text"] {
            serde_json::Value::String(s) => Some(s.clone()),
            other => other["value"].as_str().map(str::to_owned),
        })
        .collect();
    texts.join("\n\n")
}

/// `2025-01-02 03:04 UTC`.
fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One line under the title: the endpoint and model.
fn byline(c: &Conversation) -> String {
    [c.endpoint.as_deref(), c.model.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A file name for the export: the title's letters, digits, spaces and dashes (at most 80
/// characters), or `conversation`.
pub fn file_stem(c: &Conversation) -> String {
    let stem: String = c
        .title
        .chars()
        .filter(|ch| ch.is_alphanumeric() || matches!(ch, ' ' | '-' | '_'))
        .take(80)
        .collect();
    let stem = stem.trim();
    if stem.is_empty() {
        "conversation".to_owned()
    } else {
        stem.to_owned()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::{DateTime, Utc};
    use ferrochat_core::{Conversation, ConversationId, JsonText, Message, MessageId, UserId};

    pub fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_735_787_045 + s, 0).unwrap_or_default()
    }

    pub fn conversation() -> Conversation {
        Conversation {
            id: ConversationId(uuid_from(1)),
            user_id: UserId(uuid_from(2)),
            title: "Quokkas: a *field* guide".into(),
            endpoint: Some("openAI".into()),
            endpoint_type: None,
            model: Some("gpt-4o".into()),
            is_archived: false,
            settings: serde_json::json!({ "temperature": 0.5 }).into(),
            folder_id: None,
            tags: Vec::new(),
            created_at: at(0),
            updated_at: at(30),
            expired_at: None,
        }
    }

    fn uuid_from(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }

    pub fn message(n: u128, parent: Option<u128>, by_user: bool, text: &str, s: i64) -> Message {
        let c = conversation();
        Message {
            id: MessageId(uuid_from(100 + n)),
            conversation_id: c.id,
            user_id: c.user_id,
            parent_id: parent.map(|p| MessageId(uuid_from(100 + p))),
            sender: if by_user { "User" } else { "GPT-4o" }.into(),
            text: if by_user { text.into() } else { String::new() },
            content: (!by_user).then(|| {
                JsonText::from_value(&serde_json::json!([
                    { "type": "think", "think": "secret reasoning" },
                    { "type": "text", "text": text }
                ]))
            }),
            is_created_by_user: by_user,
            error: false,
            unfinished: false,
            model: (!by_user).then(|| "gpt-4o".to_owned()),
            endpoint: Some("openAI".into()),
            token_count: None,
            feedback: None,
            files: None,
            created_at: at(s),
            updated_at: at(s),
        }
    }

    /// q ─ a1            (a1 and a2 are siblings: a regenerated answer)
    ///   └ a2 ─ q2 ─ a3
    pub fn tree() -> Vec<Message> {
        vec![
            message(1, None, true, "Where do quokkas live?", 1),
            message(2, Some(1), false, "On Rottnest Island.", 2),
            message(3, Some(1), false, "Mostly on **Rottnest Island**.", 3),
            message(4, Some(3), true, "Show me code", 4),
            message(
                5,
                Some(4),
                false,
                "Here:\n\n```rust\nfn main() {\n    println!(\"quokka\");\n}\n```\n\nДобре — done.",
                5,
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn the_current_branch_follows_the_newest_message_up() {
        let tree = tree();
        let branch: Vec<String> = current_branch(&tree)
            .iter()
            .map(|m| visible_text(m))
            .collect();
        assert_eq!(
            branch,
            [
                "Where do quokkas live?",
                "Mostly on **Rottnest Island**.",
                "Show me code",
                "Here:\n\n```rust\nfn main() {\n    println!(\"quokka\");\n}\n```\n\nДобре — done.",
            ]
        );
        assert!(current_branch(&[]).is_empty());
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        let mut c = conversation();
        assert_eq!(file_stem(&c), "Quokkas a field guide");
        c.title = "../../etc/passwd".into();
        assert_eq!(file_stem(&c), "etcpasswd");
        c.title = "???".into();
        assert_eq!(file_stem(&c), "conversation");
    }
}
