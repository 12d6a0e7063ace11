//! `/api/auth/*`: register, login, refresh, logout, with LibreChat's statuses (§2, §10).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ferrochat_services::ServiceError;
use ferrochat_services::auth::{Grant, LoginOutcome, Registration};
use ferrochat_web::security::origin_allowed;
use ferrochat_web::{AppState, AuthUser, Client, Rule};
use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::cookies;
use crate::error::CompatError;
use crate::json::CompatJson;
use crate::types::{LoginRequest, RegisterRequest, TUser, TokenResponse};

/// What register answers whether or not the address was new (no account enumeration).
const REGISTERED: &str = "Please check your email to verify your email address.";
/// Longest account key a rate-limit counter is stored under.
const ACCOUNT_KEY_MAX: usize = 320;

/// `{token, user}` plus the refresh cookies.
pub(crate) fn grant_response(state: &AppState, grant: Grant) -> Response {
    let body = TokenResponse {
        token: grant.access_token,
        user: TUser::from(&grant.user),
    };
    let mut response = Json(body).into_response();
    cookies::set(
        response.headers_mut(),
        &grant.refresh_token,
        grant.refresh_expires_at,
        cookies::secure(state),
    );
    response
}

/// Refuses cookie-authenticated requests from foreign pages (CSRF).
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), CompatError> {
    let server = &state.config.server;
    if origin_allowed(headers, &[&server.domain_client, &server.domain_server]) {
        Ok(())
    } else {
        Err(CompatError::new(
            StatusCode::FORBIDDEN,
            "Request origin not allowed",
        ))
    }
}

/// `POST /api/auth/login`: 200 `{token,user}` + cookies; 404 wrong credentials; 400 malformed;
/// 422 unverified; 403 banned; 429 too many attempts (per IP and per account).
pub async fn login(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<LoginRequest>,
) -> Result<Response, CompatError> {
    let account: String = body
        .email
        .trim()
        .to_lowercase()
        .chars()
        .take(ACCOUNT_KEY_MAX)
        .collect();
    state
        .limits
        .check(Rule::Login, &[("ip", client.ip()), ("account", &account)])
        .await
        .map_err(CompatError::rate_limited)?;
    match state
        .services
        .auth
        .login(&body.email, &body.password, client.0)
        .await
    {
        Ok(LoginOutcome::Granted(grant)) => {
            state.limits.clear(Rule::Login, "account", &account).await;
            Ok(grant_response(&state, *grant))
        }
        // Password right, second factor pending: no cookies, a five-minute token instead.
        Ok(LoginOutcome::TwoFactorRequired { pending_token }) => {
            Ok(Json(json!({ "twoFAPending": true, "tempToken": pending_token })).into_response())
        }
        Err(ServiceError::Unauthenticated) => Err(CompatError::new(
            StatusCode::NOT_FOUND,
            "Email or password is incorrect.",
        )),
        Err(other) => Err(CompatError::from_service(other)),
    }
}

/// `POST /api/auth/register`: 200 `{message}` (also when the address is taken); 403 when
/// registration is closed or the domain is not allowed; 400 invalid; 429 too many.
pub async fn register(
    State(state): State<AppState>,
    client: Client,
    CompatJson(body): CompatJson<RegisterRequest>,
) -> Result<Response, CompatError> {
    state
        .limits
        .check(Rule::Register, &[("ip", client.ip())])
        .await
        .map_err(CompatError::rate_limited)?;
    let _invite = body.token;
    let registration = Registration {
        name: body.name,
        email: body.email,
        username: body.username,
        password: body.password,
        confirm_password: body.confirm_password,
    };
    state
        .services
        .auth
        .register(registration)
        .await
        .map_err(CompatError::from_service)?;
    Ok(Json(json!({ "message": REGISTERED })).into_response())
}

/// `POST /api/auth/refresh`: cookie in, new access token and rotated cookie out. No cookie is a
/// 200 text answer (the client then shows the login page); every other failure is 403, never
/// 401, so the client's 401 interceptor cannot loop on it.
pub async fn refresh(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = check_origin(&state, &headers) {
        return e.into_response();
    }
    if let Err(wait) = state
        .limits
        .check(Rule::Refresh, &[("ip", client.ip())])
        .await
    {
        return CompatError::rate_limited(wait).into_response();
    }
    let Some(token) = cookies::get(&headers, cookies::REFRESH) else {
        return (StatusCode::OK, "Refresh token not provided").into_response();
    };
    match state.services.auth.refresh(&token).await {
        Ok(grant) => grant_response(&state, grant),
        Err(ServiceError::Unauthenticated | ServiceError::Forbidden(_)) => {
            let mut response = (StatusCode::FORBIDDEN, "Invalid refresh token").into_response();
            cookies::clear(response.headers_mut(), cookies::secure(&state));
            response
        }
        Err(other) => CompatError::from_service(other).into_response(),
    }
}

/// `POST /api/auth/logout`: ends the bearer token's session (and the cookie's, if it names
/// another) and clears the cookies.
pub async fn logout(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
) -> Result<Response, CompatError> {
    check_origin(&state, &headers)?;
    // The extractor accepts only session tokens on this door, so there always is one.
    let session_id = auth
        .session_id
        .ok_or_else(|| CompatError::new(StatusCode::UNAUTHORIZED, "Unauthorized"))?;
    let services = &state.services.auth;
    services
        .logout(session_id)
        .await
        .map_err(CompatError::from_service)?;
    if let Some(token) = cookies::get(&headers, cookies::REFRESH) {
        let cookie_session = services
            .session_for_refresh_token(&token)
            .await
            .map_err(CompatError::from_service)?;
        if let Some(id) = cookie_session.filter(|id| *id != session_id) {
            services
                .logout(id)
                .await
                .map_err(CompatError::from_service)?;
        }
    }
    let mut response = Json(json!({ "message": "Logout successful" })).into_response();
    cookies::clear(response.headers_mut(), cookies::secure(&state));
    Ok(response)
}
