//! A Redis pub/sub channel shared by every instance: what one publishes, all hear (itself
//! included; payloads carry their origin if that matters to the caller).

use futures_util::{Stream, StreamExt};
use redis::aio::ConnectionManager;

use crate::CacheError;

/// One named channel on one Redis server.
#[derive(Clone)]
pub struct RedisChannel {
    client: redis::Client,
    conn: ConnectionManager,
    name: String,
}

impl RedisChannel {
    /// Connects (publishing reconnects by itself) to the channel `name` at `url`.
    pub async fn connect(url: &str, name: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client.clone()).await?;
        Ok(Self {
            client,
            conn,
            name: name.to_owned(),
        })
    }

    /// Publishes one payload.
    pub async fn publish(&self, payload: &[u8]) -> Result<(), CacheError> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("PUBLISH")
            .arg(&self.name)
            .arg(payload)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Subscribes; the subscription is in place when this returns. The stream ends when the
    /// connection is lost: subscribe again (what was published meanwhile is gone, as always
    /// with pub/sub).
    pub async fn subscribe(
        &self,
    ) -> Result<impl Stream<Item = Vec<u8>> + Send + use<>, CacheError> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(&self.name).await?;
        Ok(pubsub
            .into_on_message()
            .filter_map(|msg| async move { msg.get_payload::<Vec<u8>>().ok() }))
    }
}
