//! Pushes what happens in the log to the rooms it concerns: recordings started,
//! stopped, processed (with progress) and stored, shared files, summaries ready.
//! A room's sockets (of both kinds) get an `event` message `{type, …the event's
//! fields}`; the subscription starts at "now", since earlier events are in the
//! read models. Every server process follows the log itself, so these are not
//! passed between processes.

use std::sync::Arc;

use altegon_commands::CommandBus;
use altegon_commands::pipeline::decode;
use altegon_commands::store::{EventFilter, StoreError, SubscriptionStart};
use altegon_domain::meeting::Meeting;
use altegon_domain::recording::Recording;
use altegon_domain::session::Session;
use altegon_domain::{DomainEvent, RoomId};
use futures::StreamExt;
use serde_json::Value;

use crate::relay::{Relayed, Shared};

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
    "MeetingSummaryGenerated",
];

/// Fields never pushed: the notes themselves (encrypted in the log) are read
/// through the API by those allowed to.
const WITHHELD: &[&str] = &["summary"];

/// Follows the log until the store's stream ends, pushing events to rooms.
pub(crate) async fn push_room_events(shared: Arc<Shared>) {
    let bus = &shared.bus;
    let filter = EventFilter {
        stream_prefixes: vec![],
        event_types: PUSHED.iter().map(|t| (*t).to_owned()).collect(),
    };
    let mut events = bus.store().subscribe_to_all(SubscriptionStart::End, filter);
    while let Some(next) = events.next().await {
        let recorded = match next {
            Ok(e) => e,
            Err(StoreError::Closed) => return, // the server is stopping
            Err(e) => {
                tracing::warn!(error = %e, "the room event feed stopped");
                return;
            }
        };
        let Ok(event) = decode(&recorded) else {
            continue;
        };
        // A meeting not linked to a room in the log may have been announced in one.
        let announced = match &event {
            DomainEvent::MeetingSummaryGenerated(e) => shared.rooms.room_of_meeting(e.meeting_id),
            _ => None,
        };
        let Some(room) = room_of(bus, &event).await.or(announced) else {
            continue;
        };
        let mut payload = event.encode().data;
        if let Value::Object(map) = &mut payload {
            for field in WITHHELD {
                map.remove(*field);
            }
            map.insert("type".into(), Value::String(recorded.event_type.clone()));
            map.insert("position".into(), Value::from(recorded.position));
        }
        shared
            .emit_here(
                room,
                Relayed {
                    origin: String::new(),
                    everyone: true,
                    event: "event".into(),
                    payload,
                },
            )
            .await;
    }
}

/// The room an event concerns, when it concerns one: from the event itself, or
/// from the state of the recording, session or meeting it belongs to.
pub async fn room_of(bus: &CommandBus, event: &DomainEvent) -> Option<RoomId> {
    if let DomainEvent::MeetingSummaryGenerated(e) = event {
        return bus
            .state::<Meeting>(e.meeting_id)
            .await
            .ok()
            .and_then(|m| m.room_id);
    }
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
