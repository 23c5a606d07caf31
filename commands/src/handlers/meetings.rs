//! Creating and updating meetings.

use altegon_domain::meeting::{Caller, Meeting, MeetingChanges, MeetingCommand};
use altegon_domain::{MeetingId, UserId};
use chrono::Utc;

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::pipeline::{CommandBus, CommandError, Outcome};
use crate::store::Position;

/// A meeting creation request.
#[derive(Debug, Clone)]
pub struct CreateMeeting {
    /// Title.
    pub title: String,
    /// Hosting account.
    pub host_id: UserId,
    /// Whether transcription is on.
    pub transcript_enabled: bool,
}

/// Creates a meeting; returns its id and the position to wait for.
pub async fn create_meeting(
    bus: &CommandBus,
    ctx: &CommandContext,
    request: CreateMeeting,
) -> Result<(MeetingId, Position), CommandError> {
    let meeting_id = MeetingId(bus.claim_id::<Meeting>(ctx, new_object_id()).await?);
    let command = MeetingCommand::Create {
        meeting_id,
        title: request.title,
        host_id: request.host_id,
        transcript_enabled: request.transcript_enabled,
        now: Utc::now(),
    };
    let outcome = bus.execute::<Meeting>(ctx, meeting_id, &command).await?;
    Ok((meeting_id, outcome.position))
}

/// Changes some of a meeting's details on behalf of `caller`.
pub async fn update_meeting(
    bus: &CommandBus,
    ctx: &CommandContext,
    meeting_id: MeetingId,
    caller: Caller,
    changes: MeetingChanges,
) -> Result<Outcome, CommandError> {
    let command = MeetingCommand::Update {
        meeting_id,
        caller,
        changes,
        now: Utc::now(),
    };
    bus.execute::<Meeting>(ctx, meeting_id, &command).await
}
