//! In-process fixed windows.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{CacheError, Decision, Quota, RateLimiter, decide};

/// Entries kept before expired windows are swept; bounds memory under key-spraying attacks.
const SWEEP_AT: usize = 10_000;

/// Counters in a mutex-guarded map: std `Mutex`, since no `.await` happens while it is held and
/// each critical section is a hash lookup.
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    windows: Mutex<HashMap<String, (Instant, Duration, u64)>>,
}

impl MemoryLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn hit(&self, key: &str, quota: Quota) -> Result<Decision, CacheError> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, window, _)| now.duration_since(*start) < *window);
        }
        let entry = windows
            .entry(key.to_owned())
            .or_insert((now, quota.window, 0));
        if now.duration_since(entry.0) >= entry.1 {
            *entry = (now, quota.window, 0);
        }
        entry.2 += 1;
        let reset_in = entry.1.saturating_sub(now.duration_since(entry.0));
        Ok(decide(entry.2, quota, reset_in))
    }

    async fn reset(&self, key: &str) -> Result<(), CacheError> {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_within_a_window_and_resets_after_it() {
        let limiter = MemoryLimiter::new();
        let quota = Quota {
            max: 2,
            window: Duration::from_millis(200),
        };
        assert!(matches!(
            limiter.hit("k", quota).await.unwrap(),
            Decision::Allowed { remaining: 1, .. }
        ));
        assert!(matches!(
            limiter.hit("k", quota).await.unwrap(),
            Decision::Allowed { remaining: 0, .. }
        ));
        assert!(matches!(
            limiter.hit("k", quota).await.unwrap(),
            Decision::Limited { .. }
        ));
        // Other keys are independent.
        assert!(matches!(
            limiter.hit("other", quota).await.unwrap(),
            Decision::Allowed { .. }
        ));
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(matches!(
            limiter.hit("k", quota).await.unwrap(),
            Decision::Allowed { .. }
        ));
        limiter.hit("k", quota).await.unwrap();
        limiter.reset("k").await.unwrap();
        assert!(matches!(
            limiter.hit("k", quota).await.unwrap(),
            Decision::Allowed { remaining: 1, .. }
        ));
    }
}
