//! Password reset and email verification (§2.6, §2.7).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_web::{AppState, Client, Rule};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::error::CompatError;
use crate::json::CompatJson;

/// The answer to every well-formed reset request, whether or not the account exists.
const RESET_REQUESTED: &str =
    "If an account with that email exists, a link to reset the password has been sent to it.";
/// The answer to every well-formed resend request.
const VERIFY_RESENT: &str =
    "If an unverified account with that email exists, a new verification link has been sent to it.";

/// `POST /api/auth/requestPasswordReset` body.
#[derive(Debug, Deserialize)]
pub struct ResetRequest {
    email: String,
}

/// `POST /api/auth/resetPassword` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPassword {
    user_id: String,
    token: String,
    password: String,
    #[serde(rename = "confirm_password")]
    confirm_password: String,
}

/// `POST /api/user/verify` body.
#[derive(Debug, Deserialize)]
pub struct VerifyEmail {
    email: String,
    token: String,
}

/// `POST /api/user/verify/resend` body.
#[derive(Debug, Deserialize)]
pub struct ResendVerification {
    email: String,
}

fn account_key(email: &str) -> String {
    email.trim().to_lowercase().chars().take(320).collect()
}

async fn limit(
    state: &AppState,
    rule: Rule,
    client: &Client,
    account: &str,
) -> Result<(), CompatError> {
    state
        .limits
        .check(rule, &[("ip", client.ip()), ("account", account)])
        .await
        .map_err(CompatError::rate_limited)
}

/// Maps token failures to 400 with the service's message; other errors as usual.
fn bad_token(err: ServiceError) -> CompatError {
    match err {
        ServiceError::Invalid(fields) if fields.iter().any(|f| f.field == "token") => {
            let message = fields
                .iter()
                .find(|f| f.field == "token")
                .map(|f| f.message.clone())
                .unwrap_or_default();
            CompatError::new(StatusCode::BAD_REQUEST, message)
        }
        other => CompatError::from_service(other),
    }
}

/// `POST /api/auth/requestPasswordReset`: 200 with the same message for every address; 403
/// text when resets are off; 400 malformed; 429.
pub async fn request_password_reset(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<ResetRequest>,
) -> Result<Response, CompatError> {
    limit(
        &state,
        Rule::ResetPassword,
        &client,
        &account_key(&body.email),
    )
    .await?;
    match state
        .services
        .auth
        .request_password_reset(&body.email)
        .await
    {
        Ok(()) => Ok(Json(json!({ "message": RESET_REQUESTED })).into_response()),
        Err(ServiceError::Forbidden(why)) => Ok((StatusCode::FORBIDDEN, why).into_response()),
        Err(other) => Err(CompatError::from_service(other)),
    }
}

/// `POST /api/auth/resetPassword`: 200 on success (every session of the account is revoked);
/// 400 for a bad, spent or expired token or an invalid password.
pub async fn reset_password(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<ResetPassword>,
) -> Result<Response, CompatError> {
    limit(
        &state,
        Rule::ResetPassword,
        &client,
        &account_key(&body.user_id),
    )
    .await?;
    state
        .services
        .auth
        .reset_password(
            &body.user_id,
            &body.token,
            &body.password,
            &body.confirm_password,
        )
        .await
        .map_err(bad_token)?;
    Ok(Json(json!({ "message": "Password reset was successful" })).into_response())
}

/// `POST /api/user/verify`: 200 `{message, status: "success"}`; 400 otherwise.
pub async fn verify_email(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<VerifyEmail>,
) -> Result<Response, CompatError> {
    limit(
        &state,
        Rule::VerifyEmail,
        &client,
        &account_key(&body.email),
    )
    .await?;
    state
        .services
        .auth
        .verify_email(&body.email, &body.token)
        .await
        .map_err(bad_token)?;
    Ok(
        Json(json!({ "message": "Email verification was successful", "status": "success" }))
            .into_response(),
    )
}

/// `POST /api/user/verify/resend`: 200 with the same message for every address.
pub async fn resend_verification(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<ResendVerification>,
) -> Result<Response, CompatError> {
    limit(
        &state,
        Rule::VerifyEmail,
        &client,
        &account_key(&body.email),
    )
    .await?;
    state
        .services
        .auth
        .resend_verification(&body.email)
        .await
        .map_err(CompatError::from_service)?;
    Ok(Json(json!({ "message": VERIFY_RESENT })).into_response())
}
