//! Authentication extractors. Handlers never parse credentials themselves: they ask for an
//! [`AuthUser`] (or [`AdminUser`]) and get a verified, current, unbanned user or a rejection.
//!
//! Only the `Authorization: Bearer` header is read here, never a cookie: a request that merely
//! carries cookies (as every cross-site request a browser makes does) authenticates nothing.
//! The one cookie-authenticated action, refreshing, has its own route with an origin check.

use axum::extract::FromRequestParts;
use ferrochat_core::{Role, SessionId, User};
use ferrochat_services::ServiceError;
use http::header;
use http::request::Parts;

use crate::{ApiError, AppState, ErrorCode};

/// The caller, authenticated by a bearer access token.
#[derive(Clone, Debug)]
pub struct AuthUser {
    /// The user, loaded for this request.
    pub user: User,
    /// The session the token belongs to.
    pub session_id: SessionId,
}

/// The bearer token of a request, if it has a well-formed `Authorization: Bearer …` header.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated, "a bearer token is required")
        })?;
        match state.services.auth.authenticate(token).await {
            Ok(auth) => Ok(AuthUser {
                user: auth.user,
                session_id: auth.session_id,
            }),
            Err(ServiceError::Unauthenticated) => Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "the access token is invalid or expired",
            )),
            Err(other) => Err(other.into()),
        }
    }
}

/// An authenticated caller with the ADMIN role; everyone else gets 403.
#[derive(Clone, Debug)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.user.role != Role::Admin {
            return Err(ApiError::new(ErrorCode::Forbidden, "administrators only"));
        }
        Ok(AdminUser(user))
    }
}
