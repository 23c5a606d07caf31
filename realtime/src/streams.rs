//! Media signaling on the room data socket: publishing and subscribing to
//! streams through the SFU (`altegon_media::sfu`). A publish carries the
//! browser's SDP offer and is answered in the ack; once the publisher's media
//! connection is up the room hears `stream-added`; a subscribe is answered with
//! the SFU's offer, and the browser's answer comes back as `subscriber-answer`.
//! `stream-removed` tells the room a stream ended. Text a publisher sends on its
//! data channel reaches the room as its socket's messages do. Streams going live, their
//! subscriber counts and their ends are recorded as the room's events. Streams
//! live in the process whose SFU carries them. Protocol: `docs/sfu.md`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use altegon_commands::handlers::rooms::record_room_stream;
use altegon_commands::{Actor, CommandBus, CommandContext};
use altegon_domain::room::RoomCommand;
use altegon_domain::{RoomId, UserId};
use altegon_media::sfu::server::{SfuHandle, SfuServerError};
use altegon_media::sfu::{PeerId, SfuError, SfuEvent};
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef, TryData};
use str0m::change::{SdpAnswer, SdpOffer};

use crate::relay::{Bucket, RoomAccess, Shared, room_name};

/// Most streams one socket may publish at a time.
const MAX_STREAMS_PER_SOCKET: usize = 4;
/// Most subscriptions one socket may hold at a time.
const MAX_SUBSCRIPTIONS_PER_SOCKET: usize = 256;

/// A published stream.
struct Stream {
    room: RoomId,
    owner: UserId,
    socket: String,
    peer: PeerId,
    attributes: Value,
    /// Announced to the room (its media connection is up).
    live: bool,
}

/// A subscription: the SFU peer sending `stream` to `socket`.
struct Subscription {
    stream: String,
    socket: String,
}

#[derive(Default)]
struct State {
    streams: HashMap<String, Stream>,
    subscriptions: HashMap<PeerId, Subscription>,
}

/// The SFU and the streams of this process's rooms.
pub struct Streams {
    sfu: SfuHandle,
    bus: CommandBus,
    state: Mutex<State>,
}

impl Streams {
    /// Signaling over `sfu`; [`follow`](Self::follow) must run for announcements.
    pub fn new(sfu: SfuHandle, bus: CommandBus) -> Arc<Self> {
        Arc::new(Self {
            sfu,
            bus,
            state: Mutex::new(State::default()),
        })
    }

    /// Records a stream change of `room` on behalf of `user`; a failure is
    /// logged (the media keeps flowing).
    async fn record(&self, room: RoomId, user: UserId, command: RoomCommand) {
        let ctx = CommandContext::new(Actor {
            id: Some(user.to_string()),
            roles: vec![],
        });
        if let Err(e) = record_room_stream(&self.bus, &ctx, room, command).await {
            tracing::warn!(error = %e, %room, "recording a stream change failed");
        }
    }

    /// The subscriber count of `stream`, with its room and owner.
    fn subscribers_of(&self, stream: &str) -> Option<(RoomId, UserId, u32)> {
        let state = self.state();
        let st = state.streams.get(stream)?;
        let count = state
            .subscriptions
            .values()
            .filter(|s| s.stream == stream)
            .count();
        Some((st.room, st.owner, u32::try_from(count).unwrap_or(u32::MAX)))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Turns the SFU's connected and closed peers into `stream-added` and
    /// `stream-removed` for the rooms, and passes on data channel messages.
    pub(crate) async fn follow(self: Arc<Self>, shared: Arc<Shared>) {
        let Some(mut events) = self.sfu.take_events() else {
            tracing::error!("the SFU's events are already being followed");
            return;
        };
        while let Some(event) = events.recv().await {
            let Outcome { change, announce } = match event {
                SfuEvent::Connected(peer) => self.connected(peer),
                SfuEvent::Closed(peer) => self.closed(peer),
                SfuEvent::ChannelMessage { peer, text } => {
                    if let Some((socket, stream)) = self.published_by(peer) {
                        crate::relay::channel_message(&shared, &socket, &stream, &text);
                    }
                    continue;
                }
            };
            // Recorded before it is announced, so that what subscribers do next
            // (their counts) follows it in the log.
            if let Some((room, user, command)) = change {
                self.record(room, user, command).await;
            }
            if let Some((room, event, payload)) = announce
                && let Some(sockets) = shared.room_sockets()
            {
                let _ = sockets.to(room_name(room)).emit(event, &payload).await;
            }
        }
    }

    /// The socket and stream id of a publisher's peer connection.
    fn published_by(&self, peer: PeerId) -> Option<(String, String)> {
        self.state()
            .streams
            .iter()
            .find(|(_, st)| st.peer == peer)
            .map(|(id, st)| (st.socket.clone(), id.clone()))
    }

    /// A publisher's media connection is up: the stream goes live.
    fn connected(&self, peer: PeerId) -> Outcome {
        let mut state = self.state();
        let Some((id, stream)) = state
            .streams
            .iter_mut()
            .find(|(_, s)| s.peer == peer && !s.live)
        else {
            return Outcome::default();
        };
        stream.live = true;
        Outcome {
            change: Some((
                stream.room,
                stream.owner,
                RoomCommand::PublishStream {
                    stream_id: id.clone(),
                    owner_id: stream.owner,
                    now: chrono::Utc::now(),
                },
            )),
            announce: Some((stream.room, "stream-added", added(id, stream))),
        }
    }

    /// A peer ended: a stream (announced as removed, recorded when it was live)
    /// or a subscription (its stream's new count recorded).
    fn closed(&self, peer: PeerId) -> Outcome {
        let mut state = self.state();
        let ended_subscription = state.subscriptions.remove(&peer).map(|s| s.stream);
        let id = state
            .streams
            .iter()
            .find(|(_, s)| s.peer == peer)
            .map(|(id, _)| id.clone());
        let Some((id, stream)) = id.and_then(|id| state.streams.remove(&id).map(|s| (id, s)))
        else {
            drop(state);
            return Outcome {
                change: ended_subscription.and_then(|stream| self.count_change(&stream)),
                announce: None,
            };
        };
        Outcome {
            change: stream.live.then(|| {
                (
                    stream.room,
                    stream.owner,
                    RoomCommand::UnpublishStream {
                        stream_id: id.clone(),
                        now: chrono::Utc::now(),
                    },
                )
            }),
            announce: Some((stream.room, "stream-removed", json!({ "id": id }))),
        }
    }

    /// Wires the signaling messages of an admitted socket; they count toward its
    /// rate of messages like the room's messages do.
    pub(crate) fn admit(self: &Arc<Self>, s: &SocketRef, access: &RoomAccess, per_second: u32) {
        let on = |name: &'static str, handler: Handler| {
            let streams = self.clone();
            let access = access.clone();
            s.on(
                name,
                move |s: SocketRef, ack: AckSender, TryData(payload): TryData<Value>| {
                    let streams = streams.clone();
                    let access = access.clone();
                    async move {
                        let payload = payload.unwrap_or(Value::Null);
                        let within_rate = s
                            .extensions
                            .get::<Arc<Mutex<Bucket>>>()
                            .is_none_or(|b| Bucket::take_from(&b, per_second));
                        let answered = if within_rate {
                            handler(&streams, &s, &access, &payload).await
                        } else {
                            Err(Refusal::Flood)
                        };
                        let answer = match answered {
                            Ok(answer) => answer,
                            Err(refusal) => json!({ "ok": false, "error": refusal.to_string() }),
                        };
                        let _ = ack.send(&answer);
                    }
                },
            );
        };
        on("publish", |st, s, a, p| Box::pin(st.publish(s, a, p)));
        on("subscribe", |st, s, a, p| Box::pin(st.subscribe(s, a, p)));
        on("subscriber-answer", |st, s, _, p| Box::pin(st.answer(s, p)));
        on("unpublish", |st, s, _, p| Box::pin(st.unpublish(s, p)));
        on("unsubscribe", |st, s, _, p| Box::pin(st.unsubscribe(s, p)));
        // A late joiner learns the streams already live in the room.
        let live: Vec<Value> = self
            .state()
            .streams
            .iter()
            .filter(|(_, st)| st.room == access.room_id && st.live)
            .map(|(id, st)| added(id, st))
            .collect();
        for stream in live {
            let _ = s.emit("stream-added", &stream);
        }
    }

    async fn publish(
        &self,
        s: &SocketRef,
        access: &RoomAccess,
        payload: &Value,
    ) -> Result<Value, Refusal> {
        if !access.publish {
            return Err(Refusal::Grant("publish"));
        }
        let offer = sdp(payload, "offer")?;
        let offer = SdpOffer::from_sdp_string(&offer).map_err(|_| Refusal::Sdp("offer"))?;
        let socket = s.id.to_string();
        let own = self
            .state()
            .streams
            .values()
            .filter(|st| st.socket == socket)
            .count();
        if own >= MAX_STREAMS_PER_SOCKET {
            return Err(Refusal::PerSocket(
                "streams published",
                MAX_STREAMS_PER_SOCKET,
            ));
        }
        if let Some(max) = access.max_participants {
            let published = self
                .state()
                .streams
                .values()
                .filter(|st| st.room == access.room_id)
                .count();
            if published >= max as usize {
                return Err(Refusal::Full("streams published in this room", max));
            }
        }
        // Unique across processes too: the room's log names streams by it.
        let id = uuid::Uuid::now_v7().simple().to_string();
        let (peer, answer) = self.sfu.publish(&id, offer).await?;
        self.state().streams.insert(
            id.clone(),
            Stream {
                room: access.room_id,
                owner: access.user_id,
                socket,
                peer,
                attributes: payload.get("attributes").cloned().unwrap_or(Value::Null),
                live: false,
            },
        );
        Ok(json!({
            "ok": true,
            "streamId": id,
            "answer": { "type": "answer", "sdp": answer.to_sdp_string() },
        }))
    }

    async fn subscribe(
        &self,
        s: &SocketRef,
        access: &RoomAccess,
        payload: &Value,
    ) -> Result<Value, Refusal> {
        if !access.subscribe {
            return Err(Refusal::Grant("subscribe"));
        }
        let id = text(payload, "streamId")?;
        let in_room = self
            .state()
            .streams
            .get(&id)
            .is_some_and(|st| st.room == access.room_id && st.live);
        if !in_room {
            return Err(Refusal::NoStream(id));
        }
        let socket = s.id.to_string();
        let own = self
            .state()
            .subscriptions
            .values()
            .filter(|sub| sub.socket == socket)
            .count();
        if own >= MAX_SUBSCRIPTIONS_PER_SOCKET {
            return Err(Refusal::PerSocket(
                "subscriptions",
                MAX_SUBSCRIPTIONS_PER_SOCKET,
            ));
        }
        if let Some(max) = access.max_participants {
            let subscribed = self
                .state()
                .subscriptions
                .values()
                .filter(|sub| sub.stream == id)
                .count();
            if subscribed >= max as usize {
                return Err(Refusal::Full("subscribers of this stream", max));
            }
        }
        let (peer, offer) = self.sfu.subscribe(&id).await?;
        self.state().subscriptions.insert(
            peer,
            Subscription {
                stream: id.clone(),
                socket,
            },
        );
        if let Some((room, user, command)) = self.count_change(&id) {
            self.record(room, user, command).await;
        }
        Ok(json!({
            "ok": true,
            "streamId": id,
            "subscriptionId": peer.to_string(),
            "offer": { "type": "offer", "sdp": offer.to_sdp_string() },
        }))
    }

    /// The stream's subscriber count as a command (recorded as its owner's).
    fn count_change(&self, stream: &str) -> Option<(RoomId, UserId, RoomCommand)> {
        let (room, owner, subscribers) = self.subscribers_of(stream)?;
        Some((
            room,
            owner,
            RoomCommand::CountSubscribers {
                stream_id: stream.to_owned(),
                subscribers,
                now: chrono::Utc::now(),
            },
        ))
    }

    async fn answer(&self, s: &SocketRef, payload: &Value) -> Result<Value, Refusal> {
        let peer = self.own_subscription(s, payload)?;
        let answer = sdp(payload, "answer")?;
        let answer = SdpAnswer::from_sdp_string(&answer).map_err(|_| Refusal::Sdp("answer"))?;
        self.sfu.accept_answer(peer, answer).await?;
        Ok(json!({ "ok": true }))
    }

    async fn unsubscribe(&self, s: &SocketRef, payload: &Value) -> Result<Value, Refusal> {
        let peer = self.own_subscription(s, payload)?;
        // The count is recorded when the SFU reports the subscription closed.
        self.sfu.remove(peer).await?;
        Ok(json!({ "ok": true }))
    }

    async fn unpublish(&self, s: &SocketRef, payload: &Value) -> Result<Value, Refusal> {
        let id = text(payload, "streamId")?;
        let peer = self
            .state()
            .streams
            .get(&id)
            .filter(|st| st.socket == s.id.to_string())
            .map(|st| st.peer)
            .ok_or_else(|| Refusal::NoStream(id.clone()))?;
        // `stream-removed` follows from the SFU's Closed event.
        self.sfu.remove(peer).await?;
        Ok(json!({ "ok": true }))
    }

    fn own_subscription(&self, s: &SocketRef, payload: &Value) -> Result<PeerId, Refusal> {
        let id = text(payload, "subscriptionId")?;
        let peer: PeerId = id.parse().map_err(|_| Refusal::NoSubscription)?;
        let state = self.state();
        state
            .subscriptions
            .get(&peer)
            .filter(|sub| sub.socket == s.id.to_string())
            .ok_or(Refusal::NoSubscription)?;
        Ok(peer)
    }

    /// Ends what a socket published or subscribed to (it left or was removed).
    pub(crate) async fn socket_left(&self, socket: &str) {
        let peers: Vec<PeerId> = {
            let state = self.state();
            let published = state
                .streams
                .values()
                .filter(|st| st.socket == socket)
                .map(|st| st.peer);
            let subscribed = state
                .subscriptions
                .iter()
                .filter(|(_, sub)| sub.socket == socket)
                .map(|(peer, _)| *peer);
            published.chain(subscribed).collect()
        };
        for peer in peers {
            // Already gone with its stream: nothing to do.
            let _ = self.sfu.remove(peer).await;
        }
    }

    /// The host's mute: stops forwarding the audio of `user`'s streams in `room`
    /// (every participant's when `user` is `None`).
    pub(crate) async fn mute(&self, room: RoomId, user: Option<UserId>, muted: bool) {
        let streams: Vec<String> = self
            .state()
            .streams
            .iter()
            .filter(|(_, st)| st.room == room && user.is_none_or(|u| st.owner == u))
            .map(|(id, _)| id.clone())
            .collect();
        for stream in streams {
            let _ = self.sfu.set_audio_muted(&stream, muted).await;
        }
    }
}

type Handler = for<'a> fn(
    &'a Arc<Streams>,
    &'a SocketRef,
    &'a RoomAccess,
    &'a Value,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Value, Refusal>> + Send + 'a>,
>;

/// What one SFU event means for a room: a change to record (as the stream
/// owner's), then a message for the room's sockets.
#[derive(Default)]
struct Outcome {
    change: Option<(RoomId, UserId, RoomCommand)>,
    announce: Option<(RoomId, &'static str, Value)>,
}

/// `stream-added`'s payload.
fn added(id: &str, stream: &Stream) -> Value {
    json!({
        "id": id,
        "owner": stream.owner.to_string(),
        "attributes": stream.attributes,
    })
}

/// Why a signaling request was refused (the ack's `error`).
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("the room token lacks the {0} grant")]
    Grant(&'static str),
    #[error("{0} is missing or not a string")]
    Missing(&'static str),
    #[error("the {0} is not a valid session description")]
    Sdp(&'static str),
    #[error("stream {0} is not live in this room")]
    NoStream(String),
    #[error("no such subscription of this socket")]
    NoSubscription,
    #[error("the room allows at most {1} {0}")]
    Full(&'static str, u32),
    #[error("one connection may hold at most {1} {0}")]
    PerSocket(&'static str, usize),
    #[error("{}", crate::relay::SLOW_DOWN)]
    Flood,
    #[error("{0}")]
    Sfu(#[from] SfuServerError),
}

impl From<SfuError> for Refusal {
    fn from(e: SfuError) -> Self {
        Refusal::Sfu(SfuServerError::Refused(e))
    }
}

fn text(payload: &Value, field: &'static str) -> Result<String, Refusal> {
    match payload.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(Refusal::Missing(field)),
    }
}

/// The SDP text of `field`: `{type, sdp}` as browsers serialize descriptions, or a string.
fn sdp(payload: &Value, field: &'static str) -> Result<String, Refusal> {
    match payload.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Object(o)) => o
            .get("sdp")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(Refusal::Missing(field)),
        _ => Err(Refusal::Missing(field)),
    }
}
