//! `/oauth/{provider}` and its callback (§2.10): the browser goes to the provider and comes
//! back with a code; on success the refresh cookies are set and the browser lands on the
//! client, which then performs its silent refresh.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use ferrochat_services::ServiceError;
use ferrochat_web::{AppState, Client};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::cookies;
use crate::error::CompatError;

/// Cookie carrying the signed round-trip state. Scoped to `/oauth` and SameSite=Lax: it must
/// ride along on the provider's top-level redirect back to the callback, and nowhere else.
const STATE_COOKIE: &str = "ferrochat_oauth";

/// Callback query.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn state_cookie(value: &str, max_age: u32, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{STATE_COOKIE}={value}; Path=/oauth; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// Where a failed sign-in lands: the client's login page with its error toast.
fn failure(state: &AppState) -> Response {
    let target = format!(
        "{}/login?redirect=false&error=auth_failed",
        state.config.server.domain_client
    );
    let mut response = Redirect::to(&target).into_response();
    if let Some(clear) = state_cookie("", 0, cookies::secure(state)) {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    response
}

/// `GET /oauth/{provider}`: redirect to the provider.
pub async fn start(State(state): State<AppState>, Path(provider): Path<String>) -> Response {
    if !state.services.auth.has_provider(&provider) {
        return CompatError::new(StatusCode::NOT_FOUND, "Unknown sign-in provider").into_response();
    }
    match state.services.auth.begin_external(&provider).await {
        Ok(start) => {
            let mut response = Redirect::to(&start.redirect_url).into_response();
            if let Some(cookie) = state_cookie(&start.state_cookie, 600, cookies::secure(&state)) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => {
            tracing::warn!(error = %e, provider, "cannot start external sign-in");
            failure(&state)
        }
    }
}

/// `GET /oauth/{provider}/callback`: finish the sign-in.
pub async fn callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(query): Query<CallbackQuery>,
    client: Client,
    headers: HeaderMap,
) -> Response {
    if let Some(error) = &query.error {
        tracing::info!(provider, error, "provider reported a failed sign-in");
        return failure(&state);
    }
    let (Some(code), Some(returned_state), Some(cookie)) = (
        query.code.as_deref(),
        query.state.as_deref(),
        cookies::get(&headers, STATE_COOKIE),
    ) else {
        return failure(&state);
    };
    match state
        .services
        .auth
        .finish_external(&provider, code, returned_state, &cookie, client.0)
        .await
    {
        Ok(grant) => {
            let mut response =
                Redirect::to(&format!("{}/", state.config.server.domain_client)).into_response();
            let headers = response.headers_mut();
            cookies::set(
                headers,
                &grant.refresh_token,
                grant.refresh_expires_at,
                cookies::secure(&state),
            );
            if let Some(clear) = state_cookie("", 0, cookies::secure(&state)) {
                headers.append(header::SET_COOKIE, clear);
            }
            response
        }
        Err(ServiceError::Unavailable(reason)) => {
            tracing::error!(%reason, provider, "identity provider unavailable");
            failure(&state)
        }
        Err(_) => failure(&state),
    }
}
