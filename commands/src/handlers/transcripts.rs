//! Transcript lines, chat messages and meeting summaries.

use altegon_domain::chat::{Chat, PostMessage};
use altegon_domain::meeting::{Caller, Meeting, MeetingCommand};
use altegon_domain::transcript::{AddLine, Transcript};
use altegon_domain::{MeetingId, ObjectId, UserId};
use chrono::Utc;

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::pipeline::{CommandBus, CommandError, Outcome};

/// A transcript line as the client sent it.
#[derive(Debug, Clone)]
pub struct NewTranscriptLine {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// Who spoke.
    pub user_name: String,
    /// The text as sent (ciphertext from the web client).
    pub message: String,
    /// The sending account.
    pub sent_by: Option<UserId>,
}

/// Adds a line to a meeting's transcript; returns the line's id and the outcome.
pub async fn add_transcript_line(
    bus: &CommandBus,
    ctx: &CommandContext,
    line: NewTranscriptLine,
) -> Result<(ObjectId, Outcome), CommandError> {
    let meeting = bus.state::<Meeting>(line.meeting_id).await?;
    let line_id = new_object_id();
    let command = AddLine {
        meeting_id: line.meeting_id,
        meeting_exists: meeting.exists,
        line_id,
        user_name: line.user_name,
        message: line.message,
        is_encrypted: true,
        sent_by: line.sent_by,
        now: Utc::now(),
    };
    let outcome = bus
        .append_independent::<Transcript>(ctx, line.meeting_id, &command)
        .await?;
    Ok((line_id, outcome))
}

/// Posts a chat message to a meeting.
pub async fn post_chat_message(
    bus: &CommandBus,
    ctx: &CommandContext,
    meeting_id: MeetingId,
    user_name: String,
    sent_by: Option<UserId>,
    message: String,
) -> Result<Outcome, CommandError> {
    let command = PostMessage {
        meeting_id,
        message_id: new_object_id(),
        user_name,
        sent_by,
        message,
        now: Utc::now(),
    };
    bus.append_independent::<Chat>(ctx, meeting_id, &command)
        .await
}

/// Records generated notes (already encrypted) on the meeting.
pub async fn record_summary(
    bus: &CommandBus,
    ctx: &CommandContext,
    meeting_id: MeetingId,
    caller: Caller,
    encrypted_notes: String,
    summarizer: &str,
    lines: u32,
) -> Result<Outcome, CommandError> {
    let command = MeetingCommand::RecordSummary {
        meeting_id,
        caller,
        summary: encrypted_notes,
        summarizer: summarizer.to_owned(),
        lines,
        now: Utc::now(),
    };
    bus.execute::<Meeting>(ctx, meeting_id, &command).await
}
