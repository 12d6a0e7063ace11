//! Token balances (LibreChat's `balance` settings): credits where 1,000,000 = 1 USD of usage,
//! so an answer costs its tokens times the model's price per million tokens. A user without
//! credits is refused before any upstream call; each answer is debited in the transaction that
//! stores it.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use ferrochat_config::BalanceConfig;
use ferrochat_core::UserId;
use ferrochat_store::{Balance, DynStore};

use crate::{Clock, ServiceResult};

/// USD per million tokens (prompt, completion) by model family, the providers' list prices;
/// the first match wins, so more specific names come first.
const PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.6),
    ("gpt-4o", 2.5, 10.0),
    ("gpt-4.1-nano", 0.1, 0.4),
    ("gpt-4.1-mini", 0.4, 1.6),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-5-nano", 0.05, 0.4),
    ("gpt-5-mini", 0.25, 2.0),
    ("gpt-5", 1.25, 10.0),
    ("o4-mini", 1.1, 4.4),
    ("o3-mini", 1.1, 4.4),
    ("o3", 2.0, 8.0),
    ("gpt-4-turbo", 10.0, 30.0),
    ("gpt-4", 30.0, 60.0),
    ("gpt-3.5", 0.5, 1.5),
    ("claude-opus", 15.0, 75.0),
    ("claude-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-haiku", 1.0, 5.0),
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash-lite", 0.1, 0.4),
    ("gemini-2.5-flash", 0.3, 2.5),
    ("gemini-2.0-flash", 0.1, 0.4),
    ("gemini-1.5-pro", 1.25, 5.0),
    ("gemini-1.5-flash", 0.075, 0.3),
];

/// LibreChat's price for models it does not know (per million tokens, both directions).
const DEFAULT_PRICE: f64 = 6.0;

/// Credits for `prompt` and `completion` tokens of `model`.
pub fn cost(model: &str, prompt: u32, completion: u32) -> i64 {
    let m = model.to_ascii_lowercase();
    let (p, c) = PRICES
        .iter()
        .find(|(name, _, _)| m.contains(name))
        .map_or((DEFAULT_PRICE, DEFAULT_PRICE), |(_, p, c)| (*p, *c));
    (f64::from(prompt) * p + f64::from(completion) * c).ceil() as i64
}

/// Balances.
#[derive(Clone)]
pub struct Balances {
    store: DynStore,
    clock: Arc<dyn Clock>,
    config: BalanceConfig,
}

impl Balances {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, config: BalanceConfig) -> Self {
        Self {
            store,
            clock,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &BalanceConfig {
        &self.config
    }

    /// The user's balance: created with the start balance on first use, refilled when a refill
    /// is due. `None` when balances are off.
    pub async fn current(&self, user: UserId) -> ServiceResult<Option<Balance>> {
        if !self.config.enabled {
            return Ok(None);
        }
        let now = self.clock.now();
        let mut balance = match self.store.balance(user).await? {
            Some(b) => b,
            None => {
                self.store
                    .create_balance(user, self.config.start_balance, now)
                    .await?;
                match self.store.balance(user).await? {
                    Some(b) => b,
                    None => return Ok(None),
                }
            }
        };
        if self.config.auto_refill && self.config.refill_amount > 0 {
            let due = now - ChronoDuration::seconds(self.config.refill_interval_secs);
            if balance.last_refill <= due
                && self
                    .store
                    .refill_balance(user, self.config.refill_amount, due, now)
                    .await?
                && let Some(b) = self.store.balance(user).await?
            {
                balance = b;
            }
        }
        Ok(Some(balance))
    }

    /// Adds credits (an administrator's top-up; negative removes). `false` without a balance.
    pub async fn adjust(&self, user: UserId, amount: i64) -> ServiceResult<bool> {
        self.current(user).await?;
        Ok(self
            .store
            .adjust_balance(user, amount, self.clock.now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_uses_list_prices_per_million_tokens() {
        assert_eq!(cost("gpt-4o-mini", 1_000_000, 0), 150_000);
        assert_eq!(cost("gpt-4o-mini-2024-07-18", 100, 100), 75);
        assert_eq!(cost("gpt-4o", 100, 100), 1250);
        assert_eq!(cost("claude-sonnet-4-5", 1000, 1000), 18_000);
        assert_eq!(cost("my-local-llama", 10, 10), 120);
    }
}
