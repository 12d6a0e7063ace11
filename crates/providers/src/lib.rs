//! Model providers behind one [`ChatProvider`] trait. Each speaks one upstream wire format
//! (OpenAI chat completions, which Azure OpenAI and every OpenAI-compatible server share; the
//! Anthropic Messages API; Google Gemini) and turns its stream into the same [`StreamItem`]s,
//! and its failures into the same [`ProviderError`] kinds, so the chat engine never looks at a
//! provider's JSON.
//!
//! This crate knows no users, stores or HTTP server types: the engine hands it an
//! [`Upstream`] (where to call, with which key) and a [`ChatRequest`] (what to ask).
#![warn(missing_docs)]

mod anthropic;
mod client;
pub mod egress;
mod error;
mod google;
mod h1;
mod openai;
mod pool;
mod spare;
pub mod speech;
pub mod sse;
mod stream;
pub mod tokens;

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::Stream;
use serde_json::{Map, Value};

pub use client::{HttpClient, RequestBuilder, Response};
pub use error::ProviderError;

/// Who wrote a turn of the conversation sent upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The person.
    User,
    /// The model.
    Assistant,
}

/// One turn of the history sent upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub text: String,
    /// Images the user attached (vision models see them; each API has its own wire form).
    pub images: Vec<Image>,
}

/// An image attached to a turn, inline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub media_type: String,
    /// The bytes, base64 (standard alphabet, padded).
    pub data: String,
}

/// Sampling parameters; `None` leaves the upstream's default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling (Anthropic, Google).
    pub top_k: Option<u32>,
    /// Longest answer, in tokens.
    pub max_output_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// OpenAI reasoning models: `low`, `medium`, `high`.
    pub reasoning_effort: Option<String>,
    /// Anthropic/Google extended thinking budget in tokens; `Some` turns thinking on.
    pub thinking_budget: Option<u32>,
}

/// What to ask the model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChatRequest {
    /// Model name as the upstream knows it (Azure: ignored, the deployment decides).
    pub model: String,
    /// System prompt (LibreChat's `promptPrefix`), kept apart because each API places it
    /// differently.
    pub system: Option<String>,
    /// The branch being answered, oldest first; the last turn is the user's.
    pub turns: Vec<Turn>,
    /// Sampling parameters.
    pub params: Params,
}

/// Token counts of one answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u32,
    /// Tokens of the answer.
    pub completion_tokens: u32,
}

/// One piece of a streamed answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// Visible answer text to append.
    Text(String),
    /// Reasoning ("thinking") text to append; shown apart from the answer.
    Reasoning(String),
    /// Token usage as the upstream reported it.
    Usage(Usage),
    /// Why the upstream stopped (`stop`, `length`, …), in OpenAI's words.
    Finish(String),
}

/// A streamed answer. It ends after the upstream's end marker; dropping it cancels the
/// upstream request.
pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamItem, ProviderError>> + Send>>;

/// A model API.
#[async_trait]
pub trait ChatProvider: Send + Sync {
    /// Starts a streamed completion. Errors the upstream reports before streaming (bad key,
    /// unknown model, rate limit, …) come back here; later ones come through the stream.
    async fn stream(&self, request: &ChatRequest) -> Result<ChatStream, ProviderError>;

    /// The model names the upstream offers.
    async fn models(&self) -> Result<Vec<String>, ProviderError>;
}

/// Which wire format an upstream speaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// OpenAI chat completions (`/chat/completions` under the base URL, which ends in `/v1`
    /// for OpenAI itself); also Ollama, vLLM, llama.cpp, LM Studio, OpenRouter, ….
    OpenAi,
    /// Azure OpenAI: `{base}/openai/deployments/{deployment}/chat/completions?api-version=…`
    /// with an `api-key` header.
    Azure {
        /// Deployment name.
        deployment: String,
        /// `api-version` query value.
        api_version: String,
    },
    /// Anthropic Messages API (`/v1/messages`).
    Anthropic,
    /// Google Gemini API (`/v1beta/models/{model}:streamGenerateContent?alt=sse`).
    Google,
}

/// Where and how to call a provider.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// Wire format.
    pub kind: Kind,
    /// Base URL without a trailing slash (see [`Kind`] for what is appended).
    pub base_url: String,
    /// API key; empty sends none (local servers).
    pub api_key: String,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// Fields merged into every request body (LibreChat's `addParams`), after ours.
    pub add_params: Map<String, Value>,
    /// Fields removed from every request body (LibreChat's `dropParams`).
    pub drop_params: Vec<String>,
}

/// A client for upstream calls, shared by the providers (one connection pool for every
/// upstream): connection attempts give up after 10 s; there is no overall timeout, because
/// answers stream for minutes (the engine bounds the wait between chunks).
pub fn http_client() -> HttpClient {
    HttpClient::new()
}

/// Like [`http_client`], without spare connections: for an upstream that serves one
/// connection at a time, which an idle spare would hold up (see `spare`).
pub fn http_client_without_spares() -> HttpClient {
    HttpClient::without_spares()
}

/// The provider for an upstream, sharing `client`'s connection pool.
pub fn connect(upstream: Upstream, client: HttpClient) -> Arc<dyn ChatProvider> {
    match upstream.kind {
        Kind::OpenAi | Kind::Azure { .. } => Arc::new(openai::OpenAi::new(upstream, client)),
        Kind::Anthropic => Arc::new(anthropic::Anthropic::new(upstream, client)),
        Kind::Google => Arc::new(google::Google::new(upstream, client)),
    }
}

/// Applies `addParams` and `dropParams` to a request body.
fn adjust_body(upstream: &Upstream, body: &mut Map<String, Value>) {
    for (k, v) in &upstream.add_params {
        body.insert(k.clone(), v.clone());
    }
    for k in &upstream.drop_params {
        body.remove(k);
    }
}

/// Adds the configured extra headers.
fn with_headers(upstream: &Upstream, mut req: RequestBuilder) -> RequestBuilder {
    for (k, v) in &upstream.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_then_drop_params() {
        let mut add = Map::new();
        add.insert("safe_mode".into(), Value::Bool(true));
        let up = Upstream {
            kind: Kind::OpenAi,
            base_url: String::new(),
            api_key: String::new(),
            headers: vec![],
            add_params: add,
            drop_params: vec!["stop".into()],
        };
        let mut body = Map::new();
        body.insert("stop".into(), Value::Null);
        body.insert("model".into(), "m".into());
        adjust_body(&up, &mut body);
        assert_eq!(
            Value::Object(body),
            serde_json::json!({"model": "m", "safe_mode": true})
        );
    }
}
