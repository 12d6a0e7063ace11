//! Authentication extractors. Handlers never parse credentials themselves: they ask for an
//! [`AuthUser`] (or [`AdminUser`]) and get a verified, current, unbanned user or a rejection.
//!
//! Only the `Authorization: Bearer` header is read here, never a cookie: a request that merely
//! carries cookies (as every cross-site request a browser makes does) authenticates nothing.
//! The one cookie-authenticated action, refreshing, has its own route with an origin check.

use axum::extract::FromRequestParts;
use ferrochat_core::{ApiKeyId, Role, Scope, SessionId, User};
use ferrochat_services::ServiceError;
use http::header;
use http::request::Parts;

use crate::{ApiError, AppState, ErrorCode};

/// The caller, authenticated by a bearer access token (a session) or, on the native API, by
/// a personal API key whose scopes allow the request.
#[derive(Clone, Debug)]
pub struct AuthUser {
    /// The user, loaded for this request.
    pub user: User,
    /// The session the token belongs to; `None` for an API key.
    pub session_id: Option<SessionId>,
    /// The API key used, if the credential was one.
    pub api_key: Option<ApiKeyId>,
    /// That key's scopes (empty for a session, which may do anything its user may).
    pub scopes: Vec<Scope>,
}

impl AuthUser {
    /// Whether the credential allows `scope`: always for a session, by its scopes for a key.
    pub fn allows(&self, scope: Scope) -> bool {
        self.api_key.is_none() || self.scopes.contains(&scope)
    }
}

/// The scope a request needs when made with an API key: `admin` under `/api/v1/admin`, `chat`
/// for `/api/v1/chat`, `read` for GET and HEAD and for GraphQL (whose mutations check `write`
/// themselves), `write` for everything else.
pub fn required_scope(method: &http::Method, path: &str) -> Scope {
    // Reads sent as POST: a GraphQL query (mutations check `write` themselves) and filling in
    // a prompt template.
    if path.starts_with("/api/v1/graphql")
        || (path.starts_with("/api/v1/prompts/") && path.ends_with("/render"))
    {
        Scope::Read
    } else if path.starts_with("/api/v1/admin") {
        Scope::Admin
    } else if path == "/api/v1/chat" || path.starts_with("/api/v1/chat/") {
        Scope::Chat
    } else if method == http::Method::GET || method == http::Method::HEAD {
        Scope::Read
    } else {
        Scope::Write
    }
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, detail)
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
        let token =
            bearer_token(parts).ok_or_else(|| unauthenticated("a bearer token is required"))?;
        let auth = authenticate(state, token, &parts.method, parts.uri.path()).await?;
        meter(parts, state, &auth).await?;
        Ok(auth)
    }
}

/// Who a bearer credential belongs to, for a request of `method` to `path`: an access token of
/// a live session, or (under `/api/v1/` only) a personal API key whose scopes allow the
/// request. The extractor's rules, for doors that get the token another way (a WebSocket's
/// first frame).
pub async fn authenticate(
    state: &AppState,
    token: &str,
    method: &http::Method,
    path: &str,
) -> Result<AuthUser, ApiError> {
    if token.starts_with(ferrochat_services::api_keys::TOKEN_PREFIX) {
        // API keys belong to the native API; the LibreChat door and the ops routes never
        // accept them.
        if !path.starts_with("/api/v1/") {
            return Err(unauthenticated("API keys are accepted on /api/v1 only"));
        }
        let (user, key) = match state.services.api_keys.authenticate(token).await {
            Ok(found) => found,
            Err(ServiceError::Unauthenticated) => {
                return Err(unauthenticated(
                    "the API key is invalid, revoked or expired",
                ));
            }
            Err(other) => return Err(other.into()),
        };
        let needed = required_scope(method, path);
        if !key.scopes.contains(&needed) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("this API key lacks the `{}` scope", needed.as_str()),
            ));
        }
        return Ok(AuthUser {
            user,
            session_id: None,
            api_key: Some(key.id),
            scopes: key.scopes,
        });
    }
    match state.services.auth.authenticate(token).await {
        Ok(found) => Ok(AuthUser {
            user: found.user,
            session_id: Some(found.session_id),
            api_key: None,
            scopes: Vec::new(),
        }),
        Err(ServiceError::Unauthenticated) => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "the access token is invalid or expired",
        )),
        Err(other) => Err(other.into()),
    }
}

/// Counts a native-API request against the caller's limits: per user, and per API key when
/// one is used (so one runaway script cannot exhaust its owner's other keys' budget, and many
/// keys cannot multiply the owner's). Other doors have their own, route-specific limits.
async fn meter(parts: &Parts, state: &AppState, auth: &AuthUser) -> Result<(), ApiError> {
    if !parts.uri.path().starts_with("/api/v1/") {
        return Ok(());
    }
    let user = auth.user.id.to_string();
    let key = auth.api_key.map(|k| k.to_string());
    let mut keys = vec![("user", user.as_str())];
    if let Some(k) = key.as_deref() {
        keys.push(("key", k));
    }
    let metered = state.limits.meter(crate::limits::Rule::Api, &keys).await;
    if let Some(slot) = parts.extensions.get::<crate::limits::RateSlot>() {
        slot.set(metered);
    }
    match metered.retry_after {
        Some(wait) => Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "too many requests: {} per window; retry in {} s",
                metered.limit,
                wait.as_secs().max(1)
            ),
        )),
        None => Ok(()),
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

/// The caller if a valid credential came with the request, `None` otherwise (no token, or one
/// that is invalid or expired): for routes anyone may call, where signing in only adds
/// something (the owner of a shared link needs no password for it).
#[derive(Clone, Debug)]
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if bearer_token(parts).is_none() {
            return Ok(Self(None));
        }
        Ok(Self(AuthUser::from_request_parts(parts, state).await.ok()))
    }
}
