//! OpenID Connect, relying-party side: the parts ferrochat needs to let users sign in with an
//! identity provider (Keycloak, Authentik, Entra ID, Google, …).
//!
//! Authorization-code flow with PKCE (S256), `state` and `nonce`; the ID token is checked for
//! signature (provider's JWKS, asymmetric algorithms only), issuer, audience, authorized party,
//! expiry, issue time and nonce. The provider is configured by the operator, so its URLs are
//! trusted (no SSRF guard here).
#![warn(missing_docs)]

mod id_token;
mod oauth2;
mod pkce;
mod provider;

use std::sync::Arc;

pub use id_token::{IdClaims, validate_id_token};
pub use oauth2::{OAuth2Kind, OAuth2Provider, OAuth2Settings};
pub use pkce::{challenge, random_url_token};
pub use provider::{Metadata, OidcProvider, ProviderSettings};

/// Who signed in, as the provider describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's stable ID for the user.
    pub subject: String,
    /// Email, if released.
    pub email: Option<String>,
    /// Whether the provider verified that email.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Handle.
    pub username: Option<String>,
    /// Avatar URL.
    pub picture: Option<String>,
}

impl From<IdClaims> for ExternalIdentity {
    fn from(c: IdClaims) -> Self {
        ExternalIdentity {
            subject: c.sub,
            email_verified: c.email_verified == Some(true),
            email: c.email,
            name: c.name,
            username: c.preferred_username,
            picture: c.picture,
        }
    }
}

/// Any sign-in provider: OpenID Connect or plain OAuth 2.0.
#[derive(Clone)]
pub enum ExternalProvider {
    /// OpenID Connect (generic issuer, Google).
    Oidc(Arc<OidcProvider>),
    /// OAuth 2.0 with a user API (GitHub, Discord).
    OAuth2(Arc<OAuth2Provider>),
}

impl ExternalProvider {
    /// The authorization URL for one round trip.
    pub async fn authorization_url(
        &self,
        state: &str,
        nonce: &str,
        challenge: &str,
    ) -> Result<String, OidcError> {
        match self {
            ExternalProvider::Oidc(p) => p.authorization_url(state, nonce, challenge).await,
            ExternalProvider::OAuth2(p) => p.authorization_url(state, challenge),
        }
    }

    /// Exchanges the code and returns the verified identity.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<ExternalIdentity, OidcError> {
        match self {
            ExternalProvider::Oidc(p) => p.exchange(code, verifier, nonce).await.map(Into::into),
            ExternalProvider::OAuth2(p) => p.exchange(code, verifier).await,
        }
    }
}

/// Why a sign-in through the provider failed. Reasons are for logs; users only learn that the
/// sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered with an error status.
    #[error("provider request failed: {0}")]
    Http(String),
    /// The provider's answer was not what the protocol says.
    #[error("provider answered unexpectedly: {0}")]
    Protocol(String),
    /// The ID token failed a check.
    #[error("ID token rejected: {0}")]
    InvalidToken(String),
}
