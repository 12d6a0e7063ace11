//! Plain OAuth 2.0 sign-in for providers without OpenID Connect (GitHub, Discord): the code is
//! exchanged for an access token, and the identity is read from the provider's user API. The
//! email counts as verified only when the provider says so.

use std::time::Duration;

use serde::Deserialize;

use crate::{ExternalIdentity, OidcError};

/// Which API to read the identity from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OAuth2Kind {
    /// github.com or GitHub Enterprise.
    GitHub,
    /// discord.com.
    Discord,
}

/// What the operator configures.
#[derive(Clone, Debug)]
pub struct OAuth2Settings {
    /// Which provider.
    pub kind: OAuth2Kind,
    /// Client ID.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// Callback URL registered at the provider.
    pub redirect_uri: String,
    /// Web base (`https://github.com`, a GitHub Enterprise URL, `https://discord.com`).
    pub base_url: String,
}

impl OAuth2Settings {
    fn endpoints(&self) -> (String, String, String) {
        let base = self.base_url.trim_end_matches('/');
        match self.kind {
            OAuth2Kind::GitHub => {
                let api = if base == "https://github.com" {
                    "https://api.github.com".to_owned()
                } else {
                    format!("{base}/api/v3")
                };
                (
                    format!("{base}/login/oauth/authorize"),
                    format!("{base}/login/oauth/access_token"),
                    api,
                )
            }
            OAuth2Kind::Discord => (
                format!("{base}/oauth2/authorize"),
                format!("{base}/api/oauth2/token"),
                format!("{base}/api"),
            ),
        }
    }
}

/// An OAuth 2.0 provider.
pub struct OAuth2Provider {
    settings: OAuth2Settings,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    login: String,
    name: Option<String>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

#[derive(Deserialize)]
struct DiscordUser {
    id: String,
    username: String,
    global_name: Option<String>,
    email: Option<String>,
    verified: Option<bool>,
    avatar: Option<String>,
}

impl OAuth2Provider {
    /// A provider.
    pub fn new(settings: OAuth2Settings) -> Result<Self, OidcError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("ferrochat")
            .build()
            .map_err(|e| OidcError::Http(e.to_string()))?;
        Ok(Self { settings, http })
    }

    /// The URL to send the browser to (`nonce` is unused: there is no ID token).
    pub fn authorization_url(&self, state: &str, challenge: &str) -> Result<String, OidcError> {
        let (authorize, _, _) = self.settings.endpoints();
        let scope = match self.settings.kind {
            OAuth2Kind::GitHub => "read:user user:email",
            OAuth2Kind::Discord => "identify email",
        };
        let params = [
            ("response_type", "code"),
            ("client_id", self.settings.client_id.as_str()),
            ("redirect_uri", self.settings.redirect_uri.as_str()),
            ("scope", scope),
            ("state", state),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ];
        reqwest::Url::parse_with_params(&authorize, params)
            .map(Into::into)
            .map_err(|e| OidcError::Protocol(e.to_string()))
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        token: &str,
    ) -> Result<T, OidcError> {
        let res = self
            .http
            .get(url)
            .bearer_auth(token)
            .header("accept", "application/json")
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

    /// Exchanges the code and reads the identity.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<ExternalIdentity, OidcError> {
        let (_, token_url, api) = self.settings.endpoints();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.settings.redirect_uri.as_str()),
            ("code_verifier", verifier),
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", self.settings.client_secret.as_str()),
        ];
        let res = self
            .http
            .post(&token_url)
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Http(e.to_string()))?;
        let status = res.status();
        let tokens: TokenResponse = res
            .json()
            .await
            .map_err(|e| OidcError::Protocol(e.to_string()))?;
        let token = match (status.is_success(), tokens.access_token, tokens.error) {
            (true, Some(token), None) => token,
            (_, _, error) => {
                return Err(OidcError::Http(format!(
                    "token endpoint: {status} {}",
                    error.unwrap_or_default()
                )));
            }
        };
        match self.settings.kind {
            OAuth2Kind::GitHub => {
                let user: GitHubUser = self.get(&format!("{api}/user"), &token).await?;
                let emails: Vec<GitHubEmail> =
                    self.get(&format!("{api}/user/emails"), &token).await?;
                let primary = emails.into_iter().find(|e| e.primary);
                Ok(ExternalIdentity {
                    subject: user.id.to_string(),
                    email_verified: primary.as_ref().is_some_and(|e| e.verified),
                    email: primary.map(|e| e.email),
                    name: user.name.or_else(|| Some(user.login.clone())),
                    username: Some(user.login),
                    picture: user.avatar_url,
                })
            }
            OAuth2Kind::Discord => {
                let user: DiscordUser = self.get(&format!("{api}/users/@me"), &token).await?;
                let picture = user
                    .avatar
                    .as_ref()
                    .map(|a| format!("https://cdn.discordapp.com/avatars/{}/{a}.png", user.id));
                Ok(ExternalIdentity {
                    email_verified: user.verified == Some(true),
                    email: user.email,
                    name: user.global_name.or_else(|| Some(user.username.clone())),
                    username: Some(user.username),
                    subject: user.id,
                    picture,
                })
            }
        }
    }
}
