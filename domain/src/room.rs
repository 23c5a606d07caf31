//! The Room aggregate (stream `room-{id}`): a virtual room owned by one account,
//! whether its host has turned recording on, and the media streams live in it
//! with their subscriber counts (from the SFU).

use chrono::{DateTime, Utc};

use std::collections::BTreeMap;

use crate::events::{
    RoomCreated, RoomRecordingToggled, RoomStreamPublished, RoomStreamSubscribersCounted,
    RoomStreamUnpublished,
};
use crate::validate::required_text;
use crate::{Aggregate, DomainError, DomainEvent, RoomId, UserId};

/// Upper bound for `maxParticipants`.
pub const MAX_PARTICIPANTS_LIMIT: u32 = 10_000;

/// The Room aggregate.
pub struct Room;

/// What is known of a room.
#[derive(Debug, Clone, Default)]
pub struct RoomState {
    /// Set once created.
    pub created: Option<RoomCreated>,
    /// The host turned recording on (and not off since).
    pub recording: bool,
    /// Live streams and their subscriber counts.
    pub streams: BTreeMap<String, u32>,
}

/// Commands for a room.
#[derive(Debug, Clone)]
pub enum RoomCommand {
    /// Create the room.
    Create {
        /// The new room's id.
        room_id: RoomId,
        /// The creating account.
        owner_id: UserId,
        /// Display name.
        name: String,
        /// Kind of room (`meeting`, `conference`, `webinar`, `live`, ...).
        room_type: String,
        /// Optional upper bound on participants.
        max_participants: Option<u32>,
        /// Hidden from others.
        is_private: bool,
        /// Peer-to-peer media.
        p2p: bool,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Turn the room's recording on or off; without a wish, flip it.
    ToggleRecording {
        /// The host (the caller checked the room-admin grant).
        by: UserId,
        /// On or off; `None` flips the current state.
        recording: Option<bool>,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// A stream went live (its publisher's media connection is up).
    PublishStream {
        /// The stream's name in the room.
        stream_id: String,
        /// The publishing account.
        owner_id: UserId,
        /// The time it went live.
        now: DateTime<Utc>,
    },
    /// A live stream has this many subscribers now.
    CountSubscribers {
        /// The stream.
        stream_id: String,
        /// Its subscribers.
        subscribers: u32,
        /// The time of the change.
        now: DateTime<Utc>,
    },
    /// A stream ended.
    UnpublishStream {
        /// The stream.
        stream_id: String,
        /// The time it ended.
        now: DateTime<Utc>,
    },
}

impl Aggregate for Room {
    type State = RoomState;
    type Command = RoomCommand;
    const STREAM_PREFIX: &'static str = "room";

    fn evolve(mut state: RoomState, event: &DomainEvent) -> RoomState {
        match event {
            DomainEvent::RoomCreated(e) => state.created = Some(e.clone()),
            DomainEvent::RoomRecordingToggled(e) => state.recording = e.recording,
            DomainEvent::RoomStreamPublished(e) => {
                state.streams.insert(e.stream_id.clone(), 0);
            }
            DomainEvent::RoomStreamSubscribersCounted(e) => {
                state.streams.insert(e.stream_id.clone(), e.subscribers);
            }
            DomainEvent::RoomStreamUnpublished(e) => {
                state.streams.remove(&e.stream_id);
            }
            _ => {}
        }
        state
    }

    fn decide(state: &RoomState, command: &RoomCommand) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            RoomCommand::ToggleRecording { by, recording, now } => {
                toggle_recording(state, *by, *recording, *now)
            }
            RoomCommand::PublishStream { .. }
            | RoomCommand::CountSubscribers { .. }
            | RoomCommand::UnpublishStream { .. } => stream_change(state, command),
            RoomCommand::Create {
                room_id,
                owner_id,
                name,
                room_type,
                max_participants,
                is_private,
                p2p,
                now,
            } => {
                if state.created.is_some() {
                    return Err(DomainError::AlreadyExists("room"));
                }
                let room_type = required_text("type", room_type, 32)?.to_lowercase();
                if !room_type
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(DomainError::invalid(
                        "type",
                        "may hold letters, digits, '-' and '_' only",
                    ));
                }
                if let Some(max) = max_participants
                    && (*max == 0 || *max > MAX_PARTICIPANTS_LIMIT)
                {
                    return Err(DomainError::invalid(
                        "maxParticipants",
                        format!("must be between 1 and {MAX_PARTICIPANTS_LIMIT}"),
                    ));
                }
                Ok(vec![DomainEvent::RoomCreated(RoomCreated {
                    room_id: *room_id,
                    owner_id: *owner_id,
                    name: required_text("name", name, 200)?,
                    room_type,
                    max_participants: *max_participants,
                    is_private: *is_private,
                    p2p: *p2p,
                    created_at: *now,
                })])
            }
        }
    }
}

/// Streams as the SFU reports them: each change once; a repeat, a count for a
/// stream that is not live or an end of one that never started changes nothing.
fn stream_change(
    state: &RoomState,
    command: &RoomCommand,
) -> Result<Vec<DomainEvent>, DomainError> {
    let Some(created) = &state.created else {
        return Err(DomainError::NotFound("room"));
    };
    let room_id = created.room_id;
    let event = match command {
        RoomCommand::PublishStream {
            stream_id,
            owner_id,
            now,
        } if !state.streams.contains_key(stream_id) => {
            DomainEvent::RoomStreamPublished(RoomStreamPublished {
                room_id,
                stream_id: required_text("streamId", stream_id, 64)?,
                owner_id: *owner_id,
                published_at: *now,
            })
        }
        RoomCommand::CountSubscribers {
            stream_id,
            subscribers,
            now,
        } if state
            .streams
            .get(stream_id)
            .is_some_and(|count| count != subscribers) =>
        {
            DomainEvent::RoomStreamSubscribersCounted(RoomStreamSubscribersCounted {
                room_id,
                stream_id: stream_id.clone(),
                subscribers: *subscribers,
                counted_at: *now,
            })
        }
        RoomCommand::UnpublishStream { stream_id, now }
            if state.streams.contains_key(stream_id) =>
        {
            DomainEvent::RoomStreamUnpublished(RoomStreamUnpublished {
                room_id,
                stream_id: stream_id.clone(),
                unpublished_at: *now,
            })
        }
        _ => return Ok(vec![]),
    };
    Ok(vec![event])
}

/// Recording goes on or off once; asking for the state it is in changes nothing.
fn toggle_recording(
    state: &RoomState,
    by: UserId,
    recording: Option<bool>,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    let Some(created) = &state.created else {
        return Err(DomainError::NotFound("room"));
    };
    let recording = recording.unwrap_or(!state.recording);
    if recording == state.recording {
        return Ok(vec![]);
    }
    Ok(vec![DomainEvent::RoomRecordingToggled(
        RoomRecordingToggled {
            room_id: created.room_id,
            recording,
            toggled_by: by,
            toggled_at: now,
        },
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 0, 0).unwrap()
    }

    fn create() -> RoomCommand {
        RoomCommand::Create {
            room_id: "68aff60d0d7bbb02c917906d".parse().unwrap(),
            owner_id: "68afea5f8ed95fae8f7f6d86".parse().unwrap(),
            name: "Haseeb Asif".into(),
            room_type: "Conference".into(),
            max_participants: Some(20),
            is_private: false,
            p2p: true,
            now: now(),
        }
    }

    fn created() -> DomainEvent {
        DomainEvent::RoomCreated(RoomCreated {
            room_id: "68aff60d0d7bbb02c917906d".parse().unwrap(),
            owner_id: "68afea5f8ed95fae8f7f6d86".parse().unwrap(),
            name: "Haseeb Asif".into(),
            room_type: "conference".into(),
            max_participants: Some(20),
            is_private: false,
            p2p: true,
            created_at: now(),
        })
    }

    #[test]
    fn a_room_is_created_with_its_type_lowercased() {
        given::<Room>([]).when(create()).then([created()]);
    }

    #[test]
    fn a_room_is_created_once() {
        given::<Room>([created()])
            .when(create())
            .then_err(DomainError::AlreadyExists("room"));
    }

    #[test]
    fn a_room_needs_a_name_and_a_plain_type() {
        let mut cmd = create();
        if let RoomCommand::Create { name, .. } = &mut cmd {
            name.clear();
        }
        given::<Room>([]).when(cmd).then_invalid("name");

        let mut cmd = create();
        if let RoomCommand::Create { room_type, .. } = &mut cmd {
            *room_type = "con ference".into();
        }
        given::<Room>([]).when(cmd).then_invalid("type");
    }

    #[test]
    fn max_participants_must_be_positive_and_bounded() {
        for bad in [0, MAX_PARTICIPANTS_LIMIT + 1] {
            let mut cmd = create();
            if let RoomCommand::Create {
                max_participants, ..
            } = &mut cmd
            {
                *max_participants = Some(bad);
            }
            given::<Room>([]).when(cmd).then_invalid("maxParticipants");
        }
    }

    fn toggle(recording: Option<bool>) -> RoomCommand {
        RoomCommand::ToggleRecording {
            by: "68afea5f8ed95fae8f7f6d86".parse().unwrap(),
            recording,
            now: now(),
        }
    }

    fn toggled(recording: bool) -> DomainEvent {
        DomainEvent::RoomRecordingToggled(RoomRecordingToggled {
            room_id: "68aff60d0d7bbb02c917906d".parse().unwrap(),
            recording,
            toggled_by: "68afea5f8ed95fae8f7f6d86".parse().unwrap(),
            toggled_at: now(),
        })
    }

    #[test]
    fn the_host_turns_recording_on_and_off() {
        given::<Room>([created()])
            .when(toggle(Some(true)))
            .then([toggled(true)]);
        given::<Room>([created(), toggled(true)])
            .when(toggle(Some(false)))
            .then([toggled(false)]);
    }

    #[test]
    fn a_toggle_without_a_wish_flips_the_state() {
        given::<Room>([created()])
            .when(toggle(None))
            .then([toggled(true)]);
        given::<Room>([created(), toggled(true)])
            .when(toggle(None))
            .then([toggled(false)]);
    }

    #[test]
    fn asking_for_the_current_state_changes_nothing() {
        given::<Room>([created(), toggled(true)])
            .when(toggle(Some(true)))
            .then([]);
    }

    #[test]
    fn an_unknown_room_is_not_recorded() {
        given::<Room>([])
            .when(toggle(Some(true)))
            .then_err(DomainError::NotFound("room"));
    }

    fn room() -> RoomId {
        "68aff60d0d7bbb02c917906d".parse().unwrap()
    }

    fn publish(stream: &str) -> RoomCommand {
        RoomCommand::PublishStream {
            stream_id: stream.into(),
            owner_id: "68afea5f8ed95fae8f7f6d86".parse().unwrap(),
            now: now(),
        }
    }

    fn published(stream: &str) -> DomainEvent {
        DomainEvent::RoomStreamPublished(RoomStreamPublished {
            room_id: room(),
            stream_id: stream.into(),
            owner_id: "68afea5f8ed95fae8f7f6d86".parse().unwrap(),
            published_at: now(),
        })
    }

    fn count(stream: &str, subscribers: u32) -> RoomCommand {
        RoomCommand::CountSubscribers {
            stream_id: stream.into(),
            subscribers,
            now: now(),
        }
    }

    fn counted(stream: &str, subscribers: u32) -> DomainEvent {
        DomainEvent::RoomStreamSubscribersCounted(RoomStreamSubscribersCounted {
            room_id: room(),
            stream_id: stream.into(),
            subscribers,
            counted_at: now(),
        })
    }

    fn unpublish(stream: &str) -> RoomCommand {
        RoomCommand::UnpublishStream {
            stream_id: stream.into(),
            now: now(),
        }
    }

    fn unpublished(stream: &str) -> DomainEvent {
        DomainEvent::RoomStreamUnpublished(RoomStreamUnpublished {
            room_id: room(),
            stream_id: stream.into(),
            unpublished_at: now(),
        })
    }

    #[test]
    fn a_stream_goes_live_once() {
        given::<Room>([created()])
            .when(publish("s1"))
            .then([published("s1")]);
        given::<Room>([created(), published("s1")])
            .when(publish("s1"))
            .then([]);
    }

    #[test]
    fn streams_belong_to_rooms_that_exist() {
        given::<Room>([])
            .when(publish("s1"))
            .then_err(DomainError::NotFound("room"));
    }

    #[test]
    fn a_live_stream_counts_its_subscribers_when_they_change() {
        given::<Room>([created(), published("s1")])
            .when(count("s1", 2))
            .then([counted("s1", 2)]);
        given::<Room>([created(), published("s1"), counted("s1", 2)])
            .when(count("s1", 2))
            .then([]);
        // A count for a stream that is not live is not recorded.
        given::<Room>([created()]).when(count("s1", 2)).then([]);
    }

    #[test]
    fn a_stream_ends_once_and_only_if_it_was_live() {
        given::<Room>([created(), published("s1")])
            .when(unpublish("s1"))
            .then([unpublished("s1")]);
        given::<Room>([created(), published("s1"), unpublished("s1")])
            .when(unpublish("s1"))
            .then([]);
        given::<Room>([created()]).when(unpublish("s1")).then([]);
    }
}
