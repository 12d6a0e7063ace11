//! The Anthropic Messages API, streamed: named events `message_start`, `content_block_start`,
//! `content_block_delta` (`text_delta`, `thinking_delta`), `content_block_stop`,
//! `message_delta` (stop reason, output tokens), `message_stop`, plus `ping` and `error`.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::sse::Frame;
use crate::stream::{FrameParser, count, json, send, sse_stream};
use crate::{
    ChatProvider, ChatRequest, ChatStream, ProviderError, Role, StreamItem, Upstream, Usage,
};

/// `anthropic-version` header value (the only stable one).
const VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the API; LibreChat's default for Claude.
const DEFAULT_MAX_TOKENS: u32 = 8192;

pub(crate) struct Anthropic {
    upstream: Upstream,
    client: crate::HttpClient,
}

impl Anthropic {
    pub(crate) fn new(upstream: Upstream, client: crate::HttpClient) -> Self {
        Self { upstream, client }
    }

    fn request(&self, method: http::Method, path: &str) -> crate::RequestBuilder {
        let req = self
            .client
            .request(method, format!("{}{path}", self.upstream.base_url))
            .header("x-api-key", &self.upstream.api_key)
            .header("anthropic-version", VERSION);
        crate::with_headers(&self.upstream, req)
    }

    pub(crate) fn body(&self, request: &ChatRequest) -> Value {
        let mut messages: Vec<Value> = Vec::with_capacity(request.turns.len());
        for turn in &request.turns {
            let role = match turn.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            // The API wants strictly alternating roles, starting with the user: merge runs.
            if let Some(last) = messages.last_mut()
                && last["role"] == role
            {
                match (last["content"].as_str(), turn.images.is_empty()) {
                    (Some(text), true) => {
                        last["content"] = format!("{text}\n\n{}", turn.text).into();
                    }
                    _ => {
                        let mut merged = blocks_of(&last["content"]);
                        merged.extend(blocks(turn));
                        last["content"] = merged.into();
                    }
                }
                continue;
            }
            if messages.is_empty() && turn.role == Role::Assistant {
                messages.push(json!({"role": "user", "content": "(continued)"}));
            }
            if turn.images.is_empty() {
                messages.push(json!({"role": role, "content": turn.text}));
            } else {
                messages.push(json!({"role": role, "content": blocks(turn)}));
            }
        }
        let p = &request.params;
        let mut body = Map::new();
        body.insert("model".into(), request.model.clone().into());
        body.insert("messages".into(), messages.into());
        body.insert("stream".into(), true.into());
        let budget = p.thinking_budget.filter(|b| *b >= 1024);
        let max = p
            .max_output_tokens
            .unwrap_or(DEFAULT_MAX_TOKENS)
            .max(budget.map_or(1, |b| b + 1));
        body.insert("max_tokens".into(), max.into());
        if let Some(system) = &request.system {
            body.insert("system".into(), system.clone().into());
        }
        if let Some(b) = budget {
            // Thinking requires the default temperature and no top_k.
            body.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": b}),
            );
        } else {
            if let Some(t) = p.temperature {
                body.insert("temperature".into(), t.into());
            }
            if let Some(k) = p.top_k {
                body.insert("top_k".into(), k.into());
            }
        }
        if let Some(t) = p.top_p {
            body.insert("top_p".into(), t.into());
        }
        if !p.stop.is_empty() {
            body.insert("stop_sequences".into(), p.stop.clone().into());
        }
        crate::adjust_body(&self.upstream, &mut body);
        Value::Object(body)
    }
}

#[async_trait]
impl ChatProvider for Anthropic {
    async fn stream(&self, request: &ChatRequest) -> Result<ChatStream, ProviderError> {
        let req = self
            .request(http::Method::POST, "/v1/messages")
            .header("accept", "text/event-stream")
            .json(&self.body(request));
        let response = send(req).await?;
        Ok(sse_stream(response, Events::default()))
    }

    async fn models(&self) -> Result<Vec<String>, ProviderError> {
        let response = send(self.request(http::Method::GET, "/v1/models?limit=1000")).await?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| ProviderError::Malformed(e.to_string()))?;
        Ok(body
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| ProviderError::Malformed("no `data` list in the model list".into()))?
            .iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }
}

#[derive(Default)]
struct Events {
    usage: Usage,
}

/// Anthropic's stop reasons in OpenAI's words (what LibreChat stores as `finish_reason`).
fn finish_reason(reason: &str) -> &str {
    match reason {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        other => other,
    }
}

impl FrameParser for Events {
    fn frame(&mut self, frame: Frame, out: &mut Vec<StreamItem>) -> Result<bool, ProviderError> {
        if !frame.has_data {
            return Ok(false);
        }
        let data = json(&frame)?;
        let kind = if frame.event.is_empty() {
            data.get("type").and_then(Value::as_str).unwrap_or("")
        } else {
            frame.event.as_str()
        };
        match kind {
            "message_start" => {
                if let Some(u) = data.pointer("/message/usage") {
                    self.usage.prompt_tokens = count(u, "input_tokens").unwrap_or(0)
                        + count(u, "cache_read_input_tokens").unwrap_or(0)
                        + count(u, "cache_creation_input_tokens").unwrap_or(0);
                    self.usage.completion_tokens = count(u, "output_tokens").unwrap_or(0);
                }
            }
            "content_block_start" => {
                // A block may start with text already in it.
                let block = data.get("content_block");
                if let Some(t) = block.and_then(|b| b.get("text")).and_then(Value::as_str)
                    && !t.is_empty()
                {
                    out.push(StreamItem::Text(t.to_owned()));
                }
            }
            "content_block_delta" => {
                let delta = data.get("delta").unwrap_or(&Value::Null);
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        if let Some(t) = delta.get("text").and_then(Value::as_str) {
                            out.push(StreamItem::Text(t.to_owned()));
                        }
                    }
                    Some("thinking_delta") => {
                        if let Some(t) = delta.get("thinking").and_then(Value::as_str) {
                            out.push(StreamItem::Reasoning(t.to_owned()));
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(n) = data.get("usage").and_then(|u| count(u, "output_tokens")) {
                    self.usage.completion_tokens = n;
                }
                if let Some(r) = data.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    out.push(StreamItem::Finish(finish_reason(r).to_owned()));
                }
            }
            "message_stop" => {
                out.push(StreamItem::Usage(self.usage));
                return Ok(true);
            }
            "error" => {
                let (hint, message, _) = crate::stream::error_details(&data.to_string());
                let message = message.unwrap_or_else(|| "error event".into());
                let status = if hint.contains("overloaded") {
                    529
                } else {
                    500
                };
                return Err(
                    match ProviderError::from_status(status, &hint, message.clone(), None) {
                        ProviderError::Upstream { .. } => {
                            ProviderError::Upstream { status: 0, message }
                        }
                        other => other,
                    },
                );
            }
            // ping, content_block_stop, and event types added later.
            _ => {}
        }
        Ok(false)
    }
}

/// A turn as content blocks: its images first (as Anthropic advises), then its text.
fn blocks(turn: &crate::Turn) -> Vec<Value> {
    let mut out: Vec<Value> = turn
        .images
        .iter()
        .map(|i| {
            json!({"type": "image", "source": {
                "type": "base64", "media_type": i.media_type, "data": i.data
            }})
        })
        .collect();
    out.push(json!({"type": "text", "text": turn.text}));
    out
}

/// A message's content as blocks, whether it was a string or already blocks.
fn blocks_of(content: &Value) -> Vec<Value> {
    match content {
        Value::Array(items) => items.clone(),
        Value::String(text) => vec![json!({"type": "text", "text": text})],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Params, Turn};

    #[test]
    fn documented_stream_with_thinking() {
        let frames = [
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            ("ping", r#"{"type": "ping"}"#),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ];
        let mut p = Events::default();
        let mut out = Vec::new();
        let mut done = false;
        for (event, data) in frames {
            done = p
                .frame(
                    Frame {
                        event: event.into(),
                        data: data.into(),
                        has_data: true,
                    },
                    &mut out,
                )
                .unwrap();
        }
        assert!(done);
        assert_eq!(
            out,
            vec![
                StreamItem::Reasoning("Let me".into()),
                StreamItem::Text("Hello".into()),
                StreamItem::Finish("stop".into()),
                StreamItem::Usage(Usage {
                    prompt_tokens: 25,
                    completion_tokens: 15
                }),
            ]
        );
    }

    #[test]
    fn overloaded_error_event() {
        let err = Events::default()
            .frame(
                Frame {
                    event: "error".into(),
                    data: r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.into(),
                    has_data: true,
                },
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(
            err,
            ProviderError::Upstream {
                status: 0,
                message: "Overloaded".into()
            }
        );
    }

    #[test]
    fn body_alternates_roles_and_sets_thinking() {
        let p = Anthropic::new(
            Upstream {
                kind: Kind::Anthropic,
                base_url: "http://x".into(),
                api_key: "k".into(),
                headers: vec![],
                add_params: Map::new(),
                drop_params: vec![],
            },
            crate::HttpClient::new(),
        );
        let turn = |role, text: &str| Turn {
            images: Vec::new(),
            role,
            text: text.into(),
        };
        let body = p.body(&ChatRequest {
            model: "claude".into(),
            system: Some("sys".into()),
            turns: vec![
                turn(Role::Assistant, "greeting"),
                turn(Role::User, "a"),
                turn(Role::User, "b"),
            ],
            params: Params {
                temperature: Some(0.3),
                thinking_budget: Some(2000),
                ..Params::default()
            },
        });
        assert_eq!(
            body,
            json!({"model":"claude","stream":true,"max_tokens":8192,"system":"sys",
                "thinking":{"type":"enabled","budget_tokens":2000},
                "messages":[{"role":"user","content":"(continued)"},
                    {"role":"assistant","content":"greeting"},
                    {"role":"user","content":"a\n\nb"}]})
        );
    }
}
