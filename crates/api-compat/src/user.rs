//! `/api/user`.

use axum::Json;
use axum::extract::State;
use ferrochat_web::{AppState, AuthUser};
use serde_json::{Value, json};

use crate::error::CompatError;
use crate::types::TUser;

/// `GET /api/user`: the signed-in user as `TUser`.
pub async fn get_user(auth: AuthUser) -> Json<TUser> {
    Json(TUser::from(&auth.user))
}

/// `GET /api/user/terms`: whether the user accepted the terms.
pub async fn get_terms(auth: AuthUser) -> Json<Value> {
    Json(json!({ "termsAccepted": auth.user.terms_accepted }))
}

/// `POST /api/user/terms/accept`.
pub async fn accept_terms(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Value>, CompatError> {
    state
        .services
        .users
        .accept_terms(auth.user.id)
        .await
        .map_err(CompatError::from_service)?;
    Ok(Json(json!({ "message": "Terms accepted successfully" })))
}

/// `DELETE /api/user/delete`: deletes the account and everything it owns (rows cascade from
/// the user; sessions go with it, so every token of the account stops working at once).
pub async fn delete_user(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Value>, CompatError> {
    state
        .services
        .users
        .delete(auth.user.id)
        .await
        .map_err(CompatError::from_service)?;
    Ok(Json(json!({ "message": "User deleted" })))
}
