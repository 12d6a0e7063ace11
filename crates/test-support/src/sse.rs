//! A chat client for tests: posts a LibreChat chat payload and reads the event stream the way
//! the client's `sse.js` does (frames at blank lines, `data:` lines joined, a frame without
//! `event:` is a `message`).

use ferrochat_providers::sse::Decoder;
use serde_json::Value;

use crate::TestApp;

/// A chat answer as the client sees it.
#[derive(Debug)]
pub struct ChatReply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` header.
    pub content_type: String,
    /// `(event type, parsed data)` per frame, in order; the body itself for non-200 answers.
    pub events: Vec<(String, Value)>,
}

impl ChatReply {
    /// The data of `message` events only (what the client dispatches).
    pub fn messages(&self) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|(e, _)| e == "message")
            .map(|(_, d)| d)
            .collect()
    }

    /// The `final` event.
    pub fn final_event(&self) -> &Value {
        self.messages()
            .into_iter()
            .find(|m| m.get("final").is_some())
            .unwrap_or_else(|| panic!("no final event in {:#?}", self.events))
    }

    /// The `created` event's message.
    pub fn created(&self) -> &Value {
        &self
            .messages()
            .into_iter()
            .find(|m| m.get("created").is_some())
            .unwrap_or_else(|| panic!("no created event in {:#?}", self.events))["message"]
    }

    /// Concatenated `on_message_delta` text.
    pub fn streamed_text(&self) -> String {
        self.deltas("on_message_delta", "text")
    }

    /// Concatenated `on_reasoning_delta` text.
    pub fn streamed_reasoning(&self) -> String {
        self.deltas("on_reasoning_delta", "think")
    }

    fn deltas(&self, event: &str, key: &str) -> String {
        self.messages()
            .into_iter()
            .filter(|m| m["event"] == event)
            .filter_map(|m| m["data"]["delta"]["content"][0][key].as_str())
            .collect()
    }
}

impl TestApp {
    /// Posts a chat payload to `/api/agents/chat/{endpoint}` and reads the whole stream.
    pub async fn chat(&self, token: &str, endpoint: &str, payload: &Value) -> ChatReply {
        self.sse_post(token, &format!("/api/agents/chat/{endpoint}"), payload)
            .await
    }

    /// Posts JSON to `path` and reads the whole event stream (or the error body).
    pub async fn sse_post(&self, token: &str, path: &str, payload: &Value) -> ChatReply {
        let mut res = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(payload)
            .send()
            .await
            .expect("chat request");
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if status != 200 {
            let body = res.text().await.unwrap_or_default();
            let data = serde_json::from_str(&body).unwrap_or(Value::String(body));
            return ChatReply {
                status,
                content_type,
                events: vec![("error".into(), data)],
            };
        }
        let mut decoder = Decoder::default();
        let mut events = Vec::new();
        while let Some(chunk) = res.chunk().await.expect("chat body") {
            for frame in decoder.push(&chunk).expect("sse") {
                let kind = if frame.event.is_empty() {
                    "message".to_owned()
                } else {
                    frame.event
                };
                let data: Value = serde_json::from_str(&frame.data)
                    .unwrap_or_else(|e| panic!("frame data is not JSON ({e}): {:?}", frame.data));
                events.push((kind, data));
            }
        }
        ChatReply {
            status,
            content_type,
            events,
        }
    }
}
