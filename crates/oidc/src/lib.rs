//! OpenID Connect, relying-party side: the parts ferrochat needs to let users sign in with an
//! identity provider (Keycloak, Authentik, Entra ID, Google, …).
//!
//! Authorization-code flow with PKCE (S256), `state` and `nonce`; the ID token is checked for
//! signature (provider's JWKS, asymmetric algorithms only), issuer, audience, authorized party,
//! expiry, issue time and nonce. The provider is configured by the operator, so its URLs are
//! trusted (no SSRF guard here).
#![warn(missing_docs)]

mod id_token;
mod pkce;
mod provider;

pub use id_token::{IdClaims, validate_id_token};
pub use pkce::{challenge, random_url_token};
pub use provider::{Metadata, OidcProvider, ProviderSettings};

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
