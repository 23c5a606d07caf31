//! Rooms shared by several server processes over one Redis. Each process relays
//! to its own sockets and tells the others, on one pub/sub channel, what it
//! relayed and how its rooms changed (whiteboard, meeting, removals, who is
//! connected); they apply it to theirs. The room's live session id is kept under
//! a key, so a room has one session whichever process its members use.
//!
//! Data flow: relay → [`Cluster::publish`] → Redis → the other processes'
//! [`Cluster::subscribe`] → their sockets and room state. Events from the log are
//! not sent here: every process follows the log itself.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use altegon_domain::{MeetingId, RoomId, SessionId, UserId};
use futures::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

/// How often a process repeats who is connected to its rooms.
pub const MEMBERS_EVERY: Duration = Duration::from_secs(5);

/// After how long without a repeat another process's members are forgotten
/// (it stopped or lost Redis).
pub const MEMBERS_EXPIRE: Duration = Duration::from_secs(15);

/// How long the room's session id is kept after it was last set.
const SESSION_KEY_SECS: u64 = 24 * 60 * 60;

/// Messages waiting to be published; past this they are dropped with a warning
/// (Redis is gone or too slow), so sockets never wait for Redis.
const QUEUE: usize = 65_536;

/// Why the cluster could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The Redis URL does not parse.
    #[error("ALTEGON_REDIS_URL is not a Redis URL: {0}")]
    Url(String),
    /// Redis did not answer.
    #[error("cannot reach Redis at {address}: {error}")]
    Unreachable {
        /// Host and port (no credentials).
        address: String,
        /// What the client said.
        error: String,
    },
}

/// What one process tells the others about its rooms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ClusterMessage {
    /// A message relayed to the room's sockets of the sending process.
    Relayed {
        /// The room.
        room: RoomId,
        /// The sending socket.
        origin: String,
        /// The event.
        event: String,
        /// Its payload.
        payload: Value,
    },
    /// The room's whiteboard stage was shared (or, with `None`, cleared).
    Whiteboard {
        /// The room.
        room: RoomId,
        /// The stage.
        stage: Option<Value>,
    },
    /// The room's meeting was announced.
    Meeting {
        /// The room.
        room: RoomId,
        /// Where chat and transcript lines are recorded.
        meeting: MeetingId,
    },
    /// The host removed a participant: their sockets everywhere are closed and
    /// these tokens refused.
    Removed {
        /// The room.
        room: RoomId,
        /// The removed account.
        user: UserId,
        /// Tokens the removed account used on the sending process.
        tokens: Vec<String>,
        /// The host's `remove-participant` message.
        payload: Value,
    },
    /// The accounts connected to the room on the sending process.
    Members {
        /// The room.
        room: RoomId,
        /// Distinct accounts.
        users: Vec<UserId>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    node: String,
    #[serde(flatten)]
    message: ClusterMessage,
}

/// This process's link to the others.
pub struct Cluster {
    node: String,
    channel: String,
    prefix: String,
    client: redis::Client,
    connection: ConnectionManager,
    outgoing: mpsc::Sender<String>,
    warned_full: AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.node)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

fn address(client: &redis::Client) -> String {
    client.get_connection_info().addr().to_string()
}

/// Opens a reconnecting connection to the Redis at `url`, failing fast (10 s)
/// when it does not answer; answers the client too, for subscriptions.
pub async fn connect_redis(url: &str) -> Result<(redis::Client, ConnectionManager), ClusterError> {
    let client = redis::Client::open(url).map_err(|e| ClusterError::Url(e.to_string()))?;
    let connection = tokio::time::timeout(
        Duration::from_secs(10),
        ConnectionManager::new(client.clone()),
    )
    .await
    .map_err(|_| "timed out".to_owned())
    .and_then(|r| r.map_err(|e| e.to_string()))
    .map_err(|error| ClusterError::Unreachable {
        address: address(&client),
        error,
    })?;
    Ok((client, connection))
}

impl Cluster {
    /// Connects to Redis (failing fast when it is unreachable) and starts the
    /// publisher. `prefix` names the keys and the channel, so that several
    /// deployments can share one Redis.
    pub async fn connect(url: &str, prefix: &str) -> Result<Arc<Self>, ClusterError> {
        let (client, connection) = connect_redis(url).await?;
        let (outgoing, queued) = mpsc::channel(QUEUE);
        let cluster = Arc::new(Self {
            node: uuid::Uuid::new_v4().simple().to_string(),
            channel: format!("{prefix}:realtime"),
            prefix: prefix.to_owned(),
            client,
            connection: connection.clone(),
            outgoing,
            warned_full: AtomicBool::new(false),
        });
        tokio::spawn(publish_queued(connection, cluster.channel.clone(), queued));
        tracing::info!(redis = %address(&cluster.client), node = %cluster.node, "realtime rooms shared over Redis");
        Ok(cluster)
    }

    /// Tells the other processes; never waits for Redis. Messages leave in the
    /// order given.
    pub fn publish(&self, message: ClusterMessage) {
        let envelope = Envelope {
            node: self.node.clone(),
            message,
        };
        let Ok(text) = serde_json::to_string(&envelope) else {
            return;
        };
        if self.outgoing.try_send(text).is_err() && !self.warned_full.swap(true, Ordering::Relaxed)
        {
            tracing::warn!("Redis is not keeping up; room messages for other servers are dropped");
        }
    }

    /// What the other processes say, with the sender's node id, for as long as
    /// the process runs: the subscription is re-made after Redis comes back.
    pub fn subscribe(self: &Arc<Self>) -> mpsc::Receiver<(String, ClusterMessage)> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let cluster = self.clone();
        tokio::spawn(async move {
            let mut pause = Duration::from_millis(100);
            loop {
                match cluster.follow(&tx).await {
                    Ok(()) => return, // Nobody listens any more.
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the Redis subscription; retrying");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        rx
    }

    async fn follow(&self, tx: &mpsc::Sender<(String, ClusterMessage)>) -> redis::RedisResult<()> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(&self.channel).await?;
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let Ok(envelope) = serde_json::from_slice::<Envelope>(message.get_payload_bytes())
            else {
                tracing::warn!("ignored a malformed message on the realtime channel");
                continue;
            };
            if envelope.node == self.node {
                continue;
            }
            if tx.send((envelope.node, envelope.message)).await.is_err() {
                return Ok(());
            }
        }
        Err(redis::RedisError::from((
            redis::ErrorKind::Io,
            "subscription closed",
        )))
    }

    fn session_key(&self, room: RoomId) -> String {
        format!("{}:room-session:{room}", self.prefix)
    }

    /// The room's live session, as the process that started it said.
    pub async fn room_session(&self, room: RoomId) -> Option<SessionId> {
        let mut connection = self.connection.clone();
        match connection
            .get::<_, Option<String>>(self.session_key(room))
            .await
        {
            Ok(value) => value.and_then(|v| v.parse().ok()),
            Err(e) => {
                tracing::warn!(error = %e, %room, "reading the room's session from Redis failed");
                None
            }
        }
    }

    /// Records the room's live session for the other processes.
    pub async fn set_room_session(&self, room: RoomId, session: SessionId) {
        let mut connection = self.connection.clone();
        if let Err(e) = connection
            .set_ex::<_, _, ()>(
                self.session_key(room),
                session.to_string(),
                SESSION_KEY_SECS,
            )
            .await
        {
            tracing::warn!(error = %e, %room, "recording the room's session in Redis failed");
        }
    }
}

/// Publishes queued messages in order, as pipelines of what is waiting.
async fn publish_queued(
    mut connection: ConnectionManager,
    channel: String,
    mut queued: mpsc::Receiver<String>,
) {
    let mut batch = Vec::with_capacity(256);
    while queued.recv_many(&mut batch, 256).await > 0 {
        let mut pipe = redis::pipe();
        for text in batch.drain(..) {
            pipe.publish(&channel, text).ignore();
        }
        if let Err(e) = pipe.query_async::<()>(&mut connection).await {
            tracing::warn!(error = %e, "publishing room messages to Redis failed");
        }
    }
}

/// Distinct accounts, as [`ClusterMessage::Members`] carries them.
pub fn distinct(users: impl IntoIterator<Item = UserId>) -> Vec<UserId> {
    let set: HashSet<UserId> = users.into_iter().collect();
    let mut users: Vec<UserId> = set.into_iter().collect();
    users.sort();
    users
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_their_kind_and_sender() {
        let room: RoomId = "68affe24fabc0702c5d30c29".parse().unwrap();
        let envelope = Envelope {
            node: "n1".into(),
            message: ClusterMessage::Whiteboard { room, stage: None },
        };
        let text = serde_json::to_value(&envelope).unwrap();
        assert_eq!(
            text,
            serde_json::json!({"node": "n1", "kind": "whiteboard", "room": room.to_string(), "stage": null})
        );
        let back: Envelope = serde_json::from_value(text).unwrap();
        assert_eq!(back.message, envelope.message);
    }
}
