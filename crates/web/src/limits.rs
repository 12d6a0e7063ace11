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
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::Login => "login",
            Rule::Register => "register",
            Rule::Refresh => "refresh",
            Rule::ResetPassword => "reset_password",
            Rule::VerifyEmail => "verify_email",
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

    fn quota(&self, rule: Rule) -> Quota {
        let Limit { max, window } = match rule {
            Rule::Login => self.config.login,
            Rule::Register => self.config.register,
            Rule::Refresh => self.config.refresh,
            Rule::ResetPassword => self.config.reset_password,
            Rule::VerifyEmail => self.config.verify_email,
        };
        Quota { max, window }
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
