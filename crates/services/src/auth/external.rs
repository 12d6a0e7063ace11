//! Sign-in through external identity providers (OpenID Connect: a generic issuer, Google).
//!
//! Rules: an account is found by its linked identity (provider + subject) first; otherwise by
//! email, and only when the provider says the email is verified, in which case the identity is
//! linked to that account; otherwise a new account is created when social registration is
//! allowed. An unverified email never creates or links anything. The round trip is protected
//! by `state` (bound to the browser by a signed HttpOnly cookie), PKCE and the ID token's
//! `nonce`.

use std::collections::BTreeMap;

use ferrochat_core::{NewUser, Role, User};
use ferrochat_oidc::{ExternalIdentity, ExternalProvider, challenge, random_url_token};
use ferrochat_store::StoreError;
use subtle::ConstantTimeEq as _;

use super::tokens::OAuthState;
use super::{AuthService, ClientInfo, Grant};
use crate::{ServiceError, ServiceResult, validate};

/// The configured providers by route name (`openid`, `google`).
#[derive(Clone, Default)]
pub struct Providers(BTreeMap<String, ExternalProvider>);

impl Providers {
    /// Adds a provider under its route name.
    pub fn insert(&mut self, name: &str, provider: ExternalProvider) {
        self.0.insert(name.to_owned(), provider);
    }

    /// Route names of the configured providers.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Where to send the browser, and the cookie that must accompany it back.
#[derive(Clone, Debug)]
pub struct ExternalStart {
    /// The provider's authorization URL.
    pub redirect_url: String,
    /// Signed round-trip state for the cookie.
    pub state_cookie: String,
}

fn provider_error(e: ferrochat_oidc::OidcError) -> ServiceError {
    tracing::warn!(error = %e, "external sign-in failed");
    ServiceError::Unauthenticated
}

impl AuthService {
    fn provider(&self, name: &str) -> ServiceResult<&ExternalProvider> {
        if !self.policy.allow_social_login {
            return Err(ServiceError::NotFound("sign-in provider"));
        }
        self.providers
            .0
            .get(name)
            .ok_or(ServiceError::NotFound("sign-in provider"))
    }

    /// Route names of the providers offered to users (none when social sign-in is off).
    pub fn offered_providers(&self) -> Vec<String> {
        if !self.policy.allow_social_login {
            return Vec::new();
        }
        self.providers.names().map(str::to_owned).collect()
    }

    /// Whether social sign-in is on and `name` is configured.
    pub fn has_provider(&self, name: &str) -> bool {
        self.provider(name).is_ok()
    }

    /// Starts a sign-in: fresh state, nonce and PKCE verifier.
    pub async fn begin_external(&self, name: &str) -> ServiceResult<ExternalStart> {
        let provider = self.provider(name)?;
        let random = || random_url_token().map_err(|e| ServiceError::Internal(Box::new(e)));
        let flow = OAuthState {
            provider: name.to_owned(),
            state: random()?,
            nonce: random()?,
            verifier: random()?,
        };
        let redirect_url = provider
            .authorization_url(&flow.state, &flow.nonce, &challenge(&flow.verifier))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, provider = name, "identity provider unavailable");
                ServiceError::Unavailable(e.to_string())
            })?;
        let state_cookie = self.tokens.issue_oauth_state(flow, self.clock.now())?;
        Ok(ExternalStart {
            redirect_url,
            state_cookie,
        })
    }

    /// Completes a sign-in at the callback. Every failure is `Unauthenticated` (the reason is
    /// logged), except a banned account (`Forbidden`).
    pub async fn finish_external(
        &self,
        name: &str,
        code: &str,
        state: &str,
        state_cookie: &str,
        client: ClientInfo,
    ) -> ServiceResult<Grant> {
        let provider = self.provider(name)?;
        let flow = self.tokens.verify_oauth_state(state_cookie)?;
        let state_ok = bool::from(flow.state.as_bytes().ct_eq(state.as_bytes()));
        if flow.provider != name || !state_ok {
            tracing::warn!(provider = name, "OAuth state mismatch");
            return Err(ServiceError::Unauthenticated);
        }
        let claims = provider
            .exchange(code, &flow.verifier, &flow.nonce)
            .await
            .map_err(provider_error)?;
        let user = self.user_for_identity(name, &claims).await?;
        if user.banned {
            return Err(ServiceError::Forbidden(
                "Your account has been temporarily banned.",
            ));
        }
        self.open_session(user, client).await
    }

    async fn user_for_identity(
        &self,
        provider: &str,
        claims: &ExternalIdentity,
    ) -> ServiceResult<User> {
        match self.store.user_by_identity(provider, &claims.subject).await {
            Ok(user) => return Ok(user),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        let verified = claims.email_verified;
        let Some(email) = claims.email.as_deref().filter(|_| verified) else {
            tracing::warn!(
                provider,
                "identity without a verified email; not linking or creating"
            );
            return Err(ServiceError::Unauthenticated);
        };
        let mut checks = validate::Checks::default();
        let email = validate::email(email, &mut checks);
        checks.finish().map_err(|_| ServiceError::Unauthenticated)?;
        let now = self.clock.now();
        let user = match self.store.user_by_email(&email).await {
            Ok(user) => user,
            Err(StoreError::NotFound) if self.policy.allow_social_registration => {
                let role = if self.store.count_users().await? == 0 {
                    Role::Admin
                } else {
                    Role::User
                };
                let name = claims
                    .name
                    .clone()
                    .or_else(|| claims.username.clone())
                    .unwrap_or_else(|| email.split('@').next().unwrap_or("user").to_owned());
                let new = NewUser {
                    email: email.clone(),
                    username: None,
                    name: name.chars().take(validate::NAME_MAX).collect(),
                    provider: provider.to_owned(),
                    role,
                    password_hash: None,
                    email_verified: true,
                };
                self.store.create_user(new, now).await?
            }
            Err(StoreError::NotFound) => {
                tracing::warn!(
                    provider,
                    "no account for this identity and social registration is off"
                );
                return Err(ServiceError::Unauthenticated);
            }
            Err(e) => return Err(e.into()),
        };
        self.store
            .link_identity(provider, &claims.subject, user.id, now)
            .await?;
        Ok(user)
    }
}
