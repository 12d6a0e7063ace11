//! `POST /api/convos/import` (§5.8): the client's "Import conversations" in Settings → Data
//! controls, a multipart upload of one export file (field `file`): LibreChat's own JSON export,
//! ChatGPT's `conversations.json` or chatbot-ui's export.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_web::{AppState, AuthUser};
use http::StatusCode;
use serde_json::json;

use crate::error::CompatError;

/// 201 `{message}` once every conversation is stored; 400 `{message}` saying what is wrong
/// with the file (nothing is stored then), 413 when it is larger than
/// `CONVERSATION_IMPORT_MAX_FILE_SIZE_BYTES` (the client checks that limit first too).
pub async fn import(
    State(state): State<AppState>,
    auth: AuthUser,
    mut form: Multipart,
) -> Result<Response, CompatError> {
    let limit = usize::try_from(state.config.import_max_bytes).unwrap_or(usize::MAX);
    let bad = |message: String| CompatError::new(StatusCode::BAD_REQUEST, message);
    let mut file = None;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("Unreadable upload: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| bad(format!("Unreadable upload: {e}")))?
        {
            if bytes.len() + chunk.len() > limit {
                return Err(CompatError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The file is larger than {limit} bytes"),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some(bytes);
        break;
    }
    let file = file.ok_or_else(|| bad("No file uploaded (multipart field `file`)".into()))?;
    match state.services.imports.import(auth.user.id, file).await {
        Ok(_) => Ok((
            StatusCode::CREATED,
            Json(json!({ "message": "Conversation(s) imported successfully" })),
        )
            .into_response()),
        Err(ServiceError::Invalid(fields)) => Err(bad(fields
            .iter()
            .map(|f| format!("The {} {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "))),
        Err(other) => Err(CompatError::from_service(other)),
    }
}
