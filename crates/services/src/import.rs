//! Importing conversations from other chat apps' exports, the formats LibreChat's own import
//! takes: LibreChat's JSON export (flat or as a tree), ChatGPT's `conversations.json` and
//! chatbot-ui's export. Every conversation gets fresh IDs; the tree, the texts, the models and
//! the original times are kept.
//!
//! Unlike LibreChat, which answers "imported" and logs whatever went wrong, the whole file is
//! read and checked before anything is written, and a problem is reported with where it is.
//! Each conversation is then written in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ferrochat_core::{Conversation, ConversationId, JsonText, Message, MessageId, UserId};
use ferrochat_store::DynStore;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::conversations::{SETTINGS_MAX_BYTES, TEXT_MAX, TITLE_MAX};
use crate::{Clock, ServiceError, ServiceResult};

/// Most conversations one file may hold.
pub const MAX_CONVERSATIONS: usize = 10_000;
/// Most messages one imported conversation may hold.
pub const MAX_MESSAGES: usize = 20_000;
/// LibreChat's parent ID of a root message.
const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";
/// Title of an imported conversation that has none.
const UNTITLED: &str = "Imported chat";

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// Which format the file was in: `librechat`, `chatgpt` or `chatbot-ui`.
    pub format: &'static str,
    /// The new conversations, in file order.
    pub conversations: Vec<ConversationId>,
    /// Messages written.
    pub messages: usize,
    /// Conversations left out because they held no message.
    pub skipped_empty: usize,
}

/// Imports conversations.
#[derive(Clone)]
pub struct ImportService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    events: crate::events::EventBus,
}

impl ImportService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, events: crate::events::EventBus) -> Self {
        Self {
            store,
            clock,
            events,
        }
    }

    /// Reads an export file and stores its conversations for `user`. Nothing is written when
    /// the file is not one of the known formats or any conversation in it is invalid.
    pub async fn import(&self, user: UserId, file: Vec<u8>) -> ServiceResult<ImportReport> {
        let (format, drafts) = parse_deep(file).await?;
        let now = self.clock.now();
        let mut built = Vec::with_capacity(drafts.len());
        let mut skipped_empty = 0;
        for (i, draft) in drafts.into_iter().enumerate() {
            match build(draft, user, now).map_err(|e| at_conversation(i, e))? {
                Some(b) => built.push(b),
                None => skipped_empty += 1,
            }
        }
        let mut report = ImportReport {
            format,
            conversations: Vec::with_capacity(built.len()),
            messages: 0,
            skipped_empty,
        };
        for (conversation, messages) in built {
            self.store
                .create_conversation_with_messages(&conversation, &messages)
                .await?;
            self.events.conversation(
                user,
                crate::events::EventKind::ConversationCreated,
                conversation.id,
            );
            report.conversations.push(conversation.id);
            report.messages += messages.len();
        }
        Ok(report)
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::invalid("file", message)
}

fn at_conversation(index: usize, err: ServiceError) -> ServiceError {
    match err {
        ServiceError::Invalid(fields) => ServiceError::Invalid(
            fields
                .into_iter()
                .map(|mut f| {
                    f.message = format!("conversation {}: {}", index + 1, f.message);
                    f
                })
                .collect(),
        ),
        other => other,
    }
}

/// A conversation read from a file, before it gets IDs.
#[derive(Debug, Default)]
struct Draft {
    title: Option<String>,
    endpoint: Option<String>,
    model: Option<String>,
    settings: Map<String, Value>,
    created_at: Option<DateTime<Utc>>,
    messages: Vec<DraftMessage>,
}

/// A message read from a file; `key` and `parent` are the file's own IDs.
#[derive(Debug, Default)]
struct DraftMessage {
    key: String,
    parent: Option<String>,
    sender: String,
    text: String,
    content: Option<Value>,
    by_user: bool,
    model: Option<String>,
    endpoint: Option<String>,
    created_at: Option<DateTime<Utc>>,
    error: bool,
}

/// Deepest JSON nesting a file may have: a LibreChat tree nests two levels (an object and
/// its `children`) per message, so this admits a chain of every message allowed.
const MAX_DEPTH: usize = 2 * MAX_MESSAGES + 64;
/// Stack of the thread that parses: reading a nested tree recurses once per level, and
/// `MAX_DEPTH` levels need far more than a worker's 2 MiB. Only the pages used are committed.
const PARSE_STACK: usize = 512 * 1024 * 1024;

/// The deepest nesting of objects and arrays in a JSON text (strings skipped), found in one
/// pass without building anything.
fn nesting_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// [`parse`] on a thread of its own with a large stack: LibreChat's tree export nests one level
/// per message, deeper than a JSON reader's usual limit (128) after some sixty messages.
/// Nesting beyond [`MAX_DEPTH`] is refused before reading; parsing is CPU work and runs off
/// the async workers anyway.
async fn parse_deep(file: Vec<u8>) -> ServiceResult<(&'static str, Vec<Draft>)> {
    if nesting_depth(&file) > MAX_DEPTH {
        return Err(invalid(format!(
            "nests deeper than {MAX_DEPTH} levels (a conversation holds at most {MAX_MESSAGES} messages)"
        )));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("import-parse".into())
        .stack_size(PARSE_STACK)
        .spawn(move || {
            // The receiver only goes away when the request did; nothing to report then.
            let _ = tx.send(parse(&file));
        })
        .map_err(|e| ServiceError::Internal(Box::new(e)))?;
    rx.await.map_err(|e| ServiceError::Internal(Box::new(e)))?
}

/// Reads a whole value with no depth limit (callers bound the depth; see [`parse_deep`]).
fn read<T: serde::de::DeserializeOwned>(file: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(file);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Which format the file is in, and its conversations.
fn parse(file: &[u8]) -> ServiceResult<(&'static str, Vec<Draft>)> {
    let unreadable =
        |e: serde_json::Error| invalid(format!("is not a JSON export we can read: {e}"));
    match file.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => {
            let export: Vec<GptConversation> = read(file).map_err(unreadable)?;
            check_count(export.len())?;
            Ok((
                "chatgpt",
                export.into_iter().map(GptConversation::draft).collect(),
            ))
        }
        Some(b'{') => {
            let export: ObjectExport = read(file).map_err(unreadable)?;
            if let (Some(_), Some(history)) = (&export.version, export.history) {
                check_count(history.len())?;
                return Ok((
                    "chatbot-ui",
                    history.into_iter().map(UiConversation::draft).collect(),
                ));
            }
            if export.conversation_id.is_some() {
                let messages = export.messages_tree.or(export.messages).ok_or_else(|| {
                    invalid("a LibreChat export needs `messages` or `messagesTree`")
                })?;
                return Ok((
                    "librechat",
                    vec![librechat_draft(
                        export.title,
                        export.endpoint,
                        export.options,
                        messages,
                    )],
                ));
            }
            Err(invalid(
                "is not an export of LibreChat, ChatGPT (conversations.json) or chatbot-ui",
            ))
        }
        _ => Err(invalid(
            "is not a JSON export (it must start with `{` or `[`)",
        )),
    }
}

fn check_count(n: usize) -> ServiceResult<()> {
    if n > MAX_CONVERSATIONS {
        return Err(invalid(format!(
            "holds {n} conversations; at most {MAX_CONVERSATIONS} per import (split the file)"
        )));
    }
    Ok(())
}

/// Gives a draft IDs: a message whose parent is not in the file becomes a root, a missing time
/// follows the one before it, and children are never older than their parents. `None` for a
/// conversation without messages.
fn build(
    draft: Draft,
    user: UserId,
    now: DateTime<Utc>,
) -> ServiceResult<Option<(Conversation, Vec<Message>)>> {
    if draft.messages.is_empty() {
        return Ok(None);
    }
    if draft.messages.len() > MAX_MESSAGES {
        return Err(invalid(format!(
            "holds {} messages; at most {MAX_MESSAGES}",
            draft.messages.len()
        )));
    }
    let settings = JsonText::from_value(&Value::Object(draft.settings));
    if settings.as_str().len() > SETTINGS_MAX_BYTES {
        return Err(invalid(format!(
            "its settings exceed {} KiB",
            SETTINGS_MAX_BYTES / 1024
        )));
    }
    let id = ConversationId::new();
    let mut ids: HashMap<&str, MessageId> = HashMap::with_capacity(draft.messages.len());
    for m in &draft.messages {
        ids.entry(m.key.as_str()).or_default();
    }
    let start = draft
        .created_at
        .or_else(|| draft.messages.iter().find_map(|m| m.created_at))
        .unwrap_or(now);
    let mut last = start;
    let mut messages = Vec::with_capacity(draft.messages.len());
    let mut seen = std::collections::HashSet::new();
    for (n, m) in draft.messages.iter().enumerate() {
        if !seen.insert(m.key.as_str()) {
            return Err(invalid(format!(
                "message {} repeats the ID `{}`",
                n + 1,
                m.key
            )));
        }
        if m.text.chars().count() > TEXT_MAX {
            return Err(invalid(format!(
                "message {} is longer than {TEXT_MAX} characters",
                n + 1
            )));
        }
        let created_at = m.created_at.unwrap_or(last + Duration::milliseconds(1));
        last = created_at;
        messages.push(Message {
            id: ids[m.key.as_str()],
            conversation_id: id,
            user_id: user,
            parent_id: m.parent.as_deref().and_then(|p| ids.get(p).copied()),
            sender: m.sender.clone(),
            text: m.text.clone(),
            content: m.content.as_ref().map(JsonText::from_value),
            is_created_by_user: m.by_user,
            error: m.error,
            unfinished: false,
            model: m.model.clone().or_else(|| draft.model.clone()),
            endpoint: m.endpoint.clone().or_else(|| draft.endpoint.clone()),
            token_count: None,
            feedback: None,
            files: None,
            created_at,
            updated_at: created_at,
        });
    }
    let messages = crate::fork::clone_messages(&messages, id, user);
    let updated_at = messages.iter().map(|m| m.created_at).max().unwrap_or(start);
    let title = draft
        .title
        .map(|t| t.trim().chars().take(TITLE_MAX).collect::<String>())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| UNTITLED.to_owned());
    let conversation = Conversation {
        id,
        user_id: user,
        title,
        endpoint: draft.endpoint.or_else(|| Some("openAI".to_owned())),
        endpoint_type: None,
        model: draft.model,
        is_archived: false,
        settings,
        folder_id: None,
        tags: Vec::new(),
        created_at: start.min(updated_at),
        updated_at,
        expired_at: None,
    };
    Ok(Some((conversation, messages)))
}

fn seconds(t: Option<f64>) -> Option<DateTime<Utc>> {
    let t = t.filter(|t| t.is_finite())?;
    // Milliseconds fit an i64 for any date a chat can have; out of range reads as absent.
    #[allow(clippy::cast_possible_truncation)]
    DateTime::from_timestamp_millis((t * 1000.0).round() as i64)
}

fn iso(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

// --- LibreChat -------------------------------------------------------------------------------

/// The top level of an object export: LibreChat's or chatbot-ui's fields.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectExport {
    #[serde(default)]
    version: Option<Value>,
    #[serde(default)]
    history: Option<Vec<UiConversation>>,
    #[serde(default)]
    conversation_id: Option<Value>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    options: Option<Map<String, Value>>,
    #[serde(default)]
    messages: Option<Vec<LcMessage>>,
    #[serde(default)]
    messages_tree: Option<Vec<LcMessage>>,
}

/// A LibreChat `TMessage`, flat or with `children`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LcMessage {
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    parent_message_id: Option<String>,
    #[serde(default)]
    sender: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    is_created_by_user: Option<bool>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    error: Option<bool>,
    #[serde(default)]
    children: Vec<LcMessage>,
}

/// Conversation fields LibreChat keeps in `options` that are not settings.
const NOT_SETTINGS: &[&str] = &[
    "_id",
    "__v",
    "user",
    "conversationId",
    "title",
    "endpoint",
    "endpointType",
    "model",
    "messages",
    "isArchived",
    "tags",
    "createdAt",
    "updatedAt",
    "expiredAt",
    "files",
];

fn librechat_draft(
    title: Option<String>,
    endpoint: Option<String>,
    options: Option<Map<String, Value>>,
    messages: Vec<LcMessage>,
) -> Draft {
    let mut options = options.unwrap_or_default();
    let model = options
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let endpoint = endpoint.or_else(|| {
        options
            .get("endpoint")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    options.retain(|k, v| !NOT_SETTINGS.contains(&k.as_str()) && !v.is_null());
    let mut draft = Draft {
        title,
        endpoint,
        model,
        settings: options,
        ..Draft::default()
    };
    let mut counter = 0usize;
    flatten(messages, None, &mut draft.messages, &mut counter);
    draft.created_at = draft.messages.iter().find_map(|m| m.created_at);
    draft
}

/// Flattens a tree (or a flat list: no `children`); in a tree the nesting is the parent link.
fn flatten(
    messages: Vec<LcMessage>,
    parent: Option<&str>,
    out: &mut Vec<DraftMessage>,
    counter: &mut usize,
) {
    for m in messages {
        *counter += 1;
        let key = m
            .message_id
            .clone()
            .unwrap_or_else(|| format!("#{counter}"));
        let by_user = m.is_created_by_user.unwrap_or(false);
        let parent_key = match parent {
            Some(p) => Some(p.to_owned()),
            None => m
                .parent_message_id
                .filter(|p| p != NO_PARENT && !p.is_empty()),
        };
        let content = m
            .content
            .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()));
        let text = m.text.unwrap_or_default();
        if text.is_empty() && content.is_none() {
            // Nothing to show (LibreChat skips these too); its children hang off its parent.
            flatten(m.children, parent_key.as_deref(), out, counter);
            continue;
        }
        out.push(DraftMessage {
            key: key.clone(),
            parent: parent_key,
            sender: m
                .sender
                .unwrap_or_else(|| if by_user { "User" } else { "Assistant" }.to_owned()),
            text,
            content,
            by_user,
            model: m.model,
            endpoint: m.endpoint,
            created_at: iso(m.created_at.as_deref()),
            error: m.error.unwrap_or(false),
        });
        flatten(m.children, Some(&key), out, counter);
    }
}

// --- ChatGPT ---------------------------------------------------------------------------------

#[derive(Deserialize)]
struct GptConversation {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    mapping: HashMap<String, GptNode>,
}

#[derive(Deserialize)]
struct GptNode {
    #[serde(default)]
    message: Option<GptMessage>,
    #[serde(default)]
    parent: Option<String>,
}

#[derive(Deserialize)]
struct GptMessage {
    author: GptAuthor,
    #[serde(default)]
    create_time: Option<f64>,
    content: GptContent,
    #[serde(default)]
    metadata: GptMetadata,
}

#[derive(Deserialize)]
struct GptAuthor {
    role: String,
}

#[derive(Deserialize)]
struct GptContent {
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    parts: Vec<Value>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Default, Deserialize)]
struct GptMetadata {
    #[serde(default)]
    model_slug: Option<String>,
    #[serde(default)]
    is_visually_hidden_from_conversation: Option<bool>,
}

impl GptContent {
    /// The text a reader saw; `None` for what ChatGPT does not show as a message (reasoning
    /// summaries, tool plumbing).
    fn text(&self) -> Option<String> {
        let strings = || {
            self.parts
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    // Images and other attachments: a marker where they were.
                    _ => "[attachment]".to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let text = match self.content_type.as_str() {
            "text" | "multimodal_text" => strings(),
            "code" => format!(
                "```{}\n{}\n```",
                self.language
                    .as_deref()
                    .filter(|l| *l != "unknown")
                    .unwrap_or(""),
                self.text.as_deref().unwrap_or("")
            ),
            _ => return None,
        };
        Some(text).filter(|t| !t.trim().is_empty())
    }
}

/// `gpt-4o` → `GPT-4o`, as LibreChat names ChatGPT's answers.
fn gpt_sender(model: Option<&str>) -> String {
    match model {
        Some(m) if m.to_ascii_lowercase().starts_with("gpt-") => format!("GPT-{}", &m[4..]),
        Some(m) if !m.is_empty() => m.to_owned(),
        _ => "ChatGPT".to_owned(),
    }
}

impl GptNode {
    /// Whether ChatGPT shows it as a message: a user's or assistant's, not hidden, with text.
    fn shown(&self) -> bool {
        self.message.as_ref().is_some_and(|m| {
            matches!(m.author.role.as_str(), "user" | "assistant")
                && m.metadata.is_visually_hidden_from_conversation != Some(true)
                && m.content.text().is_some()
        })
    }
}

/// The nearest shown node from `at` upwards: a hidden one (system prompt, tool call, empty)
/// passes its children up. A cycle (never in a real export) ends at no parent.
fn visible_parent<'a>(
    mapping: &'a HashMap<String, GptNode>,
    mut at: Option<&'a String>,
) -> Option<String> {
    let mut hops = 0;
    while let Some(id) = at {
        let node = mapping.get(id)?;
        if node.shown() {
            return Some(id.clone());
        }
        hops += 1;
        if hops > mapping.len() {
            return None;
        }
        at = node.parent.as_ref();
    }
    None
}

impl GptConversation {
    fn draft(self) -> Draft {
        let GptConversation {
            title,
            create_time,
            mapping,
        } = self;
        let mut messages: Vec<DraftMessage> = mapping
            .iter()
            .filter(|(_, n)| n.shown())
            .filter_map(|(key, n)| {
                let m = n.message.as_ref()?;
                let by_user = m.author.role == "user";
                let model = m.metadata.model_slug.clone();
                Some(DraftMessage {
                    key: key.clone(),
                    parent: visible_parent(&mapping, n.parent.as_ref()),
                    sender: if by_user {
                        "User".to_owned()
                    } else {
                        gpt_sender(model.as_deref())
                    },
                    text: m.content.text().unwrap_or_default(),
                    content: None,
                    by_user,
                    model: if by_user { None } else { model },
                    endpoint: Some("openAI".to_owned()),
                    created_at: seconds(m.create_time),
                    error: false,
                })
            })
            .collect();
        // The mapping is an object (no order): time order, then IDs, for a stable result.
        messages.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.key.cmp(&b.key)));
        let model = messages.iter().rev().find_map(|m| m.model.clone());
        Draft {
            title,
            endpoint: Some("openAI".to_owned()),
            model,
            created_at: seconds(create_time),
            messages,
            ..Draft::default()
        }
    }
}

// --- chatbot-ui ------------------------------------------------------------------------------

#[derive(Deserialize)]
struct UiConversation {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    messages: Vec<UiMessage>,
    #[serde(default)]
    model: Option<UiModel>,
}

#[derive(Deserialize)]
struct UiMessage {
    role: String,
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct UiModel {
    #[serde(default)]
    id: Option<String>,
}

impl UiConversation {
    /// chatbot-ui keeps no tree and no times: one chain, in order.
    fn draft(self) -> Draft {
        let model = self.model.and_then(|m| m.id);
        let mut messages: Vec<DraftMessage> = Vec::new();
        for (i, m) in self.messages.into_iter().enumerate() {
            let by_user = match m.role.as_str() {
                "user" => true,
                "assistant" => false,
                _ => continue,
            };
            if m.content.trim().is_empty() {
                continue;
            }
            let parent = messages.last().map(|p| p.key.clone());
            messages.push(DraftMessage {
                key: format!("#{i}"),
                parent,
                sender: if by_user {
                    "User".to_owned()
                } else {
                    gpt_sender(model.as_deref())
                },
                text: m.content,
                by_user,
                model: (!by_user).then(|| model.clone()).flatten(),
                endpoint: Some("openAI".to_owned()),
                ..DraftMessage::default()
            });
        }
        Draft {
            title: self.name,
            endpoint: Some("openAI".to_owned()),
            model,
            messages,
            ..Draft::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHATGPT: &[u8] = include_bytes!("../tests/fixtures/import/chatgpt.json");
    const LIBRECHAT: &[u8] = include_bytes!("../tests/fixtures/import/librechat-tree.json");
    const CHATBOT_UI: &[u8] = include_bytes!("../tests/fixtures/import/chatbot-ui.json");

    fn built(file: &[u8]) -> (&'static str, Vec<(Conversation, Vec<Message>)>) {
        let (format, drafts) = parse(file).unwrap_or_else(|e| panic!("{e:?}"));
        let user = UserId::new();
        let now = DateTime::from_timestamp_millis(1_764_000_000_000).unwrap_or_default();
        let out = drafts
            .into_iter()
            .filter_map(|d| build(d, user, now).unwrap_or_else(|e| panic!("{e:?}")))
            .collect();
        (format, out)
    }

    /// `(text, index of the parent in the list)`, in stored (time) order.
    fn shape(messages: &[Message]) -> Vec<(String, Option<usize>)> {
        messages
            .iter()
            .map(|m| {
                let parent = m.parent_id.map(|p| {
                    messages
                        .iter()
                        .position(|x| x.id == p)
                        .unwrap_or(usize::MAX)
                });
                let text = match &m.content {
                    Some(c) => c.to_value()[0]["text"].as_str().unwrap_or("").to_owned(),
                    None => m.text.clone(),
                };
                (text, parent)
            })
            .collect()
    }

    #[test]
    fn chatgpt_keeps_the_tree_without_system_and_tool_nodes() {
        let (format, convos) = built(CHATGPT);
        assert_eq!(format, "chatgpt");
        assert_eq!(convos.len(), 1, "the empty conversation is left out");
        let (c, messages) = &convos[0];
        assert_eq!(c.title, "Quokka facts");
        assert_eq!(c.endpoint.as_deref(), Some("openAI"));
        assert_eq!(c.model.as_deref(), Some("gpt-4o-mini"));
        assert_eq!(c.created_at.timestamp_millis(), 1_717_000_000_123);
        assert_eq!(c.updated_at.timestamp_millis(), 1_717_000_005_000);
        assert_eq!(
            shape(messages),
            [
                ("Where do quokkas live?".to_owned(), None),
                ("On Rottnest Island.".to_owned(), Some(0)),
                ("Mostly on Rottnest Island, near Perth.".to_owned(), Some(0)),
                // The tool node between them is skipped: the answer is the parent.
                ("[attachment]\nAnd what do they eat?".to_owned(), Some(2)),
                ("```python\nprint('leaves')\n```".to_owned(), Some(3)),
            ]
        );
        assert_eq!(messages[1].sender, "GPT-4o");
        assert_eq!(messages[1].model.as_deref(), Some("gpt-4o"));
        assert_eq!(messages[0].sender, "User");
        assert!(messages[0].is_created_by_user && !messages[1].is_created_by_user);
        assert!(messages.iter().all(|m| m.conversation_id == c.id));
    }

    #[test]
    fn librechat_trees_keep_branches_settings_and_times() {
        let (format, convos) = built(LIBRECHAT);
        assert_eq!(format, "librechat");
        let (c, messages) = &convos[0];
        assert_eq!(c.title, "Tree talk");
        assert_eq!(c.endpoint.as_deref(), Some("anthropic"));
        assert_eq!(c.model.as_deref(), Some("claude-3-5-sonnet-latest"));
        let settings = c.settings.to_value();
        assert_eq!(settings["temperature"], 0.3);
        assert_eq!(settings["promptPrefix"], "be brief");
        for gone in ["_id", "conversationId", "title", "createdAt", "resendFiles"] {
            assert!(settings.get(gone).is_none(), "{gone} in {settings}");
        }
        assert_eq!(
            shape(messages),
            [
                ("Hi there".to_owned(), None),
                ("Hello! How can I help?".to_owned(), Some(0)),
                ("Hi! (regenerated)".to_owned(), Some(0)),
                ("Tell me about trees".to_owned(), Some(2)),
            ]
        );
        assert_eq!(
            messages[0].created_at.to_rfc3339(),
            "2025-01-02T03:04:05+00:00"
        );
        assert_eq!(messages[1].sender, "Claude");
        assert_eq!(
            messages[2].model.as_deref(),
            Some("claude-3-5-sonnet-latest")
        );
    }

    #[test]
    fn a_flat_librechat_export_links_by_parent_ids() {
        let file = serde_json::json!({
            "conversationId": "x",
            "title": "Flat",
            "recursive": false,
            "messages": [
                { "messageId": "b", "parentMessageId": "a", "text": "answer", "isCreatedByUser": false },
                { "messageId": "a", "parentMessageId": "00000000-0000-0000-0000-000000000000", "text": "question", "isCreatedByUser": true, "createdAt": "2025-01-01T00:00:00Z" },
                { "messageId": "c", "parentMessageId": "missing", "text": "orphan", "isCreatedByUser": true }
            ]
        })
        .to_string();
        let (_, convos) = built(file.as_bytes());
        let (c, messages) = &convos[0];
        assert_eq!(c.endpoint.as_deref(), Some("openAI"));
        let by_text = |t: &str| {
            messages
                .iter()
                .find(|m| m.text == t)
                .unwrap_or_else(|| panic!("{t}"))
        };
        assert_eq!(by_text("answer").parent_id, Some(by_text("question").id));
        assert_eq!(
            by_text("orphan").parent_id,
            None,
            "an unknown parent makes a root"
        );
        assert!(by_text("answer").created_at > by_text("question").created_at);
    }

    #[test]
    fn chatbot_ui_history_becomes_chains() {
        let (format, convos) = built(CHATBOT_UI);
        assert_eq!(format, "chatbot-ui");
        let (c, messages) = &convos[0];
        assert_eq!(c.title, "Arithmetic");
        assert_eq!(c.model.as_deref(), Some("gpt-3.5-turbo"));
        assert_eq!(
            shape(messages),
            [
                ("What is 2 + 2?".to_owned(), None),
                ("4.".to_owned(), Some(0)),
                ("And times 3?".to_owned(), Some(1)),
                ("12.".to_owned(), Some(2)),
            ]
        );
        assert_eq!(messages[1].sender, "GPT-3.5-turbo");
    }

    /// A LibreChat tree nests one level per message; a long chat is far deeper than a JSON
    /// reader's default limit of 128.
    fn chain(messages: usize) -> String {
        let mut file =
            String::from(r#"{"conversationId": "x", "recursive": true, "messagesTree": ["#);
        for i in 0..messages {
            file.push_str(&format!(
                r#"{{"messageId": "m{i}", "text": "turn {i}", "isCreatedByUser": {}, "children": ["#,
                i % 2 == 0
            ));
        }
        file.push_str(&"]}".repeat(messages));
        file.push_str("]}");
        file
    }

    #[tokio::test]
    async fn a_deep_tree_is_read_and_a_deeper_one_refused_before_reading() {
        let (format, drafts) = parse_deep(chain(MAX_MESSAGES).into_bytes())
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(format, "librechat");
        let messages = &drafts[0].messages;
        assert_eq!(messages.len(), MAX_MESSAGES);
        assert_eq!(messages[7].parent.as_deref(), Some("m6"));
        assert_eq!(
            messages[MAX_MESSAGES - 1].text,
            format!("turn {}", MAX_MESSAGES - 1)
        );
        let built = build(
            drafts.into_iter().next().unwrap_or_default(),
            UserId::new(),
            Utc::now(),
        );
        assert!(matches!(built, Ok(Some((_, ref m))) if m.len() == MAX_MESSAGES));

        match parse_deep(chain(MAX_MESSAGES + 100).into_bytes()).await {
            Err(ServiceError::Invalid(f)) => assert!(f[0].message.contains("nests deeper than")),
            other => panic!("{:?}", other.map(|(f, _)| f)),
        }
        // Brackets inside strings do not count.
        assert_eq!(nesting_depth(br#"{"a": "[[[[{{{\"]]]", "b": [1]}"#), 2);
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        let message = |file: &str| match parse(file.as_bytes()) {
            Err(ServiceError::Invalid(f)) => f[0].message.clone(),
            other => panic!("{:?}", other.map(|(f, d)| (f, d.len()))),
        };
        assert!(message("").contains("must start with"));
        assert!(message("hello").contains("must start with"));
        assert!(message("{\"a\": 1}").contains("is not an export of"));
        assert!(message("[{\"mapping\": 3}]").contains("is not a JSON export we can read"));
        assert!(message("{\"conversationId\": \"x\"}").contains("needs `messages`"));
        let dupes = serde_json::json!({
            "conversationId": "x",
            "messages": [
                { "messageId": "a", "text": "one" },
                { "messageId": "a", "text": "two" }
            ]
        })
        .to_string();
        let (_, drafts) = parse(dupes.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        let err = drafts
            .into_iter()
            .map(|d| build(d, UserId::new(), Utc::now()))
            .find_map(Result::err);
        assert!(
            matches!(&err, Some(ServiceError::Invalid(f)) if f[0].message.contains("repeats the ID `a`")),
            "{err:?}"
        );
    }
}
