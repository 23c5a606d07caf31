//! The room data socket (`/erizocontroller/socket.io`) and the Meet APIs socket
//! (`/socket.io`, `room.join`). A room token admits a socket to its room; each
//! message of the catalogue is checked (size, rate, sender's grant) and passed to
//! the other sockets of the room (and, with Redis, to the other processes);
//! chat, transcript lines and recording toggles are recorded through the commands.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use altegon_commands::crypto::TranscriptCipher;
use altegon_commands::handlers::rooms::toggle_room_recording;
use altegon_commands::handlers::transcripts::{
    NewTranscriptLine, add_transcript_line, post_chat_message,
};
use altegon_commands::{Actor, CommandBus, CommandContext};
use altegon_domain::{MeetingId, RoomId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{ParserConfig, SocketIo};

use crate::catalog::{Effect, MESSAGES, MessageType, Sender};
use crate::cluster::{Cluster, ClusterMessage};
use crate::rooms::{Member, Rooms};

/// What a room token grants, as the API verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomAccess {
    /// The holder.
    pub user_id: UserId,
    /// The room.
    pub room_id: RoomId,
    /// The token's id (a removed participant's token stays refused).
    pub token_id: String,
    /// Host controls (the room-admin grant).
    pub host: bool,
    /// May send room messages (the publish-data grant).
    pub publish_data: bool,
    /// May publish media streams (the publish grant).
    pub publish: bool,
    /// May receive media streams (the subscribe grant).
    pub subscribe: bool,
    /// The room's size: at most this many streams published in it, and this many
    /// subscribers per stream.
    pub max_participants: Option<u32>,
}

/// Verifies room tokens. The API implements it with its JWT keys.
pub trait RoomAuth: Send + Sync + 'static {
    /// The access a token gives, or why it is refused.
    fn authorize(&self, token: &str) -> Result<RoomAccess, String>;
}

/// Limits of the relay.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// Largest message, in bytes of JSON.
    pub max_message_bytes: usize,
    /// Messages a socket may send per second (with a burst of twice that).
    pub messages_per_second: u32,
}

/// Why a connection was refused (the client's `connect_error`).
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Handshake {
    #[serde(default)]
    pub(crate) token: Option<String>,
    /// Display name in the room's session.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Where the client says it is, when the server cannot tell.
    #[serde(default)]
    pub(crate) location: Option<Value>,
    /// The session's type when this client starts it.
    #[serde(default)]
    pub(crate) session_type: Option<String>,
}

/// Who a queued message goes to.
#[derive(Debug, Clone, Copy)]
enum Audience {
    /// The room but the sender.
    Others,
    /// The whole room.
    Everyone,
}

/// A line said or written in the room, for its meeting.
#[derive(Debug)]
pub(crate) struct Line {
    meeting: MeetingId,
    user_name: String,
    user: UserId,
    message: String,
}

/// What a message leaves in the log, recorded before it is relayed, in the
/// sender's order.
#[derive(Debug)]
pub(crate) enum Keep {
    /// A chat message of the room's meeting.
    Chat(Line),
    /// A transcript line of the room's meeting.
    Transcript(Line),
    /// The host turned recording on or off (`None`: flipped).
    Recording {
        room: RoomId,
        host: UserId,
        recording: Option<bool>,
    },
}

/// One message on its way: recorded first when it must be kept, then relayed.
type Outgoing = (Audience, &'static str, Value, Option<Keep>);

type Outbox = tokio::sync::mpsc::Sender<Outgoing>;

/// Most messages a socket may have waiting to be relayed.
const OUTBOX: usize = 256;

/// A per-socket token bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

pub(crate) struct Shared {
    pub(crate) auth: Arc<dyn RoomAuth>,
    pub(crate) presence: Arc<crate::presence::Presence>,
    pub(crate) locate: Arc<dyn crate::presence::Locate>,
    pub(crate) bus: CommandBus,
    pub(crate) transcripts: Arc<TranscriptCipher>,
    pub(crate) cluster: Option<Arc<Cluster>>,
    /// Media streams through the SFU, when it runs.
    pub(crate) streams: Option<Arc<crate::streams::Streams>>,
    pub(crate) rooms: Rooms,
    pub(crate) settings: RelaySettings,
    /// The room data socket, for what plain WebSocket clients send.
    pub(crate) io: std::sync::OnceLock<SocketIo>,
    /// Plain WebSocket clients a host removed, by socket id.
    pub(crate) ws_kicks: Mutex<std::collections::HashMap<String, tokio::sync::oneshot::Sender<()>>>,
    /// What was relayed in each room, for its plain WebSocket clients.
    pub(crate) feeds:
        Mutex<std::collections::HashMap<RoomId, tokio::sync::broadcast::Sender<Arc<Relayed>>>>,
}

impl Shared {
    /// The room's feed of relayed messages.
    pub(crate) fn feed(&self, room: RoomId) -> tokio::sync::broadcast::Sender<Arc<Relayed>> {
        self.feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(room)
            .or_insert_with(|| tokio::sync::broadcast::channel(1024).0)
            .clone()
    }

    /// Hands a message relayed to this process's Socket.IO clients to its plain
    /// WebSocket clients and to the other processes.
    pub(crate) fn publish(&self, room: RoomId, relayed: Relayed) {
        if let Some(cluster) = &self.cluster {
            cluster.publish(ClusterMessage::Relayed {
                room,
                origin: relayed.origin.clone(),
                event: relayed.event.clone(),
                payload: relayed.payload.clone(),
            });
        }
        self.publish_to_websockets(room, relayed);
    }

    fn publish_to_websockets(&self, room: RoomId, relayed: Relayed) {
        let feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(feed) = feeds.get(&room)
            && feed.receiver_count() > 0
        {
            let _ = feed.send(Arc::new(relayed));
        }
    }

    /// The room data socket's sockets, until it has closed (the server is
    /// stopping; socketioxide's shortcuts on the socket would panic then).
    pub(crate) fn room_sockets(&self) -> Option<socketioxide::operators::BroadcastOperators> {
        self.io.get()?.of("/")
    }

    /// Sends a message to every socket of the room on this process, of either kind.
    pub(crate) async fn emit_here(&self, room: RoomId, relayed: Relayed) {
        if let Some(sockets) = self.room_sockets() {
            let _ = sockets
                .to(room_name(room))
                .emit(relayed.event.as_str(), &relayed.payload)
                .await;
        }
        self.publish_to_websockets(room, relayed);
    }

    /// Tells the other processes, when there are any.
    pub(crate) fn tell(&self, message: ClusterMessage) {
        if let Some(cluster) = &self.cluster {
            cluster.publish(message);
        }
    }

    /// Tells the other processes who is connected to the room here.
    pub(crate) fn announce_members(&self, room: RoomId) {
        if self.cluster.is_some() {
            self.tell(ClusterMessage::Members {
                room,
                users: self.rooms.local_users(room),
            });
        }
    }

    /// Records a message refused for want of a grant (not for size or rate).
    pub(crate) fn audit_denied_message(
        &self,
        access: &RoomAccess,
        message: &MessageType,
        refusal: &Refusal,
        request: &http::request::Parts,
    ) {
        if refusal.status == 403 {
            self.audit_refusal(
                Some(access.user_id),
                format!("SOCKET {}", message.name),
                format!("room/{}", access.room_id),
                403,
                request,
            );
        }
    }

    /// Records a refused message or connection in the audit trail.
    pub(crate) fn audit_refusal(
        &self,
        user: Option<UserId>,
        action: String,
        resource: String,
        status: u16,
        request: &http::request::Parts,
    ) {
        crate::audit::record_refusal(
            &self.bus,
            crate::audit::Refused {
                user,
                action,
                resource,
                status,
                ip: self.locate.client_ip(request),
            },
        );
    }
}

/// A message relayed in a room, for the plain WebSocket clients of that room.
#[derive(Debug, Clone)]
pub(crate) struct Relayed {
    /// The sending socket (not sent back to it), unless `everyone`.
    pub(crate) origin: String,
    /// Whether the sender gets it too.
    pub(crate) everyone: bool,
    /// The event.
    pub(crate) event: String,
    /// Its payload.
    pub(crate) payload: Value,
}

/// Why a message was refused.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) error: String,
}

/// What a socket past its message rate is told.
pub(crate) const SLOW_DOWN: &str = "too many messages; slow down";

impl Refusal {
    fn too_large(max_message_bytes: usize) -> Self {
        Self {
            status: 413,
            error: format!("messages may have at most {max_message_bytes} bytes"),
        }
    }
}

impl Bucket {
    pub(crate) fn new(per_second: u32) -> Self {
        Self {
            tokens: f64::from(per_second) * 2.0,
            last: Instant::now(),
        }
    }

    /// Takes one message from a socket's shared bucket; `false` past its rate.
    pub(crate) fn take_from(bucket: &Mutex<Bucket>, per_second: u32) -> bool {
        bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(per_second)
    }

    fn take(&mut self, per_second: u32) -> bool {
        let rate = f64::from(per_second);
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * rate).min(rate * 2.0);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the relay works with.
pub struct RelayServices {
    /// Verifies room tokens.
    pub auth: Arc<dyn RoomAuth>,
    /// Records what must be kept.
    pub bus: CommandBus,
    /// Room presence as live sessions.
    pub presence: Arc<crate::presence::Presence>,
    /// Where clients are.
    pub locate: Arc<dyn crate::presence::Locate>,
    /// Transcript lines are kept encrypted with it.
    pub transcripts: Arc<TranscriptCipher>,
    /// The other server processes, when Redis is configured.
    pub cluster: Option<Arc<Cluster>>,
    /// The SFU, when this process forwards media.
    pub sfu: Option<altegon_media::sfu::server::SfuHandle>,
}

/// The relay's two Socket.IO layers and its plain WebSocket endpoint.
pub struct RoomRelay {
    shared: Arc<Shared>,
    /// `/erizocontroller/socket.io`.
    pub room_data: (SocketIoLayer, SocketIo),
    /// `/socket.io`.
    pub meet_api: (SocketIoLayer, SocketIo),
}

impl RoomRelay {
    /// Builds both sockets over one room registry.
    pub fn new(services: RelayServices, settings: RelaySettings) -> Self {
        let RelayServices {
            auth,
            bus,
            presence,
            locate,
            transcripts,
            cluster,
            sfu,
        } = services;
        let streams = sfu.map(|sfu| crate::streams::Streams::new(sfu, bus.clone()));
        let shared = Arc::new(Shared {
            auth,
            presence,
            locate,
            bus,
            transcripts,
            cluster,
            streams,
            rooms: Rooms::default(),
            settings,
            io: std::sync::OnceLock::new(),
            ws_kicks: Mutex::new(std::collections::HashMap::new()),
            feeds: Mutex::new(std::collections::HashMap::new()),
        });
        let build = |path: &str| {
            // The transport takes more than a message may hold, so that an
            // oversized message gets an error event rather than a dropped socket.
            let max = (settings.max_message_bytes * 4).max(1024 * 1024);
            SocketIo::builder()
                .req_path(path.to_owned())
                .max_payload(max as u64)
                // Room bursts (a whiteboard stroke storm) must not overflow a
                // receiver's queue of outgoing packets.
                .max_buffer_size(4096)
                .ws_max_message_size(max)
                .with_parser(ParserConfig::common().max_incoming_binary_buf_size(max))
                .build_layer()
        };
        let room_data = build("/erizocontroller/socket.io");
        let meet_api = build("/socket.io");
        let on_connect = {
            let shared = shared.clone();
            move |s: SocketRef, TryData(handshake): TryData<Handshake>| {
                let shared = shared.clone();
                async move { arrive(&s, &shared, handshake.unwrap_or_default()).await }
            }
        };
        let check_token = {
            let shared = shared.clone();
            move |s: SocketRef, TryData(handshake): TryData<Handshake>| {
                let shared = shared.clone();
                async move {
                    authenticate(&s, &shared, handshake.unwrap_or_default().token)?;
                    // Handlers are in place before the client hears it is connected,
                    // so its first message is never dropped.
                    admit(&s, &shared);
                    Ok::<(), Refused>(())
                }
            }
        };
        room_data.1.ns("/", on_connect.with(check_token));
        let on_meet_connect = {
            let shared = shared.clone();
            move |s: SocketRef| {
                s.on("room.join", {
                    let shared = shared.clone();
                    move |s: SocketRef, ack: AckSender, TryData(body): TryData<Handshake>| {
                        let shared = shared.clone();
                        async move {
                            let token = body.ok().and_then(|b| b.token);
                            let answer = match authenticate(&s, &shared, token) {
                                Ok(()) => {
                                    admit(&s, &shared);
                                    arrive(&s, &shared, Handshake::default()).await;
                                    let access = s.extensions.get::<RoomAccess>();
                                    json!({
                                        "ok": true,
                                        "roomId": access.as_ref().map(|a| a.room_id.to_string()),
                                        "participants": access.map_or(0, |a| shared.rooms.participants(a.room_id)),
                                    })
                                }
                                Err(e) => json!({ "ok": false, "status": 401, "error": e.0 }),
                            };
                            let _ = ack.send(&answer);
                        }
                    }
                });
                async {}
            }
        };
        meet_api.1.ns("/", on_meet_connect);
        let _ = shared.io.set(room_data.1.clone());
        if let Some(streams) = &shared.streams {
            tokio::spawn(streams.clone().follow(shared.clone()));
        }
        tokio::spawn(crate::live_events::push_room_events(shared.clone()));
        if let Some(cluster) = &shared.cluster {
            tokio::spawn(crate::remote::apply_remote(
                shared.clone(),
                cluster.subscribe(),
            ));
            tokio::spawn(crate::remote::repeat_members(Arc::downgrade(&shared)));
        }
        Self {
            shared,
            room_data,
            meet_api,
        }
    }
}

impl RoomRelay {
    /// Closes both sockets and records every participant of this process as
    /// having left: the server is stopping.
    pub async fn close(&self) {
        self.room_data.1.clone().close().await;
        self.meet_api.1.clone().close().await;
        self.shared.presence.leave_everyone().await;
    }

    /// `GET /ws`: the same room messages as JSON frames, for clients without
    /// Socket.IO.
    pub fn websocket_router(&self) -> axum::Router {
        crate::ws::router(self.shared.clone())
    }
}

fn authenticate(s: &SocketRef, shared: &Shared, token: Option<String>) -> Result<(), Refused> {
    let admitted = check_token(s, shared, token);
    if let Err(refused) = &admitted {
        tracing::info!(reason = %refused, "refused a room socket");
        shared.audit_refusal(
            None,
            "SOCKET connect".into(),
            s.req_parts().uri.path().to_owned(),
            401,
            s.req_parts(),
        );
    }
    admitted
}

fn check_token(s: &SocketRef, shared: &Shared, token: Option<String>) -> Result<(), Refused> {
    let token = token
        .or_else(|| query_token(s))
        .ok_or_else(|| Refused("a room token is required (auth: { token })".into()))?;
    let access = shared
        .auth
        .authorize(&token)
        .map_err(|e| Refused(format!("room token refused: {e}")))?;
    if shared.rooms.is_removed(access.room_id, &access.token_id) {
        return Err(Refused(
            "you were removed from this room; ask the host for a new token".into(),
        ));
    }
    s.extensions.insert(access);
    Ok(())
}

fn query_token(s: &SocketRef) -> Option<String> {
    let query = s.req_parts().uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// The Socket.IO room of a room's sockets.
pub(crate) fn room_name(room: RoomId) -> String {
    format!("room:{room}")
}

/// Puts an authenticated socket in its room and wires its handlers (from the
/// connect middleware, before the client is told it is connected). Everything a
/// socket sends is relayed by one task per socket, in the order it was sent.
fn admit(s: &SocketRef, shared: &Arc<Shared>) {
    let Some(access) = s.extensions.get::<RoomAccess>() else {
        let _ = s.clone().disconnect();
        return;
    };
    let room = room_name(access.room_id);
    s.join(room.clone());
    shared.rooms.join(
        access.room_id,
        &s.id.to_string(),
        Member {
            user_id: access.user_id,
            token_id: access.token_id.clone(),
        },
    );
    shared.announce_members(access.room_id);
    let (outbox, mut queued) = tokio::sync::mpsc::channel::<Outgoing>(OUTBOX);
    {
        let s = s.clone();
        let room = room.clone();
        let shared = shared.clone();
        let room_id = access.room_id;
        tokio::spawn(async move {
            while let Some((audience, event, payload, keep)) = queued.recv().await {
                if let Some(keep) = keep {
                    record(&shared, keep).await;
                }
                let to = match audience {
                    Audience::Others => s.to(room.clone()),
                    Audience::Everyone => s.within(room.clone()),
                };
                let _ = to.emit(event, &payload).await;
                shared.publish(
                    room_id,
                    Relayed {
                        origin: s.id.to_string(),
                        everyone: matches!(audience, Audience::Everyone),
                        event: event.to_owned(),
                        payload,
                    },
                );
            }
        });
    }
    s.extensions.insert(Arc::new(Mutex::new(Bucket::new(
        shared.settings.messages_per_second,
    ))));
    for message in MESSAGES {
        let shared = shared.clone();
        let access = access.clone();
        let outbox = outbox.clone();
        s.on(
            message.name,
            move |s: SocketRef, TryData(payload): TryData<Value>| {
                handle(
                    &s,
                    &shared,
                    &access,
                    &outbox,
                    message,
                    payload.unwrap_or(Value::Null),
                );
                async {}
            },
        );
    }
    s.extensions.insert(outbox);
    if let Some(streams) = &shared.streams {
        streams.admit(s, &access, shared.settings.messages_per_second);
    }
    let shared = shared.clone();
    s.on_disconnect(move |s: SocketRef| async move {
        if let Some(streams) = &shared.streams {
            streams.socket_left(&s.id.to_string()).await;
        }
        shared.rooms.leave(access.room_id, &s.id.to_string());
        shared.announce_members(access.room_id);
        shared.presence.depart(access.room_id, access.user_id);
        let count = shared.rooms.participants(access.room_id);
        let _ = s
            .to(room)
            .emit(
                "view_count",
                &json!({ "type": "view_count", "count": count }),
            )
            .await;
    });
}

/// Seats the socket's account in the room's session, then tells the room.
async fn arrive(s: &SocketRef, shared: &Arc<Shared>, handshake: Handshake) {
    let Some(access) = s.extensions.get::<RoomAccess>() else {
        return;
    };
    let location = shared
        .locate
        .locate(s.req_parts(), handshake.location.as_ref());
    let session = shared
        .presence
        .arrive(crate::presence::Arrival {
            user_id: access.user_id,
            room_id: access.room_id,
            name: handshake
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| access.user_id.to_string()),
            location,
            session_type: handshake.session_type.unwrap_or_else(|| "meeting".into()),
        })
        .await;
    let session = match session {
        Ok(id) => Some(id.to_string()),
        Err(e) => {
            tracing::warn!(error = %e, room = %access.room_id, "recording a room join failed");
            None
        }
    };
    let connected = json!({
        "type": "room_connected",
        "id": access.user_id.to_string(),
        "socketId": s.id.to_string(),
        "roomId": access.room_id.to_string(),
        "sessionId": session,
    });
    if let Some(stage) = shared.rooms.whiteboard(access.room_id) {
        let _ = s.emit("white-board-stage", &stage);
    }
    let _ = s.emit("room_connected", &connected);
    if let Some(outbox) = s.extensions.get::<Outbox>() {
        let _ = outbox.try_send((Audience::Others, "room_connected", connected, None));
        let views =
            json!({ "type": "view_count", "count": shared.rooms.participants(access.room_id) });
        let _ = outbox.try_send((Audience::Everyone, "view_count", views, None));
    }
}

fn refuse(s: &SocketRef, message: &str, status: u16, error: &str) {
    let _ = s.emit(
        "error",
        &json!({ "type": message, "status": status, "error": error }),
    );
}

/// Checks one message and applies what it does to the room (whiteboard, meeting,
/// removal), here and on the other processes. The answer is what to record and
/// the sockets to disconnect.
pub(crate) fn check(
    shared: &Shared,
    access: &RoomAccess,
    bucket: &Mutex<Bucket>,
    message: &'static MessageType,
    payload: &Value,
) -> Result<(Option<Keep>, Vec<String>), Refusal> {
    let size = serde_json::to_vec(payload).map_or(usize::MAX, |v| v.len());
    if size > shared.settings.max_message_bytes {
        return Err(Refusal::too_large(shared.settings.max_message_bytes));
    }
    if !Bucket::take_from(bucket, shared.settings.messages_per_second) {
        return Err(Refusal {
            status: 429,
            error: SLOW_DOWN.into(),
        });
    }
    let allowed = match message.sender {
        Sender::Host => access.host,
        Sender::Participant => access.publish_data || access.host,
    };
    if !allowed {
        tracing::warn!(
            user = %access.user_id,
            room = %access.room_id,
            message = message.name,
            "refused a room message the sender may not send"
        );
        return Err(Refusal {
            status: 403,
            error: match message.sender {
                Sender::Host => format!("only the host may send {}", message.name),
                Sender::Participant => "this room token may not send messages".into(),
            },
        });
    }
    let room = access.room_id;
    let mut keep = None;
    let mut removed = Vec::new();
    match message.effect {
        Effect::Relay => {}
        Effect::WhiteboardStage | Effect::WhiteboardClear => {
            let stage = (message.effect == Effect::WhiteboardStage).then(|| payload.clone());
            shared.rooms.set_whiteboard(room, stage.clone());
            shared.tell(ClusterMessage::Whiteboard { room, stage });
        }
        Effect::MeetingId => {
            if let Some(meeting) = text(payload, &["meetingId", "msg"]).and_then(|v| v.parse().ok())
            {
                shared.rooms.set_meeting(room, meeting);
                shared.tell(ClusterMessage::Meeting { room, meeting });
            }
        }
        Effect::Chat => keep = line(shared, access, payload).map(Keep::Chat),
        Effect::Transcript => keep = line(shared, access, payload).map(Keep::Transcript),
        Effect::Recording => {
            keep = Some(Keep::Recording {
                room,
                host: access.user_id,
                recording: recording_wish(payload),
            });
        }
        Effect::MuteAudio => {
            if let Some(streams) = shared.streams.clone() {
                let user = (message.name == "mute-participant")
                    .then(|| text(payload, &["id", "userId", "msg"]))
                    .flatten()
                    .and_then(|v| v.parse::<UserId>().ok());
                if message.name == "mute-all-participants" || user.is_some() {
                    let muted = mute_wish(payload);
                    tokio::spawn(async move { streams.mute(room, user, muted).await });
                }
            }
        }
        Effect::RemoveParticipant => {
            if let Some(user) =
                text(payload, &["id", "userId", "msg"]).and_then(|v| v.parse::<UserId>().ok())
            {
                let removal = shared.rooms.remove_user(room, user);
                shared.tell(ClusterMessage::Removed {
                    room,
                    user,
                    tokens: removal.tokens,
                    payload: payload.clone(),
                });
                removed = removal.sockets;
            }
        }
    }
    Ok((keep, removed))
}

/// Whether a mute message mutes (the default) or unmutes: a boolean `mute`,
/// `muted` or `isMuted` at the top or inside `msg`.
fn mute_wish(payload: &Value) -> bool {
    [Some(payload), payload.get("msg")]
        .into_iter()
        .flatten()
        .flat_map(|place| ["mute", "muted", "isMuted"].map(|name| place.get(name)))
        .flatten()
        .find_map(Value::as_bool)
        .unwrap_or(true)
}

/// Whether a `recording` message turns recording on or off, when it says: a
/// boolean `recording`/`isRecording`/`enabled`, or a `status`/`action`/`msg` of
/// start/started/on or stop/stopped/off, at the top or inside `msg`.
fn recording_wish(payload: &Value) -> Option<bool> {
    let places = [Some(payload), payload.get("msg")];
    for place in places.into_iter().flatten() {
        for name in ["recording", "isRecording", "enabled"] {
            if let Some(Value::Bool(b)) = place.get(name) {
                return Some(*b);
            }
        }
        let words = ["status", "action", "state"]
            .iter()
            .filter_map(|name| place.get(name))
            .chain(std::iter::once(place).filter(|p| p.is_string()));
        for word in words {
            match word.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("start" | "started" | "on" | "recording") => return Some(true),
                Some("stop" | "stopped" | "off") => return Some(false),
                _ => {}
            }
        }
    }
    None
}

/// Disconnects removed sockets of either kind, telling them why.
pub(crate) fn disconnect_removed(shared: &Shared, removed: Vec<String>, payload: &Value) {
    for sid in removed {
        if let Some(kick) = shared
            .ws_kicks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&sid)
        {
            let _ = kick.send(());
            continue;
        }
        if let (Some(sockets), Ok(id)) = (shared.room_sockets(), sid.parse())
            && let Some(socket) = sockets.get_socket(id)
        {
            let _ = socket.emit("remove-participant", payload);
            let _ = socket.disconnect();
        }
    }
}

/// A Socket.IO message: checked, applied, then queued for relaying in order.
fn handle(
    s: &SocketRef,
    shared: &Arc<Shared>,
    access: &RoomAccess,
    outbox: &Outbox,
    message: &'static MessageType,
    payload: Value,
) {
    let Some(bucket) = s.extensions.get::<Arc<Mutex<Bucket>>>() else {
        return;
    };
    match check(shared, access, &bucket, message, &payload) {
        Err(refusal) => {
            shared.audit_denied_message(access, message, &refusal, s.req_parts());
            refuse(s, message.name, refusal.status, &refusal.error);
        }
        Ok((chat, removed)) => {
            disconnect_removed(shared, removed, &payload);
            if outbox
                .try_send((Audience::Others, message.name, payload, chat))
                .is_err()
            {
                refuse(s, message.name, 429, "too many messages waiting; slow down");
            }
        }
    }
}

/// Text a publisher sent on its stream's data channel, handled as if its socket
/// had sent it: a room message when its JSON names one in `type`, otherwise
/// `stream-data` `{ type, id, msg }` (the stream and what was sent) for the room.
pub(crate) fn channel_message(shared: &Arc<Shared>, socket: &str, stream: &str, text: &str) {
    let (Some(sockets), Ok(sid)) = (shared.room_sockets(), socket.parse()) else {
        return;
    };
    let Some(s) = sockets.get_socket(sid) else {
        return;
    };
    let (Some(access), Some(outbox)) = (
        s.extensions.get::<RoomAccess>(),
        s.extensions.get::<Outbox>(),
    ) else {
        return;
    };
    let Some(stream_data) = crate::catalog::find("stream-data") else {
        return;
    };
    if text.len() > shared.settings.max_message_bytes {
        let refusal = Refusal::too_large(shared.settings.max_message_bytes);
        refuse(&s, stream_data.name, refusal.status, &refusal.error);
        return;
    }
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()));
    let named = value
        .get("type")
        .and_then(Value::as_str)
        .and_then(crate::catalog::find);
    let (message, payload) = match named {
        Some(message) => (message, value),
        None => (
            stream_data,
            json!({ "type": "stream-data", "id": stream, "msg": value }),
        ),
    };
    handle(&s, shared, &access, &outbox, message, payload);
}

/// A string field of the payload (or of its `msg` object), by the first name found.
pub(crate) fn text(payload: &Value, names: &[&str]) -> Option<String> {
    for name in names {
        for v in [
            payload.get(name),
            payload.get("msg").and_then(|m| m.get(name)),
        ] {
            if let Some(Value::String(s)) = v {
                return Some(s.clone());
            }
        }
    }
    None
}

/// The chat or transcript line to record, when the room's meeting is known.
fn line(shared: &Shared, access: &RoomAccess, payload: &Value) -> Option<Line> {
    let meeting = shared.rooms.meeting(access.room_id)?;
    let message = text(payload, &["msg"]).filter(|m| !m.is_empty())?;
    let user_name =
        text(payload, &["username", "userName"]).unwrap_or_else(|| access.user_id.to_string());
    Some(Line {
        meeting,
        user_name,
        user: access.user_id,
        message,
    })
}

/// Records what a message leaves in the log; a failure is logged, the message
/// is relayed anyway.
pub(crate) async fn record(shared: &Shared, keep: Keep) {
    let user = match &keep {
        Keep::Chat(line) | Keep::Transcript(line) => line.user,
        Keep::Recording { host, .. } => *host,
    };
    let ctx = CommandContext::new(Actor {
        id: Some(user.to_string()),
        roles: vec![],
    });
    let (what, outcome) = match keep {
        Keep::Chat(line) => (
            "a chat message",
            post_chat_message(
                &shared.bus,
                &ctx,
                line.meeting,
                line.user_name,
                Some(line.user),
                line.message,
            )
            .await
            .map(drop),
        ),
        Keep::Transcript(line) => {
            // The web client sends lines encrypted; anything else is encrypted
            // here, so that no transcript text is kept in clear.
            let message = if shared.transcripts.decrypt(&line.message).is_ok() {
                Ok(line.message)
            } else {
                shared.transcripts.encrypt(&line.message)
            };
            let outcome = match message {
                Ok(message) => add_transcript_line(
                    &shared.bus,
                    &ctx,
                    NewTranscriptLine {
                        meeting_id: line.meeting,
                        user_name: line.user_name,
                        message,
                        sent_by: Some(line.user),
                    },
                )
                .await
                .map(drop),
                Err(e) => {
                    tracing::warn!(error = %e, "encrypting a transcript line failed");
                    Ok(())
                }
            };
            ("a transcript line", outcome)
        }
        Keep::Recording {
            room,
            host,
            recording,
        } => (
            "a recording toggle",
            toggle_room_recording(&shared.bus, &ctx, room, host, recording)
                .await
                .map(drop),
        ),
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "recording {what} failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_message_says_on_or_off_in_the_web_client_s_words() {
        for (payload, wish) in [
            (
                json!({ "type": "recording", "msg": { "status": "start" } }),
                Some(true),
            ),
            (json!({ "type": "recording", "msg": "stop" }), Some(false)),
            (
                json!({ "type": "recording", "recording": true }),
                Some(true),
            ),
            (
                json!({ "type": "recording", "msg": { "isRecording": false } }),
                Some(false),
            ),
            (
                json!({ "type": "recording", "action": "Stopped" }),
                Some(false),
            ),
            (json!({ "type": "recording" }), None),
            (
                json!({ "type": "recording", "msg": { "status": "paused" } }),
                None,
            ),
        ] {
            assert_eq!(recording_wish(&payload), wish, "{payload}");
        }
    }
}
