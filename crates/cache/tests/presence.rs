//! The same presence behaviour in process and on Redis (when TEST_REDIS_URL is set), where two
//! "instances" see each other's devices.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use ferrochat_cache::{Device, MemoryPresence, Online, Presence, RedisPresence};

fn device(id: &str, connected_at_ms: i64) -> Device {
    Device {
        id: id.into(),
        user_agent: Some(format!("agent of {id}")),
        connected_at_ms,
    }
}

fn ids(devices: &[Device]) -> Vec<&str> {
    devices.iter().map(|d| d.id.as_str()).collect()
}

/// `a` and `b` are two handles on one fresh registry (the same one in memory). Its devices go
/// stale after one second without a heartbeat.
async fn story(a: &dyn Presence, b: &dyn Presence) {
    let ann = format!("ann-{}", uuid::Uuid::new_v4());
    let bob = format!("bob-{}", uuid::Uuid::new_v4());
    a.join(&ann, &device("laptop", 2_000)).await.unwrap();
    b.join(&ann, &device("phone", 1_000)).await.unwrap();
    a.join(&bob, &device("desk", 3_000)).await.unwrap();
    // A heartbeat is a join again: no duplicate.
    a.join(&ann, &device("laptop", 2_000)).await.unwrap();
    let devices = b.devices(&ann).await.unwrap();
    assert_eq!(
        ids(&devices),
        ["phone", "laptop"],
        "oldest connection first"
    );
    assert_eq!(devices[1].user_agent.as_deref(), Some("agent of laptop"));
    assert_eq!(
        a.online().await.unwrap(),
        Online {
            users: 2,
            devices: 3
        }
    );

    b.leave(&ann, "laptop").await.unwrap();
    assert_eq!(ids(&a.devices(&ann).await.unwrap()), ["phone"]);
    a.leave(&ann, "phone").await.unwrap();
    assert!(a.devices(&ann).await.unwrap().is_empty());
    assert_eq!(
        b.online().await.unwrap(),
        Online {
            users: 1,
            devices: 1
        }
    );
    // Leaving twice, or a device never seen, is fine.
    a.leave(&ann, "phone").await.unwrap();
    a.leave(&bob, "nope").await.unwrap();

    // Bob's heartbeat stops (his instance died): he is gone after the stale time.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(b.devices(&bob).await.unwrap().is_empty());
    assert_eq!(b.online().await.unwrap(), Online::default());
}

#[tokio::test]
async fn memory_presence() {
    let p = MemoryPresence::new().with_stale(Duration::from_secs(1));
    story(&p, &p).await;
}

#[tokio::test]
async fn redis_presence_is_shared_between_instances() {
    let Some((url, prefix)) = common::redis("presence") else {
        return;
    };
    let a = RedisPresence::connect(&url, &prefix)
        .await
        .unwrap()
        .with_stale(Duration::from_secs(1));
    let b = RedisPresence::connect(&url, &prefix)
        .await
        .unwrap()
        .with_stale(Duration::from_secs(1));
    story(&a, &b).await;
}
