//! `/api/v1/speech`: server-side speech through the operator's engines (see docs/chat.md,
//! "Speech"): a recording in, its text out; a text in, audio out.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_services::speech::MAX_AUDIO_BYTES;
use ferrochat_web::json::ApiJson;
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::HeaderMap;

use crate::dto::{SpeechDto, SynthesisBody, TranscriptDto};

/// `GET /api/v1/speech`.
#[utoipa::path(
    get,
    path = "/api/v1/speech",
    operation_id = "get_speech",
    tag = "speech",
    summary = "Which speech engines the server has, and the voices",
    responses((status = 200, body = SpeechDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(State(state): State<AppState>, _auth: AuthUser) -> Json<SpeechDto> {
    let speech = &state.services.speech;
    Json(SpeechDto {
        speech_to_text: speech.stt_enabled(),
        text_to_speech: speech.tts_enabled(),
        voices: speech.voices(),
    })
}

/// The file name the engine is told: OpenAI's API tells the format by its extension.
fn audio_name(content_type: &str) -> &'static str {
    let kind = content_type.split(';').next().unwrap_or_default().trim();
    match kind {
        "audio/webm" | "video/webm" => "audio.webm",
        "audio/mpeg" | "audio/mp3" => "audio.mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "audio.wav",
        "audio/ogg" | "audio/opus" => "audio.ogg",
        "audio/flac" | "audio/x-flac" => "audio.flac",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "video/mp4" => "audio.m4a",
        _ => "audio",
    }
}

/// `POST /api/v1/speech/transcriptions`: the body is the recording (its `Content-Type` says
/// the format: webm, mp3, wav, ogg, flac or m4a), at most 25 MB.
#[utoipa::path(
    post,
    path = "/api/v1/speech/transcriptions",
    operation_id = "transcribe",
    tag = "speech",
    summary = "Speech to text",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The recording (send its real type: audio/webm, audio/mpeg, audio/wav, …)"),
    responses((status = 200, body = TranscriptDto), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn transcribe(
    State(state): State<AppState>,
    _auth: AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TranscriptDto>, ApiError> {
    let limit = usize::try_from(MAX_AUDIO_BYTES).unwrap_or(usize::MAX);
    let audio = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ServiceError::TooLarge {
            what: "audio",
            limit: MAX_AUDIO_BYTES,
        })?;
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let text = state
        .services
        .speech
        .transcribe(&audio, audio_name(content_type), content_type)
        .await?;
    Ok(Json(TranscriptDto { text }))
}

/// `POST /api/v1/speech/synthesis`: the audio of `input` (MP3 unless the engine says
/// otherwise), spoken with `voice` (the first of `GET /api/v1/speech`'s when absent).
#[utoipa::path(
    post,
    path = "/api/v1/speech/synthesis",
    operation_id = "synthesize",
    tag = "speech",
    summary = "Text to speech",
    request_body = SynthesisBody,
    responses((status = 200, description = "The audio", content_type = "audio/mpeg", body = Vec<u8>), (status = "4XX", description = "A problem (RFC 9457): `code` says which; see docs/errors.md", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn synthesize(
    State(state): State<AppState>,
    _auth: AuthUser,
    ApiJson(body): ApiJson<SynthesisBody>,
) -> Result<Response, ApiError> {
    let (audio, content_type) = state
        .services
        .speech
        .synthesize(&body.input, body.voice.as_deref())
        .await?;
    Ok((
        [(http::header::CONTENT_TYPE, content_type)],
        Body::from(audio),
    )
        .into_response())
}
