//! One configured identity provider: discovery, the authorization URL, the code exchange.

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::{IdClaims, OidcError, validate_id_token};

/// What the operator configures.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// Issuer URL (discovery is at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    /// OAuth client ID.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Space-separated scopes; must include `openid`.
    pub scope: String,
    /// Where the provider sends the browser back (`…/oauth/openid/callback`).
    pub redirect_uri: String,
}

/// The parts of the discovery document ferrochat uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Metadata {
    /// Issuer; must equal the configured one.
    pub issuer: String,
    /// Browser-facing authorization endpoint.
    pub authorization_endpoint: String,
    /// Back-channel token endpoint.
    pub token_endpoint: String,
    /// Signing keys.
    pub jwks_uri: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

/// A provider with its discovery document and keys cached after first use.
pub struct OidcProvider {
    settings: ProviderSettings,
    http: reqwest::Client,
    cache: RwLock<Option<(Metadata, JwkSet)>>,
}

impl OidcProvider {
    /// A provider; nothing is fetched until the first sign-in.
    pub fn new(settings: ProviderSettings) -> Result<Self, OidcError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Http(e.to_string()))?;
        Ok(Self {
            settings,
            http,
            cache: RwLock::new(None),
        })
    }

    /// The configured settings.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        if !res.status().is_success() {
            return Err(OidcError::Http(format!("{url}: {}", res.status())));
        }
        res.json()
            .await
            .map_err(|e| OidcError::Protocol(format!("{url}: {e}")))
    }

    /// Discovery document and keys, fetched once (and again when `refresh` asks, e.g. after a
    /// key rotation made a token's `kid` unknown).
    async fn metadata(&self, refresh: bool) -> Result<(Metadata, JwkSet), OidcError> {
        if !refresh && let Some(cached) = self.cache.read().await.as_ref() {
            return Ok(cached.clone());
        }
        let issuer = self.settings.issuer.trim_end_matches('/');
        let meta: Metadata = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        if meta.issuer.trim_end_matches('/') != issuer {
            return Err(OidcError::Protocol(format!(
                "discovery issuer {} differs from the configured {issuer}",
                meta.issuer
            )));
        }
        let jwks: JwkSet = self.get_json(&meta.jwks_uri).await?;
        *self.cache.write().await = Some((meta.clone(), jwks.clone()));
        Ok((meta, jwks))
    }

    /// The URL to send the browser to.
    pub async fn authorization_url(
        &self,
        state: &str,
        nonce: &str,
        challenge: &str,
    ) -> Result<String, OidcError> {
        let (meta, _) = self.metadata(false).await?;
        let params = [
            ("response_type", "code"),
            ("client_id", self.settings.client_id.as_str()),
            ("redirect_uri", self.settings.redirect_uri.as_str()),
            ("scope", self.settings.scope.as_str()),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        let url = reqwest::Url::parse_with_params(&meta.authorization_endpoint, params)
            .map_err(|e| OidcError::Protocol(format!("authorization endpoint: {e}")))?;
        Ok(url.into())
    }

    /// Exchanges the code (with the PKCE verifier) and validates the ID token.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, OidcError> {
        let (meta, jwks) = self.metadata(false).await?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.settings.redirect_uri.as_str()),
            ("code_verifier", verifier),
        ];
        let res = self
            .http
            .post(&meta.token_endpoint)
            .basic_auth(&self.settings.client_id, Some(&self.settings.client_secret))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        if !res.status().is_success() {
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            return Err(OidcError::Http(format!(
                "token endpoint: {status} {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        let tokens: TokenResponse = res
            .json()
            .await
            .map_err(|e| OidcError::Protocol(e.to_string()))?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| OidcError::Protocol("no id_token in the token response".into()))?;
        let issuer = meta.issuer.clone();
        match validate_id_token(&id_token, &jwks, &issuer, &self.settings.client_id, nonce) {
            Err(OidcError::InvalidToken(why)) if why == "unknown signing key" => {
                let (_, fresh) = self.metadata(true).await?;
                validate_id_token(&id_token, &fresh, &issuer, &self.settings.client_id, nonce)
            }
            other => other,
        }
    }
}
