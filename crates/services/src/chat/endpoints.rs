//! The configured endpoints as the engine uses them: which exist, which models they offer
//! (configured, plus fetched from the upstream and cached where the config says `fetch`), and
//! the provider that serves a request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrochat_config::{Credential, EndpointConfig, EndpointKind, EndpointsConfig};
use ferrochat_providers::egress::EgressGuard;
use ferrochat_providers::{ChatProvider, HttpClient, Kind, Upstream};

use crate::{ServiceError, ServiceResult};

/// How long a fetched model list is reused.
const MODELS_TTL: Duration = Duration::from_secs(600);

/// A user's own credentials for a `user_provided` endpoint.
#[derive(Clone, Debug, Default)]
pub struct UserCredentials {
    /// API key.
    pub api_key: Option<String>,
    /// Base URL (only for endpoints with `baseURL: user_provided`).
    pub base_url: Option<String>,
}

/// The endpoints registry.
pub struct Endpoints {
    config: EndpointsConfig,
    client: HttpClient,
    /// For user-supplied base URLs: resolves through the guard, follows no redirects.
    guarded: HttpClient,
    guard: EgressGuard,
    fetched: Mutex<HashMap<String, (Instant, Vec<String>)>>,
}

impl Endpoints {
    /// Builds the registry.
    pub fn new(config: EndpointsConfig, client: HttpClient) -> Self {
        let (guard, bad) = EgressGuard::new(&config.egress_allowlist);
        for entry in bad {
            tracing::warn!(%entry, "EGRESS_ALLOWLIST entry ignored: not an address, CIDR or host name");
        }
        Self {
            config,
            client,
            guarded: guard.client(),
            guard,
            fetched: Mutex::new(HashMap::new()),
        }
    }

    /// The one SSRF guard, with the operator's allowlist, for every other user-supplied URL
    /// (webhooks).
    pub fn egress_guard(&self) -> &EgressGuard {
        &self.guard
    }

    /// Checks the base URL a user supplied for an endpoint against the SSRF guard (operator
    /// URLs are trusted: local model servers must work).
    pub async fn check_user_url(
        &self,
        endpoint: &EndpointConfig,
        user: Option<&UserCredentials>,
    ) -> ServiceResult<()> {
        if endpoint.base_url != Credential::UserProvided {
            return Ok(());
        }
        let Some(url) = user.and_then(|u| u.base_url.as_deref()) else {
            return Ok(());
        };
        self.guard
            .check_url(url)
            .await
            .map_err(|e| ServiceError::invalid("baseURL", format!("is not allowed: {e}")))
    }

    /// The operator's speech engines (speech to text, text to speech) and the client that
    /// reaches them (operator URLs are trusted, as the endpoints' are).
    pub fn speech(
        &self,
    ) -> (
        Option<&ferrochat_config::SpeechEngineConfig>,
        Option<&ferrochat_config::SpeechEngineConfig>,
        &HttpClient,
    ) {
        (
            self.config.speech_stt.as_ref(),
            self.config.speech_tts.as_ref(),
            &self.client,
        )
    }

    /// Every endpoint, in menu order.
    pub fn list(&self) -> &[EndpointConfig] {
        &self.config.list
    }

    /// One endpoint by key.
    pub fn get(&self, name: &str) -> Option<&EndpointConfig> {
        self.config.get(name)
    }

    /// Token balance settings.
    pub fn balance_config(&self) -> &ferrochat_config::BalanceConfig {
        &self.config.balance
    }

    /// Longest wait for the next piece of an answer.
    pub fn idle_timeout(&self) -> Duration {
        self.config.idle_timeout
    }

    /// How long a temporary chat is kept.
    pub fn temporary_retention(&self) -> Duration {
        self.config.temporary_retention
    }

    /// The models an endpoint offers: the configured ones first, then those the upstream
    /// lists (when the config says `fetch` and the operator holds the key). A failing upstream
    /// leaves the configured list.
    pub async fn models(&self, endpoint: &EndpointConfig) -> Vec<String> {
        let mut models = endpoint.models.clone();
        if !endpoint.fetch_models || !matches!(endpoint.api_key, Credential::Configured(_)) {
            return models;
        }
        let cached = self
            .fetched
            .lock()
            .ok()
            .and_then(|m| m.get(&endpoint.name).cloned())
            .filter(|(at, _)| at.elapsed() < MODELS_TTL)
            .map(|(_, list)| list);
        let fetched = match cached {
            Some(list) => list,
            None => match self.provider(endpoint, None) {
                Ok(p) => match tokio::time::timeout(Duration::from_secs(10), p.models()).await {
                    Ok(Ok(list)) => {
                        if let Ok(mut m) = self.fetched.lock() {
                            m.insert(endpoint.name.clone(), (Instant::now(), list.clone()));
                        }
                        list
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(endpoint = %endpoint.name, error = %e, "listing models failed");
                        Vec::new()
                    }
                    Err(_) => {
                        tracing::warn!(endpoint = %endpoint.name, "listing models timed out");
                        Vec::new()
                    }
                },
                Err(_) => Vec::new(),
            },
        };
        for m in fetched {
            if !models.contains(&m) {
                models.push(m);
            }
        }
        models
    }

    /// The provider serving `endpoint`, with the user's credentials where the endpoint wants
    /// them. `no_user_key` when a needed key is missing.
    pub fn provider(
        &self,
        endpoint: &EndpointConfig,
        user: Option<&UserCredentials>,
    ) -> ServiceResult<Arc<dyn ChatProvider>> {
        let api_key = match &endpoint.api_key {
            Credential::Configured(k) => k.expose().to_owned(),
            Credential::UserProvided => user
                .and_then(|u| u.api_key.clone())
                .ok_or(ServiceError::Forbidden("no_user_key"))?,
        };
        let (base_url, client) = match &endpoint.base_url {
            Credential::Configured(u) => (u.expose().to_owned(), &self.client),
            Credential::UserProvided => (
                user.and_then(|u| u.base_url.clone())
                    .ok_or(ServiceError::Forbidden("no_base_url"))?
                    .trim_end_matches('/')
                    .to_owned(),
                &self.guarded,
            ),
        };
        let kind = match &endpoint.kind {
            EndpointKind::OpenAi | EndpointKind::Custom => Kind::OpenAi,
            EndpointKind::Azure {
                deployment,
                api_version,
            } => Kind::Azure {
                deployment: deployment.clone(),
                api_version: api_version.clone(),
            },
            EndpointKind::Anthropic => Kind::Anthropic,
            EndpointKind::Google => Kind::Google,
        };
        Ok(ferrochat_providers::connect(
            Upstream {
                kind,
                base_url,
                api_key,
                headers: endpoint.headers.clone(),
                add_params: endpoint.add_params.clone(),
                drop_params: endpoint.drop_params.clone(),
            },
            client.clone(),
        ))
    }

    /// Whether an endpoint needs the user's own key (or URL).
    pub fn needs_user_credentials(endpoint: &EndpointConfig) -> bool {
        endpoint.api_key == Credential::UserProvided
            || endpoint.base_url == Credential::UserProvided
    }
}

/// The name an answer is signed with when the user set no label: the endpoint's display label,
/// else a name for the provider (`GPT-4o-mini` for OpenAI models, as LibreChat shows them).
pub fn sender_label(endpoint: &EndpointConfig, model: &str, model_label: Option<&str>) -> String {
    if let Some(label) = model_label.map(str::trim).filter(|l| !l.is_empty()) {
        return label.to_owned();
    }
    if let Some(label) = &endpoint.display_label {
        return label.clone();
    }
    match endpoint.kind {
        EndpointKind::OpenAi | EndpointKind::Azure { .. } => match model.strip_prefix("gpt-") {
            Some(rest) => format!("GPT-{rest}"),
            None => "GPT".to_owned(),
        },
        EndpointKind::Anthropic => "Claude".to_owned(),
        EndpointKind::Google => "Gemini".to_owned(),
        EndpointKind::Custom => endpoint.name.clone(),
    }
}
