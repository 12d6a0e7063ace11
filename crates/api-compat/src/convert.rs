//! Conversions between ferrochat's conversations and messages and LibreChat's `TConversation`
//! and `TMessage` (§5.1, §6.1, §11.2, §11.3).

use ferrochat_core::{Conversation, Message};
use serde_json::{Map, Value, json};

use crate::types::iso;

/// LibreChat's parent of a root message.
pub const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";

/// `TConversation`: the stored settings (model parameters and other optional fields) are
/// spread at the top level, as LibreChat stores them; the identity fields always win.
pub fn conversation(c: &Conversation) -> Value {
    let mut out = match &c.settings {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let fixed = json!({
        "conversationId": c.id.to_string(),
        "user": c.user_id.to_string(),
        "title": c.title,
        "endpoint": c.endpoint,
        "endpointType": c.endpoint_type,
        "model": c.model,
        "isArchived": c.is_archived,
        "tags": c.tags,
        "createdAt": iso(c.created_at),
        "updatedAt": iso(c.updated_at),
    });
    if let Value::Object(fixed) = fixed {
        out.extend(fixed);
    }
    Value::Object(out)
}

/// An item of the conversation list: the fields Node sends there (§5.2), serialized directly
/// without building a JSON tree, since lists are the hot path.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListItem<'a> {
    conversation_id: String,
    user: String,
    title: &'a str,
    endpoint: Option<&'a str>,
    endpoint_type: Option<&'a str>,
    model: Option<&'a str>,
    is_archived: bool,
    created_at: String,
    updated_at: String,
}

impl<'a> From<&'a Conversation> for ListItem<'a> {
    fn from(c: &'a Conversation) -> Self {
        ListItem {
            conversation_id: c.id.to_string(),
            user: c.user_id.to_string(),
            title: &c.title,
            endpoint: c.endpoint.as_deref(),
            endpoint_type: c.endpoint_type.as_deref(),
            model: c.model.as_deref(),
            is_archived: c.is_archived,
            created_at: iso(c.created_at),
            updated_at: iso(c.updated_at),
        }
    }
}

/// `TMessage` for the message-list route, serialized straight from the stored message (a
/// 2,000-message tree is one response, so no intermediate JSON tree is built).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut<'a> {
    message_id: String,
    conversation_id: String,
    parent_message_id: String,
    sender: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a Value>,
    is_created_by_user: bool,
    error: bool,
    unfinished: bool,
    model: Option<&'a str>,
    endpoint: Option<&'a str>,
    token_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback: Option<&'a Value>,
    created_at: String,
    updated_at: String,
}

impl<'a> From<&'a Message> for MessageOut<'a> {
    fn from(m: &'a Message) -> Self {
        MessageOut {
            message_id: m.id.to_string(),
            conversation_id: m.conversation_id.to_string(),
            parent_message_id: m
                .parent_id
                .map_or_else(|| NO_PARENT.to_owned(), |p| p.to_string()),
            sender: &m.sender,
            text: &m.text,
            content: m.content.as_ref(),
            is_created_by_user: m.is_created_by_user,
            error: m.error,
            unfinished: m.unfinished,
            model: m.model.as_deref(),
            endpoint: m.endpoint.as_deref(),
            token_count: m.token_count,
            feedback: m.feedback.as_ref(),
            created_at: iso(m.created_at),
            updated_at: iso(m.updated_at),
        }
    }
}

/// `TMessage`, without the owner (LibreChat strips `user`).
pub fn message(m: &Message) -> Value {
    let mut out = json!({
        "messageId": m.id.to_string(),
        "conversationId": m.conversation_id.to_string(),
        "parentMessageId": m.parent_id.map_or_else(|| NO_PARENT.to_owned(), |p| p.to_string()),
        "sender": m.sender,
        "text": m.text,
        "isCreatedByUser": m.is_created_by_user,
        "error": m.error,
        "unfinished": m.unfinished,
        "model": m.model,
        "endpoint": m.endpoint,
        "tokenCount": m.token_count,
        "createdAt": iso(m.created_at),
        "updatedAt": iso(m.updated_at),
    });
    if let (Some(content), Value::Object(map)) = (&m.content, &mut out) {
        map.insert("content".into(), content.clone());
    }
    out
}
