//! What the three wire formats share: sending a request, sorting an error answer, and turning
//! an SSE body into [`StreamItem`]s through a per-format [`FrameParser`].

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

use crate::sse::{Decoder, Frame};
use crate::{ChatStream, ProviderError, StreamItem};

/// Reads one wire format's frames.
pub(crate) trait FrameParser: Send + 'static {
    /// Appends the items in `frame` to `out`; returns `true` once the end marker was seen.
    fn frame(&mut self, frame: Frame, out: &mut Vec<StreamItem>) -> Result<bool, ProviderError>;

    /// The body ended without an end marker: an error unless the format allows it (then it
    /// may add final items).
    fn end(&mut self, _out: &mut Vec<StreamItem>) -> Result<(), ProviderError> {
        Err(ProviderError::Connection(
            "the stream ended before the answer was complete".into(),
        ))
    }
}

/// Largest error body read from an upstream.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Sends a request; a non-2xx answer becomes a sorted [`ProviderError`].
pub(crate) async fn send(req: crate::RequestBuilder) -> Result<crate::Response, ProviderError> {
    let response = req.send().await?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let retry = crate::error::retry_after(response.headers());
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    let text = String::from_utf8_lossy(&body);
    let (hint, message, delay) = error_details(&text);
    Err(ProviderError::from_status(
        status,
        &hint,
        message.unwrap_or_else(|| format!("HTTP {status}")),
        retry.or(delay),
    ))
}

/// Pulls `(kind hint, message, retry delay)` out of an error body in any of the formats:
/// OpenAI `{"error":{"message","type","code"}}`, Anthropic `{"type":"error","error":{"type",
/// "message"}}`, Google `{"error":{"code","message","status","details":[…]}}`, Ollama
/// `{"error":"text"}`.
pub(crate) fn error_details(body: &str) -> (String, Option<String>, Option<Duration>) {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        let text = body.trim();
        return (
            String::new(),
            (!text.is_empty()).then(|| text.chars().take(500).collect()),
            None,
        );
    };
    let err = json.get("error").unwrap_or(&json);
    if let Some(text) = err.as_str() {
        return (String::new(), Some(text.to_owned()), None);
    }
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut hints: Vec<&str> = ["code", "type", "status"]
        .iter()
        .filter_map(|k| err.get(*k).and_then(Value::as_str))
        .collect();
    let mut delay = None;
    for detail in err
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(reason) = detail.get("reason").and_then(Value::as_str) {
            hints.push(reason);
        }
        if let Some(d) = detail.get("retryDelay").and_then(Value::as_str) {
            delay = d
                .strip_suffix('s')
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
        }
    }
    (hints.join(" "), message, delay)
}

struct State<P> {
    body: futures_util::stream::BoxStream<'static, Result<bytes::Bytes, ProviderError>>,
    decoder: Decoder,
    parser: P,
    queue: VecDeque<Result<StreamItem, ProviderError>>,
    finished: bool,
    /// Ended at the format's end marker (the rest of the body is only its terminator).
    clean_end: bool,
}

/// Reads what is left of a finished body (normally just the chunked terminator), so the
/// connection goes back to the pool instead of being closed: a fresh connection per answer
/// cost every next answer a TCP handshake. Bounded, in case an upstream keeps talking.
async fn drain(
    body: &mut futures_util::stream::BoxStream<'static, Result<bytes::Bytes, ProviderError>>,
) {
    let mut left: usize = 64 * 1024;
    let reading = async {
        while let Some(Ok(chunk)) = body.next().await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(200), reading).await;
}

impl<P: FrameParser> State<P> {
    /// Parses frames into the queue; stops at the end marker or the first error.
    fn take(&mut self, frames: Vec<Frame>) {
        let mut items = Vec::new();
        for frame in frames {
            match self.parser.frame(frame, &mut items) {
                Ok(done) => {
                    self.queue.extend(items.drain(..).map(Ok));
                    if done {
                        self.finished = true;
                        self.clean_end = true;
                        return;
                    }
                }
                Err(e) => {
                    self.queue.extend(items.drain(..).map(Ok));
                    self.queue.push_back(Err(e));
                    self.finished = true;
                    return;
                }
            }
        }
    }
}

/// Turns a streaming response into items. Ends after the end marker (the rest of the body is
/// dropped, closing the connection) or after the first error.
pub(crate) fn sse_stream<P: FrameParser>(response: crate::Response, parser: P) -> ChatStream {
    let state = State {
        body: response.bytes_stream(),
        decoder: Decoder::default(),
        parser,
        queue: VecDeque::new(),
        finished: false,
        clean_end: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.queue.pop_front() {
                return Some((item, st));
            }
            if st.finished {
                if st.clean_end {
                    drain(&mut st.body).await;
                }
                return None;
            }
            match st.body.next().await {
                Some(Ok(chunk)) => match st.decoder.push(&chunk) {
                    Ok(frames) => st.take(frames),
                    Err(e) => {
                        st.queue.push_back(Err(ProviderError::Malformed(e)));
                        st.finished = true;
                    }
                },
                Some(Err(e)) => {
                    st.queue.push_back(Err(e));
                    st.finished = true;
                }
                None => {
                    let tail: Vec<Frame> = st.decoder.finish().into_iter().collect();
                    st.take(tail);
                    if !st.finished {
                        st.finished = true;
                        let mut items = Vec::new();
                        let end = st.parser.end(&mut items);
                        st.queue.extend(items.into_iter().map(Ok));
                        if let Err(e) = end {
                            st.queue.push_back(Err(e));
                        }
                    }
                }
            }
        }
    }))
}

/// Parses a frame's data as JSON, or reports the stream as malformed.
pub(crate) fn json(frame: &Frame) -> Result<Value, ProviderError> {
    serde_json::from_str(&frame.data).map_err(|e| malformed(&e, &frame.data))
}

/// A frame's data that is not the JSON its format promises.
pub(crate) fn malformed(e: &serde_json::Error, data: &str) -> ProviderError {
    let sample: String = data.chars().take(120).collect();
    ProviderError::Malformed(format!("{e} in {sample:?}"))
}

/// Reads a count field as `u32`.
pub(crate) fn count(v: &Value, key: &str) -> Option<u32> {
    v.get(key)
        .and_then(Value::as_u64)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_each_format() {
        let (h, m, _) = error_details(
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        );
        assert_eq!(h, "invalid_api_key invalid_request_error");
        assert_eq!(m.as_deref(), Some("Incorrect API key provided"));
        let (h, _, _) = error_details(
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        );
        assert_eq!(h, "authentication_error");
        let (h, _, d) = error_details(
            r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#,
        );
        assert_eq!(h, "RESOURCE_EXHAUSTED");
        assert_eq!(d, Some(Duration::from_secs(37)));
        let (_, m, _) = error_details(r#"{"error":"model 'x' not found"}"#);
        assert_eq!(m.as_deref(), Some("model 'x' not found"));
    }
}
