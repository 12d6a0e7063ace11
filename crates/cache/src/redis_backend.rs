//! Redis fixed windows: one key per counter, created with the window as its expiry.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::{CacheError, Decision, Quota, RateLimiter, decide};

/// INCR and set the expiry on the first hit, atomically, returning the count and the time left.
/// A script, so a crash between INCR and PEXPIRE cannot leave a counter that never expires.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

/// Counters shared by every instance through Redis.
#[derive(Clone)]
pub struct RedisLimiter {
    conn: ConnectionManager,
    prefix: String,
    script: redis::Script,
}

impl RedisLimiter {
    /// Connects (and keeps reconnecting) to `url`; keys are namespaced under `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let conn = crate::manager(url).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            script: redis::Script::new(HIT),
        })
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn hit(&self, key: &str, quota: Quota) -> Result<Decision, CacheError> {
        let mut conn = self.conn.clone();
        let window_ms = u64::try_from(quota.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let (count, ttl_ms): (u64, i64) = self
            .script
            .key(format!("{}:{key}", self.prefix))
            .arg(window_ms)
            .invoke_async(&mut conn)
            .await?;
        let reset_in = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
        Ok(decide(count, quota, reset_in))
    }

    async fn reset(&self, key: &str) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let _: () = redis::cmd("DEL")
            .arg(format!("{}:{key}", self.prefix))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}
