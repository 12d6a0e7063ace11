//! Conversions between ferrochat's conversations and messages and LibreChat's `TConversation`
//! and `TMessage` (§5.1, §6.1, §11.2, §11.3).

use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, ConversationId, JsonText, Message, MessageId, UserId};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::types::iso;

/// LibreChat's parent of a root message.
pub const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";

/// `TConversation`: the stored settings (model parameters and other optional fields) are
/// spread at the top level, as LibreChat stores them; the identity fields always win.
pub fn conversation(c: &Conversation) -> Value {
    let mut out = match c.settings.to_value() {
        Value::Object(map) => map,
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
        "expiredAt": c.expired_at.map(iso),
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
    conversation_id: ConversationId,
    user: UserId,
    title: &'a str,
    endpoint: Option<&'a str>,
    endpoint_type: Option<&'a str>,
    model: Option<&'a str>,
    is_archived: bool,
    created_at: Iso,
    updated_at: Iso,
}

impl<'a> From<&'a Conversation> for ListItem<'a> {
    fn from(c: &'a Conversation) -> Self {
        ListItem {
            conversation_id: c.id,
            user: c.user_id,
            title: &c.title,
            endpoint: c.endpoint.as_deref(),
            endpoint_type: c.endpoint_type.as_deref(),
            model: c.model.as_deref(),
            is_archived: c.is_archived,
            created_at: Iso(c.created_at),
            updated_at: Iso(c.updated_at),
        }
    }
}

/// A timestamp that serializes like [`iso`] straight into the output, without a `String` of
/// its own (list rows are the hot path; IDs serialize without one already).
pub struct Iso(pub DateTime<Utc>);

impl serde::Serialize for Iso {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Written by hand into a stack buffer: chrono's `format` interprets its pattern on
        // every call, which was a sixth of a list request's time.
        use chrono::{Datelike, Timelike};
        let t = self.0;
        let year = t.year();
        if !(0..=9999).contains(&year) {
            return s.serialize_str(&iso(t));
        }
        let mut buf = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: u32| {
            for i in (at..at + width).rev() {
                if let Some(b) = buf.get_mut(i) {
                    *b = b'0' + (value % 10) as u8;
                }
                value /= 10;
            }
        };
        put(0, 4, year.unsigned_abs());
        put(5, 2, t.month());
        put(8, 2, t.day());
        put(11, 2, t.hour());
        put(14, 2, t.minute());
        put(17, 2, t.second());
        put(20, 3, t.timestamp_subsec_millis().min(999));
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

/// `TMessage` for the message-list route, serialized straight from the stored message (a
/// 2,000-message tree is one response, so no intermediate JSON tree is built).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut<'a> {
    message_id: MessageId,
    conversation_id: ConversationId,
    parent_message_id: String,
    sender: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a RawValue>,
    is_created_by_user: bool,
    error: bool,
    unfinished: bool,
    model: Option<&'a str>,
    endpoint: Option<&'a str>,
    token_count: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<&'a RawValue>,
    created_at: Iso,
    updated_at: Iso,
}

impl<'a> From<&'a Message> for MessageOut<'a> {
    fn from(m: &'a Message) -> Self {
        MessageOut {
            message_id: m.id,
            conversation_id: m.conversation_id,
            parent_message_id: m
                .parent_id
                .map_or_else(|| NO_PARENT.to_owned(), |p| p.to_string()),
            sender: &m.sender,
            text: &m.text,
            content: m.content.as_ref().map(JsonText::as_raw),
            is_created_by_user: m.is_created_by_user,
            error: m.error,
            unfinished: m.unfinished,
            model: m.model.as_deref(),
            endpoint: m.endpoint.as_deref(),
            token_count: m.token_count,
            feedback: m.feedback.as_ref().map(JsonText::as_raw),
            files: m.files.as_ref().map(JsonText::as_raw),
            created_at: Iso(m.created_at),
            updated_at: Iso(m.updated_at),
        }
    }
}

/// A search hit: `TMessage` with its conversation's `title`, and the conversation's `model`
/// in place of the message's (LibreChat's search results carry both so).
#[derive(serde::Serialize)]
pub struct SearchHitOut<'a> {
    #[serde(flatten)]
    message: MessageOut<'a>,
    title: &'a str,
}

impl<'a> From<&'a ferrochat_services::search::MessageHit> for SearchHitOut<'a> {
    fn from(hit: &'a ferrochat_services::search::MessageHit) -> Self {
        let mut message = MessageOut::from(&hit.message);
        if let Some(model) = hit.conversation_model.as_deref() {
            message.model = Some(model);
        }
        SearchHitOut {
            message,
            title: &hit.conversation_title,
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
    if let Value::Object(map) = &mut out {
        if let Some(content) = &m.content {
            map.insert("content".into(), content.to_value());
        }
        if let Some(files) = &m.files {
            map.insert("files".into(), files.to_value());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_serializes_like_the_iso_helper() {
        for ms in [
            0,
            7,
            1_764_000_000_007,
            951_782_400_999,
            253_402_300_799_999,
        ] {
            let t = DateTime::from_timestamp_millis(ms).unwrap_or_default();
            let json = serde_json::to_string(&Iso(t)).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", iso(t)), "{ms}");
        }
    }
}
