//! Pushes what happens in the log to the rooms it concerns: recordings started,
//! stopped, processed (with progress) and stored, shared files. A room's sockets get
//! an `event` message `{type, …the event's fields}`; the subscription starts at
//! "now", since earlier events are in the read models.

use altegon_commands::CommandBus;
use altegon_commands::pipeline::decode;
use altegon_commands::store::{EventFilter, SubscriptionStart};
use altegon_domain::recording::Recording;
use altegon_domain::session::Session;
use altegon_domain::{DomainEvent, RoomId};
use futures::StreamExt;
use serde_json::Value;
use socketioxide::SocketIo;

/// The event types rooms hear about.
pub const PUSHED: &[&str] = &[
    "RecordingStarted",
    "RecordingStopped",
    "RecordingProcessingStarted",
    "RecordingProcessingProgressed",
    "RecordingProcessed",
    "RecordingProcessingFailed",
    "RecordingFileUploaded",
    "RoomFileUploaded",
    "RoomFilesDeleted",
];

/// Follows the log until the store's stream ends, pushing events to rooms.
pub async fn push_room_events(bus: CommandBus, io: SocketIo) {
    let filter = EventFilter {
        stream_prefixes: vec![],
        event_types: PUSHED.iter().map(|t| (*t).to_owned()).collect(),
    };
    let mut events = bus.store().subscribe_to_all(SubscriptionStart::End, filter);
    while let Some(next) = events.next().await {
        let recorded = match next {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "the room event feed stopped");
                return;
            }
        };
        let Ok(event) = decode(&recorded) else {
            continue;
        };
        let Some(room) = room_of(&bus, &event).await else {
            continue;
        };
        let mut payload = event.encode().data;
        if let Value::Object(map) = &mut payload {
            map.insert("type".into(), Value::String(recorded.event_type.clone()));
            map.insert("position".into(), Value::from(recorded.position));
        }
        let _ = io
            .to(crate::relay::room_name(room))
            .emit("event", &payload)
            .await;
    }
}

/// The room an event concerns, when it concerns one: from the event itself, or
/// from the state of the recording or session it belongs to.
pub async fn room_of(bus: &CommandBus, event: &DomainEvent) -> Option<RoomId> {
    let session = match event {
        DomainEvent::SessionStarted(e) => return Some(e.room_id),
        DomainEvent::ParticipantJoined(e) => Some(&e.session_id),
        DomainEvent::ParticipantLeft(e) => Some(&e.session_id),
        DomainEvent::SessionEnded(e) => Some(&e.session_id),
        _ => None,
    };
    if let Some(session) = session {
        return bus
            .state::<Session>(session)
            .await
            .ok()
            .and_then(|s| s.started.map(|s| s.room_id));
    }
    let recording = match event {
        DomainEvent::RecordingStarted(e) => return Some(e.room_id),
        DomainEvent::RecordingFileUploaded(e) => return Some(e.room_id),
        DomainEvent::RoomFileUploaded(e) => return Some(e.room_id),
        DomainEvent::RoomFilesDeleted(e) => return Some(e.room_id),
        DomainEvent::RecordingProcessingStarted(e) => return Some(e.room_id),
        DomainEvent::RecordingStopped(e) => &e.recording_id,
        DomainEvent::RecordingProcessingProgressed(e) => &e.recording_id,
        DomainEvent::RecordingProcessed(e) => &e.recording_id,
        DomainEvent::RecordingProcessingFailed(e) => &e.recording_id,
        _ => return None,
    };
    bus.state::<Recording>(recording)
        .await
        .ok()
        .and_then(|s| s.started.map(|s| s.room_id))
}
