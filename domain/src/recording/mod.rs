//! The Recording aggregate (stream `recording-{recordingId}`): one recording of a
//! room's stream, from start to stop. Only the room's owner (or an admin) controls
//! it; it stops once. The recording server's track files and processing runs
//! live on the same stream ([`ingest`]).

pub mod ingest;

use chrono::{DateTime, Utc};

use crate::events::{RecordingStarted, RecordingStopped};
use crate::meeting::Caller;
use crate::validate::{recording_id, required_text};
use crate::{Aggregate, DomainError, DomainEvent, MeetingId, ObjectId, RoomId, UserId};

/// The Recording aggregate.
pub struct Recording;

/// What is known of a recording.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordingState {
    /// Set once started.
    pub started: Option<RecordingStarted>,
    /// Set once stopped.
    pub stopped: Option<RecordingStopped>,
    /// Track files and processing.
    pub ingest: ingest::IngestState,
}

/// Start a recording.
#[derive(Debug, Clone)]
pub struct StartRecording {
    /// The client's recording id.
    pub recording_id: String,
    /// A fresh 24-hex id for the record.
    pub record_id: ObjectId,
    /// The recorded room.
    pub room_id: RoomId,
    /// The room's owner as the room's stream says; `None` when the room does not exist.
    pub room_owner_id: Option<UserId>,
    /// The meeting it belongs to, when known.
    pub meeting_id: Option<MeetingId>,
    /// Display name of who asks.
    pub user_name: String,
    /// The recorded media stream.
    pub stream_id: String,
    /// Kind of media.
    pub video_type: String,
    /// Status the client reports.
    pub status: String,
    /// When recording began, per the client.
    pub start_time: DateTime<Utc>,
    /// Who asks.
    pub caller: Caller,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

/// Stop a recording.
#[derive(Debug, Clone)]
pub struct StopRecording {
    /// The client's recording id.
    pub recording_id: String,
    /// The recorded stream, which must be the started one.
    pub stream_id: String,
    /// When recording ended, per the client.
    pub end_time: DateTime<Utc>,
    /// Who asks.
    pub caller: Caller,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

/// Commands for a recording.
#[derive(Debug, Clone)]
pub enum RecordingCommand {
    /// Start it.
    Start(StartRecording),
    /// Stop it.
    Stop(StopRecording),
    /// A recording server command.
    Ingest(ingest::IngestCommand),
}

impl Aggregate for Recording {
    type State = RecordingState;
    type Command = RecordingCommand;
    const STREAM_PREFIX: &'static str = "recording";

    fn evolve(mut state: RecordingState, event: &DomainEvent) -> RecordingState {
        match event {
            DomainEvent::RecordingStarted(e) => state.started = Some(e.clone()),
            DomainEvent::RecordingStopped(e) => state.stopped = Some(e.clone()),
            other => state.ingest.evolve(other),
        }
        state
    }

    fn decide(
        state: &RecordingState,
        command: &RecordingCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            RecordingCommand::Start(c) => start(state, c),
            RecordingCommand::Stop(c) => stop(state, c),
            RecordingCommand::Ingest(c) => ingest::decide(state, c),
        }
    }
}

fn start(state: &RecordingState, c: &StartRecording) -> Result<Vec<DomainEvent>, DomainError> {
    let recording_id = recording_id(&c.recording_id)?;
    if state.started.is_some() {
        return Err(DomainError::AlreadyExists("recording"));
    }
    let owner = c.room_owner_id.ok_or(DomainError::NotFound("room"))?;
    if owner != c.caller.user_id && !c.caller.is_admin {
        return Err(DomainError::Forbidden(
            "only the room's owner may record it",
        ));
    }
    Ok(vec![DomainEvent::RecordingStarted(RecordingStarted {
        recording_id,
        record_id: c.record_id,
        room_id: c.room_id,
        room_owner_id: owner,
        meeting_id: c.meeting_id,
        user_name: required_text("userName", &c.user_name, 200)?,
        stream_id: required_text("streamId", &c.stream_id, 64)?,
        video_type: required_text("videoType", &c.video_type, 32)?,
        status: required_text("status", &c.status, 32)?,
        start_time: c.start_time,
        started_by: c.caller.user_id,
        started_at: c.now,
    })])
}

fn stop(state: &RecordingState, c: &StopRecording) -> Result<Vec<DomainEvent>, DomainError> {
    let started = state
        .started
        .as_ref()
        .ok_or(DomainError::NotFound("recording"))?;
    if started.room_owner_id != c.caller.user_id && !c.caller.is_admin {
        return Err(DomainError::Forbidden(
            "only the room's owner may stop its recording",
        ));
    }
    if state.stopped.is_some() {
        return Err(DomainError::Conflict("the recording is already stopped"));
    }
    if c.stream_id.trim() != started.stream_id {
        return Err(DomainError::invalid(
            "streamId",
            "is not the stream this recording was started for",
        ));
    }
    if c.end_time < started.start_time {
        return Err(DomainError::invalid(
            "endTime",
            "must not be before the recording's start time",
        ));
    }
    Ok(vec![DomainEvent::RecordingStopped(RecordingStopped {
        recording_id: started.recording_id.clone(),
        stream_id: started.stream_id.clone(),
        end_time: c.end_time,
        stopped_by: c.caller.user_id,
        stopped_at: c.now,
    })])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn at(secs: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 8, 28, 9, 0, secs).unwrap()
    }
    fn owner() -> UserId {
        "68de7a9d8f40ff41c940c7fb".parse().unwrap()
    }
    fn stranger() -> Caller {
        Caller {
            user_id: "68de7a9d8f40ff41c940c7fc".parse().unwrap(),
            is_admin: false,
        }
    }
    fn host() -> Caller {
        Caller {
            user_id: owner(),
            is_admin: false,
        }
    }
    fn start_cmd(caller: Caller) -> RecordingCommand {
        RecordingCommand::Start(StartRecording {
            recording_id: "1756364334628_738386".into(),
            record_id: "670bc2ab12f5b0e6f7a4e9d4".parse().unwrap(),
            room_id: "68affe24fabc0702c5d30c29".parse().unwrap(),
            room_owner_id: Some(owner()),
            meeting_id: None,
            user_name: "Haseeb Asif".into(),
            stream_id: "755961800257348400".into(),
            video_type: "video".into(),
            status: "pending".into(),
            start_time: at(1),
            caller,
            now: at(2),
        })
    }
    fn started() -> DomainEvent {
        DomainEvent::RecordingStarted(RecordingStarted {
            recording_id: "1756364334628_738386".into(),
            record_id: "670bc2ab12f5b0e6f7a4e9d4".parse().unwrap(),
            room_id: "68affe24fabc0702c5d30c29".parse().unwrap(),
            room_owner_id: owner(),
            meeting_id: None,
            user_name: "Haseeb Asif".into(),
            stream_id: "755961800257348400".into(),
            video_type: "video".into(),
            status: "pending".into(),
            start_time: at(1),
            started_by: owner(),
            started_at: at(2),
        })
    }
    fn stop_cmd(caller: Caller, end: u32) -> RecordingCommand {
        RecordingCommand::Stop(StopRecording {
            recording_id: "1756364334628_738386".into(),
            stream_id: "755961800257348400".into(),
            end_time: at(end),
            caller,
            now: at(end + 1),
        })
    }
    fn stopped() -> DomainEvent {
        DomainEvent::RecordingStopped(RecordingStopped {
            recording_id: "1756364334628_738386".into(),
            stream_id: "755961800257348400".into(),
            end_time: at(30),
            stopped_by: owner(),
            stopped_at: at(31),
        })
    }

    #[test]
    fn the_room_owner_starts_a_recording() {
        given::<Recording>([])
            .when(start_cmd(host()))
            .then([started()]);
    }

    #[test]
    fn a_recording_id_is_used_once() {
        given::<Recording>([started()])
            .when(start_cmd(host()))
            .then_err(DomainError::AlreadyExists("recording"));
    }

    #[test]
    fn only_the_room_owner_or_an_admin_records() {
        given::<Recording>([])
            .when(start_cmd(stranger()))
            .then_err(DomainError::Forbidden(
                "only the room's owner may record it",
            ));
        let admin = Caller {
            is_admin: true,
            ..stranger()
        };
        let RecordingCommand::Start(cmd) = start_cmd(admin) else {
            unreachable!()
        };
        assert!(
            Recording::decide(&RecordingState::default(), &RecordingCommand::Start(cmd)).is_ok()
        );
    }

    #[test]
    fn a_room_that_does_not_exist_cannot_be_recorded() {
        let RecordingCommand::Start(mut cmd) = start_cmd(host()) else {
            unreachable!()
        };
        cmd.room_owner_id = None;
        given::<Recording>([])
            .when(RecordingCommand::Start(cmd))
            .then_err(DomainError::NotFound("room"));
    }

    #[test]
    fn a_malformed_recording_id_is_named() {
        let RecordingCommand::Start(mut cmd) = start_cmd(host()) else {
            unreachable!()
        };
        cmd.recording_id = "../../etc".into();
        given::<Recording>([])
            .when(RecordingCommand::Start(cmd))
            .then_invalid("recordingId");
    }

    #[test]
    fn a_started_recording_stops_once() {
        given::<Recording>([started()])
            .when(stop_cmd(host(), 30))
            .then([stopped()]);
        given::<Recording>([started(), stopped()])
            .when(stop_cmd(host(), 40))
            .then_err(DomainError::Conflict("the recording is already stopped"));
    }

    #[test]
    fn an_unknown_recording_cannot_be_stopped() {
        given::<Recording>([])
            .when(stop_cmd(host(), 30))
            .then_err(DomainError::NotFound("recording"));
    }

    #[test]
    fn stopping_needs_the_same_stream_and_a_later_time() {
        let RecordingCommand::Stop(mut cmd) = stop_cmd(host(), 30) else {
            unreachable!()
        };
        cmd.stream_id = "other".into();
        given::<Recording>([started()])
            .when(RecordingCommand::Stop(cmd))
            .then_invalid("streamId");
        given::<Recording>([started()])
            .when(stop_cmd(host(), 0))
            .then_invalid("endTime");
    }

    #[test]
    fn a_stranger_cannot_stop_it() {
        given::<Recording>([started()])
            .when(stop_cmd(stranger(), 30))
            .then_err(DomainError::Forbidden(
                "only the room's owner may stop its recording",
            ));
    }
}
