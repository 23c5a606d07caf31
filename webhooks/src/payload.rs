//! What a delivery says: the public event type, the domain event's fields (minus
//! what only the server needs), and whom the event concerns — the account whose
//! endpoints hear of it and the key that orders deliveries (a meeting, a room, a
//! storage account).

use std::collections::HashMap;

use altegon_commands::CommandBus;
use altegon_commands::store::RecordedEvent;
use altegon_domain::meeting::Meeting;
use altegon_domain::recording::Recording;
use altegon_domain::session::Session;
use altegon_domain::webhook::public_type;
use altegon_domain::{DomainEvent, MeetingId, RoomId, UserId};
use serde_json::{Value, json};

/// Whom an event concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The account that owns the meeting, room or storage.
    pub owner: UserId,
    /// Deliveries with the same key reach an endpoint in log order.
    pub ordering_key: String,
}

/// Fields left out of deliveries: sealed texts and internal storage paths.
const WITHHELD: &[&str] = &["summary", "blobPath"];

/// The request body of the delivery of `event`.
pub fn body(delivery_id: &str, public_type: &str, event: &RecordedEvent, data: Value) -> String {
    envelope(
        delivery_id,
        public_type,
        event.recorded_at,
        event.position,
        &event.event_id,
        data,
    )
}

/// A delivery's request body: `{id, type, timestamp, position, eventId, data}`.
pub fn envelope(
    delivery_id: &str,
    public_type: &str,
    at: chrono::DateTime<chrono::Utc>,
    position: u64,
    event_id: &uuid::Uuid,
    data: Value,
) -> String {
    json!({
        "id": delivery_id,
        "type": public_type,
        "timestamp": altegon_projections::api_time(at),
        "position": position.to_string(),
        "eventId": event_id.to_string(),
        "data": data,
    })
    .to_string()
}

/// The event's fields as receivers get them.
pub fn data(event: &DomainEvent) -> Value {
    let mut data = event.encode().data;
    if let Value::Object(map) = &mut data {
        for field in WITHHELD {
            map.remove(*field);
        }
    }
    data
}

/// Finds whom events concern, remembering recordings, sessions and meetings it
/// looked up (each would otherwise cost a stream read per event).
pub struct SubjectResolver {
    bus: CommandBus,
    known: HashMap<String, Subject>,
}

/// Remembered subjects before the cache starts over.
const MAX_KNOWN: usize = 50_000;

impl SubjectResolver {
    /// A resolver reading aggregates through `bus`.
    pub fn new(bus: CommandBus) -> Self {
        Self {
            bus,
            known: HashMap::new(),
        }
    }

    /// The public type and subject of `event`, when webhooks announce it.
    pub async fn resolve(
        &mut self,
        recorded: &RecordedEvent,
        event: &DomainEvent,
    ) -> Option<(&'static str, Subject)> {
        let public = public_type(&recorded.event_type)?;
        if let Some(subject) = direct(event) {
            self.remember(&recorded.stream_id, &subject);
            return Some((public, subject));
        }
        if let Some(subject) = self.known.get(&recorded.stream_id) {
            return Some((public, subject.clone()));
        }
        let subject = self.look_up(event).await?;
        self.remember(&recorded.stream_id, &subject);
        Some((public, subject))
    }

    fn remember(&mut self, stream: &str, subject: &Subject) {
        if self.known.len() >= MAX_KNOWN {
            self.known.clear();
        }
        self.known.insert(stream.to_owned(), subject.clone());
    }

    async fn look_up(&self, event: &DomainEvent) -> Option<Subject> {
        match event {
            DomainEvent::MeetingUpdated(e) => self.meeting(e.meeting_id).await,
            DomainEvent::MeetingSummaryGenerated(e) => self.meeting(e.meeting_id).await,
            DomainEvent::ParticipantJoined(e) => self.session(&e.session_id).await,
            DomainEvent::ParticipantLeft(e) => self.session(&e.session_id).await,
            DomainEvent::SessionEnded(e) => self.session(&e.session_id).await,
            DomainEvent::RecordingStopped(e) => self.recording(&e.recording_id).await,
            DomainEvent::RecordingProcessed(e) => self.recording(&e.recording_id).await,
            DomainEvent::RecordingProcessingFailed(e) => self.recording(&e.recording_id).await,
            _ => None,
        }
    }

    async fn meeting(&self, id: MeetingId) -> Option<Subject> {
        let state = self.bus.state::<Meeting>(id).await.ok()?;
        Some(Subject {
            owner: state.host_id?,
            ordering_key: format!("meeting-{id}"),
        })
    }

    async fn session(&self, id: impl std::fmt::Display) -> Option<Subject> {
        let started = self.bus.state::<Session>(id).await.ok()?.started?;
        Some(in_room(started.host_id, started.room_id))
    }

    async fn recording(&self, id: &str) -> Option<Subject> {
        let started = self.bus.state::<Recording>(id).await.ok()?.started?;
        Some(in_room(started.room_owner_id, started.room_id))
    }
}

fn in_room(owner: UserId, room: RoomId) -> Subject {
    Subject {
        owner,
        ordering_key: format!("room-{room}"),
    }
}

/// The subject of events that name it themselves.
fn direct(event: &DomainEvent) -> Option<Subject> {
    match event {
        DomainEvent::MeetingCreated(e) => Some(Subject {
            owner: e.host_id,
            ordering_key: format!("meeting-{}", e.meeting_id),
        }),
        DomainEvent::SessionStarted(e) => Some(in_room(e.host_id, e.room_id)),
        DomainEvent::RecordingStarted(e) => Some(in_room(e.room_owner_id, e.room_id)),
        DomainEvent::RecordingFileUploaded(e) => Some(in_room(e.user_id, e.room_id)),
        DomainEvent::StorageWarningLevelReached(e) => Some(Subject {
            owner: e.user_id,
            ordering_key: format!("storage-{}", e.user_id),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use altegon_domain::events::MeetingSummaryGenerated;
    use chrono::Utc;

    #[test]
    fn sealed_summaries_are_withheld() {
        let event = DomainEvent::MeetingSummaryGenerated(MeetingSummaryGenerated {
            meeting_id: "68ee4b39b22d6134386fc5dc".parse().unwrap(),
            summary: "sealed".into(),
            summarizer: "offline".into(),
            lines: 3,
            generated_by: "68de7a9d8f40ff41c940c7fb".parse().unwrap(),
            generated_at: Utc::now(),
        });
        let data = data(&event);
        assert!(data.get("summary").is_none());
        assert_eq!(data["lines"], 3);
        assert_eq!(data["meetingId"], "68ee4b39b22d6134386fc5dc");
    }
}
