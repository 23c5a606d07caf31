//! The Transcript aggregate (stream `transcript-{meetingId}`): the lines spoken in a
//! meeting, kept apart from the meeting's own stream so that many speakers append
//! without contending with changes to the meeting.

use chrono::{DateTime, Utc};

use crate::events::TranscriptLineAdded;
use crate::validate::required_text;
use crate::{Aggregate, DomainError, DomainEvent, MeetingId, ObjectId, UserId};

/// Longest accepted line, in bytes (ciphertext included).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The Transcript aggregate.
pub struct Transcript;

/// Add a line.
#[derive(Debug, Clone)]
pub struct AddLine {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// Whether the meeting exists (looked up by the caller).
    pub meeting_exists: bool,
    /// The line's id.
    pub line_id: ObjectId,
    /// Who spoke.
    pub user_name: String,
    /// The text as sent.
    pub message: String,
    /// Whether the text is ciphertext.
    pub is_encrypted: bool,
    /// The sending account.
    pub sent_by: Option<UserId>,
    /// The time of the request.
    pub now: DateTime<Utc>,
}

impl Aggregate for Transcript {
    /// No rule depends on earlier lines, so lines are appended without loading them.
    type State = ();
    type Command = AddLine;
    const STREAM_PREFIX: &'static str = "transcript";

    fn evolve(state: (), _event: &DomainEvent) {
        state
    }

    fn decide(_state: &(), c: &AddLine) -> Result<Vec<DomainEvent>, DomainError> {
        if !c.meeting_exists {
            return Err(DomainError::NotFound("meeting"));
        }
        let user_name = required_text("userName", &c.user_name, 100)?;
        if c.message.trim().is_empty() {
            return Err(DomainError::invalid("message", "must not be empty"));
        }
        if c.message.len() > MAX_LINE_BYTES {
            return Err(DomainError::invalid(
                "message",
                format!("must be at most {MAX_LINE_BYTES} bytes"),
            ));
        }
        Ok(vec![DomainEvent::TranscriptLineAdded(
            TranscriptLineAdded {
                meeting_id: c.meeting_id,
                line_id: c.line_id,
                user_name,
                message: c.message.clone(),
                is_encrypted: c.is_encrypted,
                sent_by: c.sent_by,
                added_at: c.now,
            },
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn add(message: &str, meeting_exists: bool) -> AddLine {
        AddLine {
            meeting_id: "68cd413466eab302c9f078cd".parse().unwrap(),
            meeting_exists,
            line_id: "670b88775cba2f7de6f739d0".parse().unwrap(),
            user_name: " Haseeb Stats ".into(),
            message: message.into(),
            is_encrypted: true,
            sent_by: None,
            now: Utc.with_ymd_and_hms(2025, 10, 13, 12, 20, 30).unwrap(),
        }
    }

    #[test]
    fn a_line_is_stored_as_sent() {
        given::<Transcript>([])
            .when(add("U2FsdGVk...", true))
            .then([DomainEvent::TranscriptLineAdded(TranscriptLineAdded {
                meeting_id: "68cd413466eab302c9f078cd".parse().unwrap(),
                line_id: "670b88775cba2f7de6f739d0".parse().unwrap(),
                user_name: "Haseeb Stats".into(),
                message: "U2FsdGVk...".into(),
                is_encrypted: true,
                sent_by: None,
                added_at: Utc.with_ymd_and_hms(2025, 10, 13, 12, 20, 30).unwrap(),
            })]);
    }

    #[test]
    fn a_line_needs_an_existing_meeting_and_some_text() {
        given::<Transcript>([])
            .when(add("x", false))
            .then_err(DomainError::NotFound("meeting"));
        given::<Transcript>([])
            .when(add("  ", true))
            .then_invalid("message");
        given::<Transcript>([])
            .when(add(&"x".repeat(MAX_LINE_BYTES + 1), true))
            .then_invalid("message");
    }
}
