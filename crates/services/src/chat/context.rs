//! Building the prompt: the branch being answered (the parent chain, not the whole tree),
//! fitted to the model's context window (the system prompt always stays, the oldest turns go
//! first), and the sampling parameters read from the conversation's settings.

use std::collections::HashMap;

use ferrochat_core::{Message, MessageId};
use ferrochat_providers::{Params, Role, Turn, tokens};
use serde_json::{Map, Value};

use crate::{ServiceError, ServiceResult};

/// The chain from the root to `leaf` (inclusive), oldest first. Stops at a missing parent or
/// a cycle, so a damaged tree cannot hang a request.
pub fn branch(messages: &[Message], leaf: MessageId) -> Vec<&Message> {
    let by_id: HashMap<MessageId, &Message> = messages.iter().map(|m| (m.id, m)).collect();
    let mut chain = Vec::new();
    let mut next = Some(leaf);
    while let Some(id) = next {
        let Some(m) = by_id.get(&id) else { break };
        if chain.len() > messages.len() {
            break;
        }
        chain.push(*m);
        next = m.parent_id;
    }
    chain.reverse();
    chain
}

/// What a stored message says, as sent upstream: the user's text; for answers, the text parts
/// of `content` (reasoning and error parts are not part of the conversation), else `text`.
pub fn prompt_text(m: &Message) -> String {
    if let Some(content) = &m.content
        && let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(content.as_str())
    {
        let text: Vec<&str> = parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| match p.get("text") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(v) => v.get("value").and_then(Value::as_str),
                None => None,
            })
            .collect();
        if !text.is_empty() {
            return text.join("");
        }
    }
    m.text.clone()
}

/// The chain as turns, each user message with what its files give the model.
pub fn turns(
    chain: &[&Message],
    mut attached: std::collections::HashMap<MessageId, super::attach::Attached>,
) -> Vec<Turn> {
    chain
        .iter()
        .map(|m| {
            let files = attached.remove(&m.id).unwrap_or_default();
            Turn {
                images: files.images,
                role: if m.is_created_by_user {
                    Role::User
                } else {
                    Role::Assistant
                },
                text: prompt_text(m) + &files.text,
            }
        })
        .filter(|t| !t.text.is_empty() || !t.images.is_empty())
        .collect()
}

/// A model's context window in tokens, by family; unknown models get a conservative 8,192.
pub fn context_window(model: &str) -> u32 {
    let m = model.to_ascii_lowercase();
    let table: [(&str, u32); 16] = [
        ("gpt-4.1", 1_047_576),
        ("gpt-5", 400_000),
        ("gpt-4o", 128_000),
        ("gpt-4-turbo", 128_000),
        ("o1", 200_000),
        ("o3", 200_000),
        ("o4", 200_000),
        ("gpt-4", 8_192),
        ("gpt-3.5", 16_385),
        ("claude", 200_000),
        ("gemini-1.5", 1_048_576),
        ("gemini-2", 1_048_576),
        ("gemini", 32_768),
        ("llama3", 128_000),
        ("llama-3", 128_000),
        ("deepseek", 64_000),
    ];
    table
        .iter()
        .find(|(prefix, _)| m.contains(prefix))
        .map_or(8_192, |(_, n)| *n)
}

/// Tokens an image costs, roughly (providers charge by size: OpenAI about 765 for a
/// 1024×1024 image, Anthropic about 1,600 at its largest); an estimate, like the text's.
const IMAGE_TOKENS: u32 = 1_000;

/// A turn's estimated tokens.
fn cost(t: &Turn) -> u32 {
    let images = u32::try_from(t.images.len()).unwrap_or(u32::MAX);
    tokens::message(&t.text).saturating_add(images.saturating_mul(IMAGE_TOKENS))
}

/// Drops the oldest turns until the prompt fits `window` tokens with `reserve` left for the
/// answer. The system prompt and the last turn (the one being answered) always stay; when even
/// those do not fit, the request is refused before any upstream call.
pub fn fit(
    system: Option<&str>,
    turns: Vec<Turn>,
    window: u32,
    reserve: u32,
) -> ServiceResult<(Vec<Turn>, u32)> {
    let budget = window.saturating_sub(reserve);
    let fixed = system.map_or(0, tokens::message);
    let costs: Vec<u32> = turns.iter().map(cost).collect();
    let last = costs.last().copied().unwrap_or(0);
    if fixed.saturating_add(last) > budget {
        return Err(ServiceError::invalid(
            "text",
            format!(
                "the message is too long for the model: about {} tokens, {budget} available",
                fixed.saturating_add(last)
            ),
        ));
    }
    let mut used = fixed;
    let mut keep_from = turns.len();
    for (i, cost) in costs.iter().enumerate().rev() {
        if used.saturating_add(*cost) > budget {
            break;
        }
        used = used.saturating_add(*cost);
        keep_from = i;
    }
    let mut kept: Vec<Turn> = turns.into_iter().skip(keep_from).collect();
    // Answer-first histories confuse some APIs: start with the user's turn when one was cut.
    while keep_from > 0 && kept.first().is_some_and(|t| t.role == Role::Assistant) && kept.len() > 1
    {
        let t = kept.remove(0);
        used = used.saturating_sub(cost(&t));
    }
    Ok((kept, used))
}

fn number(settings: &Map<String, Value>, keys: &[&str]) -> Option<f64> {
    keys.iter()
        .find_map(|k| settings.get(*k).and_then(Value::as_f64))
}

fn whole(settings: &Map<String, Value>, keys: &[&str]) -> Option<u64> {
    keys.iter().find_map(|k| {
        settings.get(*k).and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        })
    })
}

/// The model parameters in a conversation's settings (LibreChat's names), checked against
/// their ranges.
pub struct Settings {
    /// Sampling parameters.
    pub params: Params,
    /// The system prompt (`promptPrefix`).
    pub system: Option<String>,
    /// `maxContextTokens`, when the user set one.
    pub max_context: Option<u32>,
    /// `modelLabel`, the name answers are signed with.
    pub model_label: Option<String>,
}

/// Reads and checks the parameters.
pub fn settings(s: &Map<String, Value>) -> ServiceResult<Settings> {
    let mut checks = crate::validate::Checks::default();
    let temperature = number(s, &["temperature"]);
    if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        checks.fail("temperature", "must be between 0 and 2");
    }
    let top_p = number(s, &["top_p", "topP"]);
    if top_p.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        checks.fail("top_p", "must be between 0 and 1");
    }
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let max_output = whole(s, &["max_tokens", "maxOutputTokens", "maxTokens"]).map(clamp);
    if max_output.is_some_and(|n| n == 0 || n > 1_000_000) {
        checks.fail("max_tokens", "must be between 1 and 1000000");
    }
    let max_context = whole(s, &["maxContextTokens"]).map(clamp);
    if max_context.is_some_and(|n| !(256..=10_000_000).contains(&n)) {
        checks.fail("maxContextTokens", "must be between 256 and 10000000");
    }
    let stop: Vec<String> = match s.get("stop") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .filter(|i| !i.is_empty())
            .collect(),
        Some(Value::String(one)) if !one.is_empty() => vec![one.clone()],
        _ => Vec::new(),
    };
    if stop.len() > 4 {
        checks.fail("stop", "at most 4 stop sequences");
    }
    let thinking = s.get("thinking").and_then(Value::as_bool) == Some(true);
    let thinking_budget = thinking.then(|| whole(s, &["thinkingBudget"]).map_or(2000, clamp));
    checks.finish()?;
    let text = |k: &str| {
        s.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Ok(Settings {
        params: Params {
            temperature,
            top_p,
            top_k: whole(s, &["topK", "top_k"]).map(clamp),
            max_output_tokens: max_output,
            stop,
            reasoning_effort: text("reasoning_effort"),
            thinking_budget,
        },
        system: text("promptPrefix").or_else(|| text("system")),
        max_context,
        model_label: text("modelLabel").or_else(|| text("chatGptLabel")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use ferrochat_core::{ConversationId, UserId};

    fn msg(id: MessageId, parent: Option<MessageId>, user: bool, text: &str) -> Message {
        let now = Utc::now();
        Message {
            id,
            conversation_id: ConversationId::new(),
            user_id: UserId::new(),
            parent_id: parent,
            sender: if user { "User".into() } else { "AI".into() },
            text: text.into(),
            content: None,
            is_created_by_user: user,
            error: false,
            unfinished: false,
            model: None,
            endpoint: None,
            token_count: None,
            feedback: None,
            files: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn branch_follows_parents_only() {
        let (a, b, b2, c) = (
            MessageId::new(),
            MessageId::new(),
            MessageId::new(),
            MessageId::new(),
        );
        let mut answer = msg(b, Some(a), false, "");
        answer.content = Some(ferrochat_core::JsonText::from_value(&serde_json::json!([
            {"type":"think","think":"hidden"},{"type":"text","text":"shown"}
        ])));
        let all = vec![
            msg(a, None, true, "q1"),
            answer,
            msg(b2, Some(a), false, "sibling"),
            msg(c, Some(b), true, "q2"),
        ];
        let chain = branch(&all, c);
        let t = turns(&chain, Default::default());
        let texts: Vec<_> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["q1", "shown", "q2"]);
    }

    #[test]
    fn fit_drops_oldest_keeps_system_and_last() {
        let turn = |role, n: usize| Turn {
            images: Vec::new(),
            role,
            text: "x".repeat(n),
        };
        let turns = vec![
            turn(Role::User, 400),
            turn(Role::Assistant, 400),
            turn(Role::User, 400),
            turn(Role::Assistant, 400),
            turn(Role::User, 40),
        ];
        // 400 chars ≈ 104 tokens each; 40 ≈ 14; system ≈ 7.
        let (kept, used) = fit(Some("be brief please"), turns.clone(), 300, 50).unwrap();
        assert_eq!(kept.len(), 3, "{used}");
        assert_eq!(kept[0].role, Role::User);
        assert!(used <= 250);
        assert!(fit(Some("s"), vec![turn(Role::User, 4000)], 300, 50).is_err());
        let (all, _) = fit(None, turns, 100_000, 1000).unwrap();
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn settings_are_read_and_checked() {
        let s: Map<String, Value> = serde_json::from_value(serde_json::json!({
            "temperature": 0.7, "topP": 0.9, "maxOutputTokens": 300, "stop": ["END"],
            "promptPrefix": "  be nice ", "thinking": true, "modelLabel": "Helper"
        }))
        .unwrap();
        let out = settings(&s).unwrap();
        assert_eq!(out.params.temperature, Some(0.7));
        assert_eq!(out.params.top_p, Some(0.9));
        assert_eq!(out.params.max_output_tokens, Some(300));
        assert_eq!(out.params.thinking_budget, Some(2000));
        assert_eq!(out.system.as_deref(), Some("be nice"));
        let bad: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"temperature": 5, "top_p": -1})).unwrap();
        match settings(&bad) {
            Err(ServiceError::Invalid(errors)) => assert_eq!(errors.len(), 2),
            _ => panic!("expected two field errors"),
        }
    }
}
