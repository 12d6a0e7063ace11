//! Server-side speech: speech to text and text to speech through the operator's engines
//! (`speech.stt.openai` and `speech.tts.openai` in `librechat.yaml` or `ferrochat.yaml`; any
//! server that speaks OpenAI's audio API). Without them the browser's own engines are used and
//! these calls are refused.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrochat_config::SpeechEngineConfig;
use ferrochat_providers::speech::{self, SpeechEngine};
use ferrochat_providers::{HttpClient, ProviderError};

use crate::chat::Endpoints;
use crate::{ServiceError, ServiceResult};

/// Largest recording accepted (OpenAI's limit).
pub const MAX_AUDIO_BYTES: u64 = 25 << 20;
/// Longest text spoken in one request (OpenAI's limit, in characters).
pub const MAX_TEXT_CHARS: usize = 4096;
/// How long an engine has to answer.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Speech to text and text to speech.
#[derive(Clone)]
pub struct SpeechService {
    endpoints: Arc<Endpoints>,
}

/// What the engine said, sorted for the caller: input it refused is the caller's to fix;
/// anything else is the server's (its key, its quota, its engine).
fn engine_error(e: ProviderError, field: &'static str) -> ServiceError {
    match e {
        ProviderError::BadRequest(message) => ServiceError::invalid(field, message),
        other => {
            tracing::warn!(code = other.code(), error = %other, "the speech engine failed");
            ServiceError::Unavailable(format!("the speech engine failed: {other}"))
        }
    }
}

impl SpeechService {
    /// Builds the service over the configured engines.
    pub fn new(endpoints: Arc<Endpoints>) -> Self {
        Self { endpoints }
    }

    fn stt(&self) -> Option<&SpeechEngineConfig> {
        self.endpoints.speech().0
    }

    fn tts(&self) -> Option<&SpeechEngineConfig> {
        self.endpoints.speech().1
    }

    fn client(&self) -> &HttpClient {
        self.endpoints.speech().2
    }

    /// Whether speech to text runs on the server.
    pub fn stt_enabled(&self) -> bool {
        self.stt().is_some()
    }

    /// Whether text to speech runs on the server.
    pub fn tts_enabled(&self) -> bool {
        self.tts().is_some()
    }

    /// The voices offered; empty without a text to speech engine.
    pub fn voices(&self) -> Vec<String> {
        self.tts().map(|e| e.voices.clone()).unwrap_or_default()
    }

    /// Transcribes a recording.
    pub async fn transcribe(
        &self,
        audio: &[u8],
        filename: &str,
        content_type: &str,
    ) -> ServiceResult<String> {
        let engine = self
            .stt()
            .ok_or(ServiceError::NotFound("speech to text engine"))?;
        if audio.is_empty() {
            return Err(ServiceError::invalid("audio", "is empty"));
        }
        if audio.len() as u64 > MAX_AUDIO_BYTES {
            return Err(ServiceError::TooLarge {
                what: "audio",
                limit: MAX_AUDIO_BYTES,
            });
        }
        let engine = SpeechEngine {
            url: &engine.url,
            api_key: engine.api_key.expose(),
            model: &engine.model,
        };
        let name = if filename.trim().is_empty() {
            "audio.webm"
        } else {
            filename
        };
        tokio::time::timeout(
            TIMEOUT,
            speech::transcribe(self.client(), &engine, audio, name, content_type),
        )
        .await
        .map_err(|_| engine_error(ProviderError::Timeout, "audio"))?
        .map_err(|e| engine_error(e, "audio"))
    }

    /// Speaks a text with a voice (the first configured one when `None`); the audio and its
    /// content type.
    pub async fn synthesize(
        &self,
        text: &str,
        voice: Option<&str>,
    ) -> ServiceResult<(Bytes, String)> {
        let engine = self
            .tts()
            .ok_or(ServiceError::NotFound("text to speech engine"))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(ServiceError::invalid("input", "is empty"));
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(ServiceError::invalid(
                "input",
                format!("is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        let voice = match voice.map(str::trim).filter(|v| !v.is_empty()) {
            None => engine.voices.first().map(String::as_str).unwrap_or("alloy"),
            Some(v) if engine.voices.iter().any(|known| known == v) => v,
            Some(v) => {
                return Err(ServiceError::invalid(
                    "voice",
                    format!("{v:?} is not one of {}", engine.voices.join(", ")),
                ));
            }
        };
        let spec = SpeechEngine {
            url: &engine.url,
            api_key: engine.api_key.expose(),
            model: &engine.model,
        };
        tokio::time::timeout(
            TIMEOUT,
            speech::synthesize(self.client(), &spec, text, voice),
        )
        .await
        .map_err(|_| engine_error(ProviderError::Timeout, "input"))?
        .map_err(|e| engine_error(e, "input"))
    }
}
