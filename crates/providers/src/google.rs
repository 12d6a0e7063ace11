//! Google Gemini (`generativelanguage.googleapis.com`), streamed with `alt=sse`: each frame is a
//! whole `GenerateContentResponse`; thought summaries are parts with `"thought": true`; the
//! stream has no end marker, so an answer is complete once a candidate reports `finishReason`.

use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::sse::Frame;
use crate::stream::{FrameParser, count, json, send, sse_stream};
use crate::{
    ChatProvider, ChatRequest, ChatStream, ProviderError, Role, StreamItem, Upstream, Usage,
};

pub(crate) struct Google {
    upstream: Upstream,
    client: crate::HttpClient,
}

impl Google {
    pub(crate) fn new(upstream: Upstream, client: crate::HttpClient) -> Self {
        Self { upstream, client }
    }

    fn request(&self, method: http::Method, path: &str) -> crate::RequestBuilder {
        // The key goes in a header, never the URL, so it cannot end up in logs.
        let req = self
            .client
            .request(method, format!("{}{path}", self.upstream.base_url))
            .header("x-goog-api-key", &self.upstream.api_key);
        crate::with_headers(&self.upstream, req)
    }

    pub(crate) fn body(&self, request: &ChatRequest) -> Value {
        let contents: Vec<Value> =
            request
                .turns
                .iter()
                .map(|t| {
                    let role = match t.role {
                        Role::User => "user",
                        Role::Assistant => "model",
                    };
                    let mut parts = vec![json!({"text": t.text})];
                    parts.extend(t.images.iter().map(
                        |i| json!({"inline_data": {"mime_type": i.media_type, "data": i.data}}),
                    ));
                    json!({"role": role, "parts": parts})
                })
                .collect();
        let p = &request.params;
        let mut config = Map::new();
        if let Some(t) = p.temperature {
            config.insert("temperature".into(), t.into());
        }
        if let Some(t) = p.top_p {
            config.insert("topP".into(), t.into());
        }
        if let Some(k) = p.top_k {
            config.insert("topK".into(), k.into());
        }
        if let Some(n) = p.max_output_tokens {
            config.insert("maxOutputTokens".into(), n.into());
        }
        if !p.stop.is_empty() {
            config.insert("stopSequences".into(), p.stop.clone().into());
        }
        if let Some(b) = p.thinking_budget {
            config.insert(
                "thinkingConfig".into(),
                json!({"includeThoughts": true, "thinkingBudget": b}),
            );
        }
        let mut body = Map::new();
        body.insert("contents".into(), contents.into());
        if let Some(system) = &request.system {
            body.insert(
                "systemInstruction".into(),
                json!({"parts": [{"text": system}]}),
            );
        }
        if !config.is_empty() {
            body.insert("generationConfig".into(), Value::Object(config));
        }
        crate::adjust_body(&self.upstream, &mut body);
        Value::Object(body)
    }
}

/// `models/gemini-2.0-flash` → `gemini-2.0-flash`.
fn bare(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

#[async_trait]
impl ChatProvider for Google {
    async fn stream(&self, request: &ChatRequest) -> Result<ChatStream, ProviderError> {
        let path = format!(
            "/v1beta/models/{}:streamGenerateContent?alt=sse",
            bare(&request.model)
        );
        let req = self
            .request(http::Method::POST, &path)
            .json(&self.body(request));
        let response = send(req).await?;
        Ok(sse_stream(response, Responses::default()))
    }

    async fn models(&self) -> Result<Vec<String>, ProviderError> {
        let response =
            send(self.request(http::Method::GET, "/v1beta/models?pageSize=1000")).await?;
        let body: Value = response
            .json()
            .await
            .map_err(|e| ProviderError::Malformed(e.to_string()))?;
        Ok(body
            .get("models")
            .and_then(Value::as_array)
            .ok_or_else(|| ProviderError::Malformed("no `models` list in the model list".into()))?
            .iter()
            .filter(|m| {
                m.get("supportedGenerationMethods")
                    .and_then(Value::as_array)
                    .is_none_or(|ms| ms.iter().any(|x| x == "generateContent"))
            })
            .filter_map(|m| {
                m.get("name")
                    .and_then(Value::as_str)
                    .map(|n| bare(n).to_owned())
            })
            .collect())
    }
}

#[derive(Default)]
struct Responses {
    finished: bool,
    usage: Option<Usage>,
}

/// Gemini's finish reasons in OpenAI's words.
fn finish_reason(reason: &str) -> String {
    match reason {
        "STOP" => "stop".into(),
        "MAX_TOKENS" => "length".into(),
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" => {
            "content_filter".into()
        }
        other => other.to_ascii_lowercase(),
    }
}

impl FrameParser for Responses {
    fn frame(&mut self, frame: Frame, out: &mut Vec<StreamItem>) -> Result<bool, ProviderError> {
        if !frame.has_data || frame.data.trim().is_empty() {
            return Ok(false);
        }
        let data = json(&frame)?;
        if data.get("error").is_some() {
            let (hint, message, delay) = crate::stream::error_details(&data.to_string());
            let status = data
                .pointer("/error/code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(500);
            return Err(ProviderError::from_status(
                status,
                &hint,
                message.unwrap_or_else(|| "error in stream".into()),
                delay,
            ));
        }
        if let Some(reason) = data
            .pointer("/promptFeedback/blockReason")
            .and_then(Value::as_str)
        {
            return Err(ProviderError::BadRequest(format!(
                "the prompt was blocked ({reason})"
            )));
        }
        if let Some(candidate) = data.pointer("/candidates/0") {
            let parts = candidate
                .pointer("/content/parts")
                .and_then(Value::as_array);
            for part in parts.into_iter().flatten() {
                if let Some(text) = part.get("text").and_then(Value::as_str)
                    && !text.is_empty()
                {
                    let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
                    out.push(if thought {
                        StreamItem::Reasoning(text.to_owned())
                    } else {
                        StreamItem::Text(text.to_owned())
                    });
                }
            }
            if let Some(r) = candidate.get("finishReason").and_then(Value::as_str) {
                out.push(StreamItem::Finish(finish_reason(r)));
                self.finished = true;
            }
        }
        if let Some(u) = data.get("usageMetadata") {
            self.usage = Some(Usage {
                prompt_tokens: count(u, "promptTokenCount").unwrap_or(0),
                completion_tokens: count(u, "candidatesTokenCount").unwrap_or(0)
                    + count(u, "thoughtsTokenCount").unwrap_or(0),
            });
        }
        Ok(false)
    }

    /// Gemini repeats the usage in every frame; the last one counts, sent once at the end.
    fn end(&mut self, out: &mut Vec<StreamItem>) -> Result<(), ProviderError> {
        if !self.finished {
            return Err(ProviderError::Connection(
                "the stream ended before the answer was complete".into(),
            ));
        }
        out.extend(self.usage.take().map(StreamItem::Usage));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_stream() {
        let mut p = Responses::default();
        let mut out = Vec::new();
        for data in [
            r#"{"candidates":[{"content":{"parts":[{"text":"pondering","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash"}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1,"totalTokenCount":6}}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":" there"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"thoughtsTokenCount":3,"totalTokenCount":10}}"#,
        ] {
            let done = p
                .frame(
                    Frame {
                        event: String::new(),
                        data: data.into(),
                        has_data: true,
                    },
                    &mut out,
                )
                .unwrap();
            assert!(!done);
        }
        assert!(p.end(&mut out).is_ok());
        assert_eq!(
            out,
            vec![
                StreamItem::Reasoning("pondering".into()),
                StreamItem::Text("Hello".into()),
                StreamItem::Text(" there".into()),
                StreamItem::Finish("stop".into()),
                StreamItem::Usage(Usage {
                    prompt_tokens: 5,
                    completion_tokens: 5
                }),
            ]
        );
    }

    #[test]
    fn cut_before_finish_is_an_error() {
        assert!(Responses::default().end(&mut Vec::new()).is_err());
    }
}
