//! `/api/v1/conversations`: the native door to conversations (restore for now; the rest of the
//! resource arrives with the native API issue).

use axum::Json;
use axum::extract::{Path, State};
use ferrochat_core::ConversationId;
use ferrochat_services::ServiceError;
use ferrochat_web::{ApiError, AppState, AuthUser};

use crate::dto::ConversationDto;

/// `POST /api/v1/conversations/{id}/restore`: brings back a deleted conversation until it is
/// purged (`CONVERSATION_RETENTION`).
pub async fn restore(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ConversationDto>, ApiError> {
    let id: ConversationId = id
        .parse()
        .map_err(|_| ServiceError::NotFound("conversation"))?;
    let conversation = state
        .services
        .conversations
        .restore(auth.user.id, id)
        .await?;
    Ok(Json(ConversationDto::from(&conversation)))
}
