//! `/api/auth/2fa/*` (§2.8): TOTP setup, confirmation, disabling, backup codes, and the
//! second step of a 2FA login.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_services::auth::tokens::hash_token;
use ferrochat_services::auth::two_factor::SecondFactor;
use ferrochat_web::{AppState, AuthUser, Client, Rule};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::grant_response;
use crate::error::CompatError;
use crate::json::CompatJson;

/// A TOTP code and/or a backup code.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeBody {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    backup_code: Option<String>,
}

impl CodeBody {
    fn factor(&self) -> SecondFactor<'_> {
        SecondFactor {
            token: self.token.as_deref(),
            backup_code: self.backup_code.as_deref(),
        }
    }
}

/// `POST /api/auth/2fa/verify-temp` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TempBody {
    temp_token: String,
    #[serde(flatten)]
    code: CodeBody,
}

fn code_error(err: ServiceError) -> CompatError {
    match err {
        ServiceError::Invalid(fields) => {
            let message = fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or_default();
            CompatError::new(StatusCode::BAD_REQUEST, message)
        }
        other => CompatError::from_service(other),
    }
}

/// `GET /api/auth/2fa/enable`: a new secret (as an otpauth URL) and backup codes; 2FA stays
/// off until confirmed.
pub async fn enable(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Value>, CompatError> {
    let setup = state
        .services
        .auth
        .begin_two_factor(&auth.user)
        .await
        .map_err(code_error)?;
    Ok(Json(
        json!({ "otpauthUrl": setup.otpauth_url, "backupCodes": setup.backup_codes }),
    ))
}

/// `POST /api/auth/2fa/verify`: checks a code (setup or later).
pub async fn verify(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<CodeBody>,
) -> Result<Json<Value>, CompatError> {
    state
        .services
        .auth
        .verify_two_factor(&auth.user, body.factor())
        .await
        .map_err(code_error)?;
    Ok(Json(json!({})))
}

/// `POST /api/auth/2fa/confirm`: turns 2FA on.
pub async fn confirm(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<CodeBody>,
) -> Result<Json<Value>, CompatError> {
    let token = body.token.as_deref().unwrap_or_default();
    state
        .services
        .auth
        .confirm_two_factor(&auth.user, token)
        .await
        .map_err(code_error)?;
    Ok(Json(json!({})))
}

/// `POST /api/auth/2fa/disable`: turns 2FA off with a code or backup code.
pub async fn disable(
    State(state): State<AppState>,
    auth: AuthUser,
    CompatJson(body): CompatJson<CodeBody>,
) -> Result<Json<Value>, CompatError> {
    state
        .services
        .auth
        .disable_two_factor(&auth.user, body.factor())
        .await
        .map_err(code_error)?;
    Ok(Json(json!({})))
}

/// `POST /api/auth/2fa/backup/regenerate`: fresh backup codes.
pub async fn regenerate(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Value>, CompatError> {
    let codes = state
        .services
        .auth
        .regenerate_backup_codes(&auth.user)
        .await
        .map_err(code_error)?;
    let hashes: Vec<Value> = codes
        .iter()
        .map(|c| json!({ "codeHash": hash_token(c), "used": false, "usedAt": null }))
        .collect();
    Ok(Json(
        json!({ "backupCodes": codes, "backupCodesHash": hashes }),
    ))
}

/// `POST /api/auth/2fa/verify-temp`: pending token + code → `{token, user}` and cookies;
/// 401 for a bad or expired pending token, 400 for a wrong code, 429 when hammered.
pub async fn verify_temp(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<TempBody>,
) -> Result<Response, CompatError> {
    let pending_key: String = body.temp_token.chars().rev().take(32).collect();
    state
        .limits
        .check(
            Rule::Login,
            &[("2fa-ip", client.ip()), ("2fa-pending", &pending_key)],
        )
        .await
        .map_err(CompatError::rate_limited)?;
    match state
        .services
        .auth
        .complete_two_factor_login(&body.temp_token, body.code.factor(), client.0)
        .await
    {
        Ok(grant) => Ok(grant_response(&state, grant)),
        Err(ServiceError::Unauthenticated) => Err(CompatError::new(
            StatusCode::UNAUTHORIZED,
            "Invalid or expired temporary token",
        )),
        Err(other) => Err(code_error(other)),
    }
    .map(IntoResponse::into_response)
}
