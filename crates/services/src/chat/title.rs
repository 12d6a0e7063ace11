//! Titles for new conversations: asked of the endpoint's title model after the first answer,
//! stored on the conversation (unless the user renamed it meanwhile). When the model fails,
//! the start of the first message is the title, so a conversation never stays "New Chat"
//! because an upstream hiccuped.

use std::time::Duration;

use ferrochat_providers::{ChatRequest, Params, Role, StreamItem, Turn};
use futures_util::StreamExt;

use super::Job;

/// LibreChat's limit for a title call.
const TIMEOUT: Duration = Duration::from_secs(45);
/// Longest title kept, in characters.
const MAX_CHARS: usize = 80;

/// A title to generate.
pub(crate) struct TitleJob {
    /// Model to ask.
    pub model: String,
    /// The user's first message.
    pub prompt: String,
}

/// Trims quotes, a `Title:` prefix and line breaks; caps the length.
fn clean(raw: &str) -> String {
    let line = raw.trim().lines().next().unwrap_or("").trim();
    let line = line
        .strip_prefix("Title:")
        .or_else(|| line.strip_prefix("title:"))
        .unwrap_or(line)
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '*' | '#' | '`'))
        .trim()
        .trim_end_matches('.');
    shorten(line)
}

fn shorten(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(MAX_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

impl TitleJob {
    async fn ask(&self, job: &Job, answer: &str) -> Option<String> {
        let request = ChatRequest {
            model: self.model.clone(),
            system: None,
            turns: vec![Turn {
                images: Vec::new(),
                role: Role::User,
                text: format!(
                    "Write a concise title (at most 7 words) for this conversation. Reply with the title only, no quotes.\n\nUser: {}\n\nAssistant: {}",
                    self.prompt.chars().take(2000).collect::<String>(),
                    answer.chars().take(1000).collect::<String>()
                ),
            }],
            params: Params {
                temperature: Some(0.2),
                max_output_tokens: Some(40),
                ..Params::default()
            },
        };
        let call = async {
            let mut stream = job.provider.stream(&request).await.ok()?;
            let mut text = String::new();
            while let Some(item) = stream.next().await {
                match item {
                    Ok(StreamItem::Text(t)) => text.push_str(&t),
                    Ok(_) => {}
                    Err(_) => return None,
                }
            }
            Some(text)
        };
        let text = tokio::time::timeout(TIMEOUT, call).await.ok().flatten()?;
        Some(clean(&text)).filter(|t| !t.is_empty())
    }

    /// Generates and stores the title.
    pub(crate) async fn run(&self, job: &Job, answer: &str) {
        let title = match self.ask(job, answer).await {
            Some(t) => t,
            None => shorten(&self.prompt),
        };
        if title.is_empty() {
            return;
        }
        let c = &job.conversation;
        match job.store.set_generated_title(c.user_id, c.id, &title).await {
            Ok(_) => job.events.conversation(
                c.user_id,
                crate::events::EventKind::ConversationUpdated,
                c.id,
            ),
            Err(e) => tracing::warn!(error = %e, conversation = %c.id, "storing a title failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned() {
        assert_eq!(clean("\"Friendly greeting.\"\nmore"), "Friendly greeting");
        assert_eq!(clean("Title: **Rust tips**"), "Rust tips");
        assert_eq!(shorten(&"word ".repeat(40)).chars().count(), 80);
    }
}
