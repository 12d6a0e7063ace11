//! Shared by the Redis-backed tests.

use std::io::Write as _;

/// The test Redis's URL and a fresh key prefix; `None` (said loudly) without TEST_REDIS_URL.
pub fn redis(what: &str) -> Option<(String, String)> {
    let Some(url) = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED: {what} on Redis: set TEST_REDIS_URL to run it ***"
        );
        return None;
    };
    let prefix = format!("ferrochat-test-{}", uuid::Uuid::new_v4().simple());
    Some((url, prefix))
}
