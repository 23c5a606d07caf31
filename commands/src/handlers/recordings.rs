//! Starting and stopping recordings.

use altegon_domain::meeting::Caller;
use altegon_domain::recording::{Recording, RecordingCommand, StartRecording, StopRecording};
use altegon_domain::room::Room;
use altegon_domain::{MeetingId, RoomId};
use chrono::{DateTime, Utc};

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::pipeline::{CommandBus, CommandError, Outcome};

/// A request to start recording a room's stream.
#[derive(Debug, Clone)]
pub struct StartRecordingRequest {
    /// The client's recording id.
    pub recording_id: String,
    /// The room.
    pub room_id: RoomId,
    /// The meeting, when known.
    pub meeting_id: Option<MeetingId>,
    /// Display name of who asks.
    pub user_name: String,
    /// The recorded stream.
    pub stream_id: String,
    /// Kind of media.
    pub video_type: String,
    /// Status the client reports.
    pub status: String,
    /// When recording began, per the client.
    pub start_time: DateTime<Utc>,
    /// Who asks.
    pub caller: Caller,
}

/// Starts a recording; the room's owner comes from the room's own stream.
pub async fn start_recording(
    bus: &CommandBus,
    ctx: &CommandContext,
    request: StartRecordingRequest,
) -> Result<Outcome, CommandError> {
    let room = bus.state::<Room>(request.room_id).await?;
    let command = RecordingCommand::Start(StartRecording {
        record_id: new_object_id(),
        room_owner_id: room.created.map(|r| r.owner_id),
        recording_id: request.recording_id.clone(),
        room_id: request.room_id,
        meeting_id: request.meeting_id,
        user_name: request.user_name,
        stream_id: request.stream_id,
        video_type: request.video_type,
        status: request.status,
        start_time: request.start_time,
        caller: request.caller,
        now: Utc::now(),
    });
    bus.execute::<Recording>(ctx, &request.recording_id, &command)
        .await
}

/// Stops a recording.
pub async fn stop_recording(
    bus: &CommandBus,
    ctx: &CommandContext,
    recording_id: &str,
    stream_id: String,
    end_time: DateTime<Utc>,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = RecordingCommand::Stop(StopRecording {
        recording_id: recording_id.to_owned(),
        stream_id,
        end_time,
        caller,
        now: Utc::now(),
    });
    bus.execute::<Recording>(ctx, recording_id, &command).await
}
