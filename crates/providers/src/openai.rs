//! OpenAI chat completions, streamed: `data: {chunk}` frames ending with `data: [DONE]`.
//! Azure OpenAI and the OpenAI-compatible servers (Ollama, vLLM, llama.cpp, LM Studio,
//! OpenRouter, DeepSeek, …) speak the same format; their reasoning output arrives as
//! `delta.reasoning_content` (DeepSeek, vLLM) or `delta.reasoning` (OpenRouter, Ollama).

use async_trait::async_trait;
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::sse::Frame;
use crate::stream::{FrameParser, count, malformed, send, sse_stream};
use crate::{
    ChatProvider, ChatRequest, ChatStream, Kind, ProviderError, Role, StreamItem, Upstream, Usage,
};

pub(crate) struct OpenAi {
    upstream: Upstream,
    client: crate::HttpClient,
}

impl OpenAi {
    pub(crate) fn new(upstream: Upstream, client: crate::HttpClient) -> Self {
        Self { upstream, client }
    }

    fn request(&self, method: http::Method, path: &str) -> crate::RequestBuilder {
        let base = &self.upstream.base_url;
        let req = match &self.upstream.kind {
            Kind::Azure {
                deployment,
                api_version,
            } => {
                let url = if path == "/models" {
                    format!("{base}/openai/models?api-version={api_version}")
                } else {
                    format!(
                        "{base}/openai/deployments/{deployment}{path}?api-version={api_version}"
                    )
                };
                self.client
                    .request(method, url)
                    .header("api-key", &self.upstream.api_key)
            }
            _ => {
                let req = self.client.request(method, format!("{base}{path}"));
                if self.upstream.api_key.is_empty() {
                    req
                } else {
                    req.bearer_auth(&self.upstream.api_key)
                }
            }
        };
        crate::with_headers(&self.upstream, req)
    }

    /// The request body for a streamed completion.
    pub(crate) fn body(&self, request: &ChatRequest) -> Value {
        let mut messages = Vec::with_capacity(request.turns.len() + 1);
        if let Some(system) = &request.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        for turn in &request.turns {
            let role = match turn.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            if turn.images.is_empty() {
                messages.push(json!({"role": role, "content": turn.text}));
            } else {
                // Vision input: the text part, then each image as a data URL.
                let mut parts = vec![json!({"type": "text", "text": turn.text})];
                parts.extend(turn.images.iter().map(|i| {
                    json!({"type": "image_url", "image_url": {
                        "url": format!("data:{};base64,{}", i.media_type, i.data)
                    }})
                }));
                messages.push(json!({"role": role, "content": parts}));
            }
        }
        let p = &request.params;
        let mut body = Map::new();
        body.insert("model".into(), request.model.clone().into());
        body.insert("messages".into(), messages.into());
        body.insert("stream".into(), true.into());
        body.insert("stream_options".into(), json!({"include_usage": true}));
        if let Some(t) = p.temperature {
            body.insert("temperature".into(), t.into());
        }
        if let Some(t) = p.top_p {
            body.insert("top_p".into(), t.into());
        }
        if let Some(n) = p.max_output_tokens {
            body.insert("max_tokens".into(), n.into());
        }
        if !p.stop.is_empty() {
            body.insert("stop".into(), p.stop.clone().into());
        }
        if let Some(e) = &p.reasoning_effort {
            body.insert("reasoning_effort".into(), e.clone().into());
        }
        crate::adjust_body(&self.upstream, &mut body);
        Value::Object(body)
    }
}

#[async_trait]
impl ChatProvider for OpenAi {
    async fn stream(&self, request: &ChatRequest) -> Result<ChatStream, ProviderError> {
        let req = self
            .request(http::Method::POST, "/chat/completions")
            .header("accept", "text/event-stream")
            .json(&self.body(request));
        let response = send(req).await?;
        Ok(sse_stream(response, Chunks))
    }

    async fn models(&self) -> Result<Vec<String>, ProviderError> {
        let response = send(self.request(http::Method::GET, "/models")).await?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| ProviderError::Malformed(e.to_string()))?;
        let ids = body
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| ProviderError::Malformed("no `data` list in the model list".into()))?
            .iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect();
        Ok(ids)
    }
}

/// Parses `chat.completion.chunk` frames.
struct Chunks;

/// The parts of a `chat.completion.chunk` this reads, borrowed from the frame: a chunk arrives
/// per token, so parsing it into a `Value` tree (a dozen allocations each, most of them for
/// fields nobody reads) was a large share of the CPU a busy server spent per stream.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    choices: Option<Vec<Choice<'a>>>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default, borrow)]
    delta: Option<Delta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Lenient<'a>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(default, borrow)]
    reasoning_content: Lenient<'a>,
    #[serde(default, borrow)]
    reasoning: Lenient<'a>,
    #[serde(default, borrow)]
    content: Lenient<'a>,
}

/// A field read when it is a string and ignored otherwise (servers put `null`, arrays or
/// objects where OpenAI has text; none of that should fail the stream).
#[derive(Default)]
struct Lenient<'a>(Option<Cow<'a, str>>);

impl<'a> Lenient<'a> {
    /// The text, when it is a non-empty string.
    fn text(&self) -> Option<&str> {
        self.0.as_deref().filter(|t| !t.is_empty())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Lenient<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(Visit)
    }
}

impl FrameParser for Chunks {
    fn frame(&mut self, frame: Frame, out: &mut Vec<StreamItem>) -> Result<bool, ProviderError> {
        let data = frame.data.trim();
        if !frame.has_data || data.is_empty() {
            return Ok(false);
        }
        if data == "[DONE]" {
            return Ok(true);
        }
        let chunk: Chunk<'_> = serde_json::from_str(data).map_err(|e| malformed(&e, data))?;
        if let Some(err) = chunk.error {
            let (hint, message, _) = crate::stream::error_details(data);
            let message = message.unwrap_or_else(|| err.get().to_owned());
            return Err(
                match ProviderError::from_status(500, &hint, message.clone(), None) {
                    ProviderError::Upstream { .. } => {
                        ProviderError::Upstream { status: 0, message }
                    }
                    other => other,
                },
            );
        }
        for choice in chunk.choices.iter().flatten() {
            if let Some(delta) = &choice.delta {
                for text in [&delta.reasoning_content, &delta.reasoning]
                    .into_iter()
                    .filter_map(Lenient::text)
                {
                    out.push(StreamItem::Reasoning(text.to_owned()));
                }
                if let Some(text) = delta.content.text() {
                    out.push(StreamItem::Text(text.to_owned()));
                }
            }
            if let Some(reason) = choice.finish_reason.text() {
                out.push(StreamItem::Finish(reason.to_owned()));
            }
        }
        if let Some(usage) = chunk.usage.filter(Value::is_object) {
            out.push(StreamItem::Usage(Usage {
                prompt_tokens: count(&usage, "prompt_tokens").unwrap_or(0),
                completion_tokens: count(&usage, "completion_tokens").unwrap_or(0),
            }));
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Params, Turn};

    fn parse(lines: &[&str]) -> Result<(Vec<StreamItem>, bool), ProviderError> {
        let mut out = Vec::new();
        let mut done = false;
        for l in lines {
            done = Chunks.frame(
                Frame {
                    event: String::new(),
                    data: (*l).into(),
                    has_data: true,
                },
                &mut out,
            )?;
        }
        Ok((out, done))
    }

    #[test]
    fn documented_chunks() {
        let (items, done) = parse(&[
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null}]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
            "[DONE]",
        ])
        .unwrap();
        assert!(done);
        assert_eq!(
            items,
            vec![
                StreamItem::Reasoning("hmm".into()),
                StreamItem::Text("Hi".into()),
                StreamItem::Finish("stop".into()),
                StreamItem::Usage(Usage {
                    prompt_tokens: 9,
                    completion_tokens: 2
                }),
            ]
        );
    }

    /// Servers that put other JSON where OpenAI has text, or escape their text, are read
    /// the same; a frame that is not JSON is a malformed stream.
    #[test]
    fn lenient_fields_and_escapes() {
        let (items, done) = parse(&[
            r#"{"choices":null,"usage":null,"error":null}"#,
            r#"{"choices":[{"delta":{"content":null,"reasoning":{"summary":"x"}},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{"content":["part"],"reasoning_content":7}}]}"#,
            r#"{"choices":[{"delta":{"content":"say \"hi\"\n\u00e9"}}]}"#,
            r#"{"choices":[{}]}"#,
        ])
        .unwrap();
        assert!(!done);
        assert_eq!(items, vec![StreamItem::Text("say \"hi\"\né".into())]);
        assert!(matches!(
            parse(&["{\"choices\": ["]),
            Err(ProviderError::Malformed(_))
        ));
    }

    #[test]
    fn error_inside_the_stream() {
        let err =
            parse(&[r#"{"error":{"message":"The server had an error","type":"server_error"}}"#])
                .unwrap_err();
        assert_eq!(
            err,
            ProviderError::Upstream {
                status: 0,
                message: "The server had an error".into()
            }
        );
    }

    #[test]
    fn body_maps_parameters() {
        let p = OpenAi::new(
            Upstream {
                kind: Kind::OpenAi,
                base_url: "http://x/v1".into(),
                api_key: String::new(),
                headers: vec![],
                add_params: Map::new(),
                drop_params: vec![],
            },
            crate::HttpClient::new(),
        );
        let body = p.body(&ChatRequest {
            model: "m".into(),
            system: Some("be brief".into()),
            turns: vec![Turn {
                images: Vec::new(),
                role: Role::User,
                text: "hi".into(),
            }],
            params: Params {
                temperature: Some(0.5),
                max_output_tokens: Some(100),
                stop: vec!["END".into()],
                ..Params::default()
            },
        });
        assert_eq!(
            body,
            json!({"model":"m","stream":true,"stream_options":{"include_usage":true},
                "messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
                "temperature":0.5,"max_tokens":100,"stop":["END"]})
        );
    }
}
