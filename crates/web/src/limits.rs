//! Rate limits for the sensitive routes, counted in process or in Redis.

use std::sync::Arc;
use std::time::Duration;

use ferrochat_cache::{Decision, Quota, RateLimiter};
use ferrochat_config::{Limit, LimitsConfig};

/// Which limit a hit counts against.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// `LOGIN_MAX` per `LOGIN_WINDOW`.
    Login,
    /// `REGISTER_MAX` per `REGISTER_WINDOW`.
    Register,
    /// `REFRESH_MAX` per `REFRESH_WINDOW`.
    Refresh,
    /// `RESET_PASSWORD_MAX` per `RESET_PASSWORD_WINDOW`.
    ResetPassword,
    /// `VERIFY_EMAIL_MAX` per `VERIFY_EMAIL_WINDOW`.
    VerifyEmail,
    /// `API_LIMIT_MAX` per `API_LIMIT_WINDOW`.
    Api,
    /// Password guesses at a shared link: the login quota, counted apart.
    SharePassword,
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::Login => "login",
            Rule::Register => "register",
            Rule::Refresh => "refresh",
            Rule::ResetPassword => "reset_password",
            Rule::VerifyEmail => "verify_email",
            Rule::Api => "api",
            Rule::SharePassword => "share_password",
        }
    }
}

/// The limiter plus the configured quotas.
#[derive(Clone)]
pub struct RateLimits {
    limiter: Arc<dyn RateLimiter>,
    config: LimitsConfig,
}

impl RateLimits {
    /// Limits over a limiter backend.
    pub fn new(limiter: Arc<dyn RateLimiter>, config: LimitsConfig) -> Self {
        Self { limiter, config }
    }

    /// The window of a rule.
    pub fn window(&self, rule: Rule) -> Duration {
        self.quota(rule).window
    }

    fn quota(&self, rule: Rule) -> Quota {
        let Limit { max, window } = match rule {
            Rule::Login | Rule::SharePassword => self.config.login,
            Rule::Register => self.config.register,
            Rule::Refresh => self.config.refresh,
            Rule::ResetPassword => self.config.reset_password,
            Rule::VerifyEmail => self.config.verify_email,
            Rule::Api => self.config.api,
        };
        Quota { max, window }
    }

    /// Counts a hit against each key and returns the tightest state: the fewest hits remaining
    /// (with its reset time), or the longest wait when any key is over its quota. Limiter
    /// failures let the request through, as in [`RateLimits::check`].
    pub async fn meter(&self, rule: Rule, keys: &[(&str, &str)]) -> Metered {
        let quota = self.quota(rule);
        let mut out = Metered {
            limit: quota.max,
            remaining: quota.max,
            reset_in: quota.window,
            retry_after: None,
        };
        for (scope, value) in keys {
            let key = format!("rl:{}:{scope}:{value}", rule.name());
            match self.limiter.hit(&key, quota).await {
                Ok(Decision::Allowed {
                    remaining,
                    reset_in,
                }) => {
                    if remaining < out.remaining {
                        out.remaining = remaining;
                        out.reset_in = reset_in;
                    }
                }
                Ok(Decision::Limited { retry_after }) => {
                    out.remaining = 0;
                    let wait = out.retry_after.map_or(retry_after, |w| w.max(retry_after));
                    out.retry_after = Some(wait);
                    out.reset_in = wait;
                }
                Err(e) => tracing::error!(error = %e, "rate limiter unavailable; allowing request"),
            }
        }
        out
    }

    /// Counts a hit for each `(scope, value)` key (e.g. `("ip", "192.0.2.1")`,
    /// `("account", "ada@example.com")`) and returns the longest wait if any is over its quota.
    /// A limiter failure (Redis down) is logged and lets the request through: an outage of the
    /// counter store must not lock every user out.
    pub async fn check(&self, rule: Rule, keys: &[(&str, &str)]) -> Result<(), Duration> {
        let quota = self.quota(rule);
        let mut wait: Option<Duration> = None;
        for (scope, value) in keys {
            let key = format!("rl:{}:{scope}:{value}", rule.name());
            match self.limiter.hit(&key, quota).await {
                Ok(Decision::Allowed { .. }) => {}
                Ok(Decision::Limited { retry_after }) => {
                    wait = Some(wait.map_or(retry_after, |w| w.max(retry_after)));
                }
                Err(e) => tracing::error!(error = %e, "rate limiter unavailable; allowing request"),
            }
        }
        match wait {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// Clears a key's count (a successful login forgets the account's failed attempts).
    pub async fn clear(&self, rule: Rule, scope: &str, value: &str) {
        let key = format!("rl:{}:{scope}:{value}", rule.name());
        if let Err(e) = self.limiter.reset(&key).await {
            tracing::error!(error = %e, "rate limiter unavailable");
        }
    }
}

/// Where a caller stands against a limit after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metered {
    /// Requests per window.
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// Time until the window resets.
    pub reset_in: Duration,
    /// Set when the request is over the limit.
    pub retry_after: Option<Duration>,
}

/// Where the authentication extractor leaves a request's rate-limit state for
/// [`api_rate_headers`] to report.
#[derive(Clone, Debug, Default)]
pub struct RateSlot(Arc<std::sync::Mutex<Option<Metered>>>);

impl RateSlot {
    /// Records the state (the extractor calls this once per request).
    pub fn set(&self, metered: Metered) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(metered);
        }
    }

    fn take(&self) -> Option<Metered> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Whole seconds, rounded up (a reset "in 0 s" would invite a hot loop).
fn secs_up(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

/// For `/api/v1`: reports the caller's rate-limit state in the IETF `RateLimit` and
/// `RateLimit-Policy` headers (`"api";r=<remaining>;t=<seconds to reset>`, `"api";q=<limit>;
/// w=<window seconds>`), and `Retry-After` on 429. The counting itself happens in the
/// authentication extractor, which knows the credential (per user, and per API key).
pub async fn api_rate_headers(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let slot = RateSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = next.run(req).await;
    if let Some(m) = slot.take() {
        let window = state.limits.window(Rule::Api);
        let headers = response.headers_mut();
        let mut put = |name: &'static str, value: String| {
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        put(
            "ratelimit",
            format!("\"api\";r={};t={}", m.remaining, secs_up(m.reset_in)),
        );
        put(
            "ratelimit-policy",
            format!("\"api\";q={};w={}", m.limit, secs_up(window)),
        );
        if let Some(wait) = m.retry_after {
            put("retry-after", secs_up(wait).to_string());
        }
    }
    response
}
