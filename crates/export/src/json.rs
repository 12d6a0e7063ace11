//! LibreChat's JSON export format (the client's "Export → JSON" with branches), so a
//! file exported here imports into LibreChat, and back into ferrochat.

use ferrochat_core::{Conversation, Message};
use serde_json::{Map, Value, json};

/// LibreChat's parent ID of a root message.
const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";

fn message(m: &Message) -> Value {
    let mut out = json!({
        "messageId": m.id.to_string(),
        "parentMessageId": m.parent_id.map_or_else(|| NO_PARENT.to_owned(), |p| p.to_string()),
        "conversationId": m.conversation_id.to_string(),
        "sender": m.sender,
        "text": m.text,
        "isCreatedByUser": m.is_created_by_user,
        "error": m.error,
        "unfinished": m.unfinished,
        "model": m.model,
        "endpoint": m.endpoint,
        "tokenCount": m.token_count,
        "createdAt": m.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "updatedAt": m.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    if let (Some(content), Value::Object(map)) = (&m.content, &mut out) {
        map.insert("content".into(), content.to_value());
    }
    out
}

/// The whole conversation: its settings as `options` and every message of every branch, flat
/// and parents first, linked by `parentMessageId` (LibreChat's non-recursive form: a tree
/// nests one level per message, which a long chat turns into thousands of levels that JSON
/// readers refuse).
pub fn json(c: &Conversation, messages: &[Message]) -> Vec<u8> {
    let mut options = match c.settings.to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for (key, value) in [
        ("conversationId", json!(c.id.to_string())),
        ("title", json!(c.title)),
        ("endpoint", json!(c.endpoint)),
        ("endpointType", json!(c.endpoint_type)),
        ("model", json!(c.model)),
        ("createdAt", json!(time(c.created_at))),
        ("updatedAt", json!(time(c.updated_at))),
    ] {
        options.insert(key.to_owned(), value);
    }
    let doc = json!({
        "conversationId": c.id.to_string(),
        "endpoint": c.endpoint,
        "title": c.title,
        "exportAt": chrono::Utc::now().format("%H:%M:%S %b %d, %Y").to_string(),
        "branches": true,
        "recursive": false,
        "options": options,
        "messages": messages.iter().map(message).collect::<Vec<_>>(),
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn every_branch_flat_with_librechat_fields() {
        let doc: Value =
            serde_json::from_slice(&json(&conversation(), &tree())).unwrap_or_default();
        assert_eq!(doc["title"], "Quokkas: a *field* guide");
        assert_eq!(doc["recursive"], false);
        assert_eq!(doc["options"]["temperature"], 0.5);
        assert_eq!(doc["options"]["model"], "gpt-4o");
        let messages = doc["messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            messages.len(),
            5,
            "both answers, the regenerated one included"
        );
        assert_eq!(messages[0]["parentMessageId"], NO_PARENT);
        assert_eq!(messages[1]["parentMessageId"], messages[0]["messageId"]);
        assert_eq!(messages[2]["parentMessageId"], messages[0]["messageId"]);
        assert_eq!(
            messages[2]["content"][1]["text"],
            "Mostly on **Rottnest Island**."
        );
        assert_eq!(messages[3]["parentMessageId"], messages[2]["messageId"]);
        assert_eq!(messages[2]["createdAt"], "2025-01-02T03:04:08.000Z");
    }
}
