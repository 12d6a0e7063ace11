//! `/api/files/speech/*`: the client's server-side speech, through the operator's engines
//! (`speech.stt.openai`, `speech.tts.openai`): a recording in, its text out
//! (`POST …/stt`, multipart `audio`); a text in, audio out (`POST …/tts/manual`, multipart
//! `input` and `voice`, the client's "read aloud"); the voices (`GET …/tts/voices`).

use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_services::speech::MAX_AUDIO_BYTES;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde_json::{Value, json};

use crate::error::CompatError;

fn unreadable(e: impl std::fmt::Display) -> CompatError {
    CompatError::new(StatusCode::BAD_REQUEST, format!("Unreadable form: {e}"))
}

/// `POST /api/files/speech/stt`: `{text}` of the recording in the form's `audio` field.
pub async fn stt(
    State(state): State<AppState>,
    _auth: AuthUser,
    mut form: Multipart,
) -> Result<axum::Json<Value>, CompatError> {
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("audio") {
            continue;
        }
        let filename = field.file_name().unwrap_or("audio.webm").to_owned();
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut audio = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            audio.extend_from_slice(&chunk);
            if audio.len() as u64 > MAX_AUDIO_BYTES {
                return Err(CompatError::from_service(ServiceError::TooLarge {
                    what: "audio",
                    limit: MAX_AUDIO_BYTES,
                }));
            }
        }
        let text = state
            .services
            .speech
            .transcribe(&audio, &filename, &content_type)
            .await
            .map_err(CompatError::from_service)?;
        return Ok(axum::Json(json!({ "text": text })));
    }
    Err(CompatError::new(
        StatusCode::BAD_REQUEST,
        "No audio was sent (form field `audio`)",
    ))
}

/// `POST /api/files/speech/tts/manual`: the audio of the form's `input`, spoken with its
/// `voice` (the first configured one when absent).
pub async fn tts_manual(
    State(state): State<AppState>,
    _auth: AuthUser,
    mut form: Multipart,
) -> Result<Response, CompatError> {
    let (mut input, mut voice) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "input" && name != "voice" {
            continue;
        }
        let text = field.text().await.map_err(unreadable)?;
        if name == "input" {
            input = Some(text);
        } else {
            voice = Some(text);
        }
    }
    let Some(input) = input else {
        return Err(CompatError::new(
            StatusCode::BAD_REQUEST,
            "No text was sent (form field `input`)",
        ));
    };
    let (audio, content_type) = state
        .services
        .speech
        .synthesize(&input, voice.as_deref())
        .await
        .map_err(CompatError::from_service)?;
    Ok((
        [(http::header::CONTENT_TYPE, content_type)],
        Body::from(audio),
    )
        .into_response())
}

/// `GET /api/files/speech/tts/voices`: the voice names.
pub async fn voices(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> Result<axum::Json<Vec<String>>, CompatError> {
    if !state.services.speech.tts_enabled() {
        return Err(CompatError::new(
            StatusCode::NOT_FOUND,
            "Text to speech runs in the browser on this server",
        ));
    }
    Ok(axum::Json(state.services.speech.voices()))
}
