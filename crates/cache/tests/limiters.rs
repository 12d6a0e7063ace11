//! The same limiter behaviour in process and on Redis (when TEST_REDIS_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use ferrochat_cache::{Decision, MemoryLimiter, Quota, RateLimiter, RedisLimiter};

async fn story(limiter: &dyn RateLimiter) {
    let key = format!("story-{}", uuid::Uuid::new_v4());
    let quota = Quota {
        max: 3,
        window: Duration::from_secs(2),
    };
    for remaining in [2, 1, 0] {
        assert!(matches!(
            limiter.hit(&key, quota).await.unwrap(),
            Decision::Allowed { remaining: r, .. } if r == remaining
        ));
    }
    match limiter.hit(&key, quota).await.unwrap() {
        Decision::Limited { retry_after } => {
            assert!(retry_after <= Duration::from_secs(2) && retry_after >= Duration::from_secs(1));
        }
        other => panic!("expected a limit, got {other:?}"),
    }
    limiter.reset(&key).await.unwrap();
    assert!(matches!(
        limiter.hit(&key, quota).await.unwrap(),
        Decision::Allowed { remaining: 2, .. }
    ));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(matches!(
        limiter.hit(&key, quota).await.unwrap(),
        Decision::Allowed { remaining: 2, .. }
    ));
}

#[tokio::test]
async fn memory_limiter() {
    story(&MemoryLimiter::new()).await;
}

#[tokio::test]
async fn redis_limiter_is_shared_between_instances() {
    let Some((url, prefix)) = common::redis("rate limiter") else {
        return;
    };
    let a = RedisLimiter::connect(&url, &prefix).await.unwrap();
    story(&a).await;
    // Two "instances" share one counter.
    let b = RedisLimiter::connect(&url, &prefix).await.unwrap();
    let quota = Quota {
        max: 1,
        window: Duration::from_secs(5),
    };
    assert!(matches!(
        a.hit("shared", quota).await.unwrap(),
        Decision::Allowed { .. }
    ));
    assert!(matches!(
        b.hit("shared", quota).await.unwrap(),
        Decision::Limited { .. }
    ));
    b.reset("shared").await.unwrap();
}
