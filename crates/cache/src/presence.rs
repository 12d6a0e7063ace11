//! Who is online: each open event socket is a device of its user, registered while it is open
//! and refreshed by a heartbeat. A device whose heartbeat stopped (its instance crashed, the
//! network went) counts as gone after [`STALE`], so the registry heals without a sweeper.
//!
//! Two homes behind one trait, like the rate limits: process memory (one instance), and Redis
//! (every instance sees every socket). On Redis each user has a hash of devices (field: device
//! ID; value: connected and last-seen times and the user agent), and two sorted sets scored by
//! last-seen time count the online users and devices for administrators; stale entries are
//! trimmed as they are read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::CacheError;

/// A device without a heartbeat for this long is gone. Sockets beat every 30 seconds.
pub const STALE: Duration = Duration::from_secs(90);

/// One open socket of a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// Random ID, given when the socket opened.
    pub id: String,
    /// The socket's `User-Agent`, if it sent one.
    pub user_agent: Option<String>,
    /// When it connected, in milliseconds since 1970.
    pub connected_at_ms: i64,
}

/// How many users and devices are online.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Online {
    /// Users with at least one device.
    pub users: u64,
    /// Devices (open sockets).
    pub devices: u64,
}

/// The registry of open sockets.
#[async_trait]
pub trait Presence: Send + Sync {
    /// Registers `device` of `user`, or refreshes it (the heartbeat).
    async fn join(&self, user: &str, device: &Device) -> Result<(), CacheError>;
    /// Removes a device (its socket closed).
    async fn leave(&self, user: &str, device_id: &str) -> Result<(), CacheError>;
    /// The user's live devices, oldest connection first.
    async fn devices(&self, user: &str) -> Result<Vec<Device>, CacheError>;
    /// Online users and devices.
    async fn online(&self) -> Result<Online, CacheError>;
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn stale_before(stale: Duration) -> i64 {
    now_ms() - i64::try_from(stale.as_millis()).unwrap_or(0)
}

fn sorted(mut devices: Vec<Device>) -> Vec<Device> {
    devices.sort_by(|a, b| {
        a.connected_at_ms
            .cmp(&b.connected_at_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
    devices
}

/// A user's devices by ID, each with its last heartbeat (ms).
type Devices = HashMap<String, (Device, i64)>;

/// Devices in process memory.
#[derive(Debug)]
pub struct MemoryPresence {
    /// By user.
    users: Mutex<HashMap<String, Devices>>,
    stale: Duration,
}

impl Default for MemoryPresence {
    fn default() -> Self {
        Self {
            users: Mutex::default(),
            stale: STALE,
        }
    }
}

impl MemoryPresence {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same, with another time after which a silent device is gone (tests).
    pub fn with_stale(mut self, stale: Duration) -> Self {
        self.stale = stale;
        self
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Devices>) -> T) -> T {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let cutoff = stale_before(self.stale);
        users.retain(|_, devices| {
            devices.retain(|_, (_, seen)| *seen >= cutoff);
            !devices.is_empty()
        });
        f(&mut users)
    }
}

#[async_trait]
impl Presence for MemoryPresence {
    async fn join(&self, user: &str, device: &Device) -> Result<(), CacheError> {
        self.with(|users| {
            users
                .entry(user.to_owned())
                .or_default()
                .insert(device.id.clone(), (device.clone(), now_ms()));
        });
        Ok(())
    }

    async fn leave(&self, user: &str, device_id: &str) -> Result<(), CacheError> {
        self.with(|users| {
            if let Some(devices) = users.get_mut(user) {
                devices.remove(device_id);
                if devices.is_empty() {
                    users.remove(user);
                }
            }
        });
        Ok(())
    }

    async fn devices(&self, user: &str) -> Result<Vec<Device>, CacheError> {
        Ok(sorted(self.with(|users| {
            users
                .get(user)
                .map(|d| d.values().map(|(device, _)| device.clone()).collect())
                .unwrap_or_default()
        })))
    }

    async fn online(&self) -> Result<Online, CacheError> {
        Ok(self.with(|users| Online {
            users: users.len() as u64,
            devices: users.values().map(|d| d.len() as u64).sum(),
        }))
    }
}

/// Devices in Redis, shared by every instance.
#[derive(Clone)]
pub struct RedisPresence {
    conn: ConnectionManager,
    prefix: String,
    stale: Duration,
}

impl RedisPresence {
    /// Connects (and keeps reconnecting) to `url`; keys are namespaced under `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, CacheError> {
        let conn = crate::manager(url).await?;
        Ok(Self {
            conn,
            prefix: prefix.to_owned(),
            stale: STALE,
        })
    }

    /// The same, with another time after which a silent device is gone (tests).
    pub fn with_stale(mut self, stale: Duration) -> Self {
        self.stale = stale;
        self
    }

    fn user_key(&self, user: &str) -> String {
        format!("{}:presence:user:{user}", self.prefix)
    }

    fn users_key(&self) -> String {
        format!("{}:presence:users", self.prefix)
    }

    fn devices_key(&self) -> String {
        format!("{}:presence:devices", self.prefix)
    }
}

/// A device as its hash value: connected and last-seen times, then the user agent.
fn encode(device: &Device, seen: i64) -> String {
    format!(
        "{}\t{seen}\t{}",
        device.connected_at_ms,
        device.user_agent.as_deref().unwrap_or_default()
    )
}

fn decode(id: String, value: &str) -> Option<(Device, i64)> {
    let mut parts = value.splitn(3, '\t');
    let connected_at_ms = parts.next()?.parse().ok()?;
    let seen = parts.next()?.parse().ok()?;
    let user_agent = parts.next().filter(|ua| !ua.is_empty()).map(str::to_owned);
    Some((
        Device {
            id,
            user_agent,
            connected_at_ms,
        },
        seen,
    ))
}

#[async_trait]
impl Presence for RedisPresence {
    async fn join(&self, user: &str, device: &Device) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let now = now_ms();
        let key = self.user_key(user);
        let keep = u64::try_from(self.stale.as_millis()).unwrap_or(u64::MAX / 2) * 2;
        let _: () = redis::pipe()
            .atomic()
            .hset(&key, &device.id, encode(device, now))
            .ignore()
            .pexpire(&key, i64::try_from(keep).unwrap_or(i64::MAX))
            .ignore()
            .zadd(self.users_key(), user, now)
            .ignore()
            .zadd(self.devices_key(), format!("{user}/{}", device.id), now)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    async fn leave(&self, user: &str, device_id: &str) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let key = self.user_key(user);
        let (left,): (u64,) = redis::pipe()
            .atomic()
            .hdel(&key, device_id)
            .ignore()
            .zrem(self.devices_key(), format!("{user}/{device_id}"))
            .ignore()
            .hlen(&key)
            .query_async(&mut conn)
            .await?;
        if left == 0 {
            let _: () = redis::cmd("ZREM")
                .arg(self.users_key())
                .arg(user)
                .query_async(&mut conn)
                .await?;
        }
        Ok(())
    }

    async fn devices(&self, user: &str) -> Result<Vec<Device>, CacheError> {
        let mut conn = self.conn.clone();
        let key = self.user_key(user);
        let all: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut conn)
            .await?;
        let cutoff = stale_before(self.stale);
        let mut live = Vec::with_capacity(all.len());
        let mut stale = Vec::new();
        for (id, value) in all {
            match decode(id.clone(), &value) {
                Some((device, seen)) if seen >= cutoff => live.push(device),
                _ => stale.push(id),
            }
        }
        if !stale.is_empty() {
            let _: () = redis::cmd("HDEL")
                .arg(&key)
                .arg(&stale)
                .query_async(&mut conn)
                .await?;
        }
        Ok(sorted(live))
    }

    async fn online(&self) -> Result<Online, CacheError> {
        let mut conn = self.conn.clone();
        let cutoff = stale_before(self.stale) - 1;
        let (users, devices): (u64, u64) = redis::pipe()
            .atomic()
            .zrembyscore(self.users_key(), "-inf", cutoff)
            .ignore()
            .zrembyscore(self.devices_key(), "-inf", cutoff)
            .ignore()
            .zcard(self.users_key())
            .zcard(self.devices_key())
            .query_async(&mut conn)
            .await?;
        Ok(Online { users, devices })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_survive_their_encoding() {
        let d = Device {
            id: "d1".into(),
            user_agent: Some("Mozilla/5.0 (X11)\tweird".into()),
            connected_at_ms: 1_764_000_000_000,
        };
        assert_eq!(decode("d1".into(), &encode(&d, 5)), Some((d.clone(), 5)));
        let bare = Device {
            user_agent: None,
            ..d
        };
        assert_eq!(decode("d1".into(), &encode(&bare, 6)), Some((bare, 6)));
        assert_eq!(decode("x".into(), "junk"), None);
    }
}
