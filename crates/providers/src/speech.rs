//! Speech through OpenAI's audio API, which other servers speak too (LocalAI, vLLM, Speaches,
//! …): transcriptions (speech to text, `POST …/audio/transcriptions`, multipart) and speech
//! (text to speech, `POST …/audio/speech`, JSON in, audio out). Errors are sorted as the chat
//! providers' are.

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::{HttpClient, ProviderError};

/// Largest audio answer read (an answer of 4,096 characters is a few megabytes of MP3).
const MAX_AUDIO: usize = 32 << 20;

/// One configured engine.
#[derive(Clone, Copy, Debug)]
pub struct SpeechEngine<'a> {
    /// The full endpoint URL (`https://api.openai.com/v1/audio/transcriptions`).
    pub url: &'a str,
    /// Sent as a bearer token when not empty.
    pub api_key: &'a str,
    /// `whisper-1`, `tts-1`, …
    pub model: &'a str,
}

fn post(client: &HttpClient, engine: &SpeechEngine<'_>) -> crate::RequestBuilder {
    let request = client.post(engine.url);
    if engine.api_key.is_empty() {
        request
    } else {
        request.bearer_auth(engine.api_key)
    }
}

/// A boundary that does not occur in `data`.
fn boundary(data: &[u8]) -> String {
    (0u32..)
        .map(|n| format!("ferrochat-audio-{n:08x}"))
        .find(|b| !data.windows(b.len()).any(|w| w == b.as_bytes()))
        .unwrap_or_default()
}

/// Quotes a file name for a `Content-Disposition` parameter (no quotes, backslashes or line
/// breaks survive).
fn quoted(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n'))
        .collect()
}

/// `multipart/form-data`: the audio as `file`, then the text fields.
fn form(
    audio: &[u8],
    filename: &str,
    content_type: &str,
    fields: &[(&str, &str)],
) -> (String, Vec<u8>) {
    let b = boundary(audio);
    let mut body = Vec::with_capacity(audio.len() + 512);
    body.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
             Content-Type: {content_type}\r\n\r\n",
            quoted(filename)
        )
        .as_bytes(),
    );
    body.extend_from_slice(audio);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("\r\n--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

/// Transcribes `audio` (a file the upstream accepts: webm, mp3, wav, m4a, ogg, …).
pub async fn transcribe(
    client: &HttpClient,
    engine: &SpeechEngine<'_>,
    audio: &[u8],
    filename: &str,
    content_type: &str,
) -> Result<String, ProviderError> {
    let (form_type, body) = form(
        audio,
        filename,
        content_type,
        &[("model", engine.model), ("response_format", "json")],
    );
    let response = crate::stream::send(post(client, engine).body_with(&form_type, body)).await?;
    let answer: Value = response.json().await?;
    answer["text"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ProviderError::Malformed("a transcription without `text`".into()))
}

/// Speaks `text` with `voice`; the audio and its content type (MP3 unless the upstream says
/// otherwise).
pub async fn synthesize(
    client: &HttpClient,
    engine: &SpeechEngine<'_>,
    text: &str,
    voice: &str,
) -> Result<(Bytes, String), ProviderError> {
    let request = post(client, engine).json(&json!({
        "model": engine.model,
        "input": text,
        "voice": voice,
        "response_format": "mp3",
    }));
    let response = crate::stream::send(request).await?;
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| t.starts_with("audio/"))
        .unwrap_or("audio/mpeg")
        .to_owned();
    let mut audio = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        audio.extend_from_slice(&chunk?);
        if audio.len() > MAX_AUDIO {
            return Err(ProviderError::Malformed(format!(
                "an audio answer larger than {MAX_AUDIO} bytes"
            )));
        }
    }
    if audio.is_empty() {
        return Err(ProviderError::Malformed("an empty audio answer".into()));
    }
    Ok((Bytes::from(audio), content_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_pick_a_boundary_the_audio_lacks() {
        let audio = b"RIFF....--ferrochat-audio-00000000....WAVE";
        let (content_type, body) = form(audio, "a\"b.wav", "audio/wav", &[("model", "whisper-1")]);
        assert_eq!(
            content_type,
            "multipart/form-data; boundary=ferrochat-audio-00000001"
        );
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(
            "--ferrochat-audio-00000001\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ab.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF"
        ));
        assert!(
            text.contains("name=\"model\"\r\n\r\nwhisper-1\r\n--ferrochat-audio-00000001--\r\n")
        );
    }
}
