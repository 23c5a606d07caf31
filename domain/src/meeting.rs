//! The Meeting aggregate (stream `meeting-{id}`): title, host, transcript and
//! summary flags, the room it takes place in and the recordings made of it.

use chrono::{DateTime, Utc};

use crate::events::{MeetingCreated, MeetingSummaryGenerated, MeetingUpdated};
use crate::validate::required_text;
use crate::{Aggregate, DomainError, DomainEvent, MeetingId, RoomId, UserId};

/// Longest title accepted.
pub const MAX_TITLE_CHARS: usize = 200;

/// The Meeting aggregate.
pub struct Meeting;

/// What is known of a meeting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeetingState {
    /// False until created.
    pub exists: bool,
    /// The hosting account.
    pub host_id: Option<UserId>,
    /// Current title.
    pub title: String,
    /// Transcript setting.
    pub transcript_enabled: bool,
    /// Summary flag.
    pub summary_generated: bool,
    /// Room, when set.
    pub room_id: Option<RoomId>,
    /// Recordings made of it, in order.
    pub recording_ids: Vec<String>,
}

/// Who issues a command, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Caller {
    /// The acting account.
    pub user_id: UserId,
    /// Admins may act on any meeting.
    pub is_admin: bool,
}

/// The changeable details of a meeting; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeetingChanges {
    /// New title.
    pub title: Option<String>,
    /// New transcript setting.
    pub transcript_enabled: Option<bool>,
    /// New summary flag.
    pub summary_generated: Option<bool>,
    /// The meeting's room.
    pub room_id: Option<RoomId>,
    /// A recording to add.
    pub recording_id: Option<String>,
}

/// Commands for a meeting.
#[derive(Debug, Clone)]
pub enum MeetingCommand {
    /// Create the meeting.
    Create {
        /// The new meeting's id.
        meeting_id: MeetingId,
        /// Its title.
        title: String,
        /// The hosting account.
        host_id: UserId,
        /// Whether transcription is on.
        transcript_enabled: bool,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Record generated notes (already encrypted by the caller).
    RecordSummary {
        /// The meeting.
        meeting_id: MeetingId,
        /// Who asks.
        caller: Caller,
        /// The encrypted notes.
        summary: String,
        /// Which summarizer wrote them.
        summarizer: String,
        /// How many transcript lines they cover.
        lines: u32,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Change some of its details.
    Update {
        /// The meeting.
        meeting_id: MeetingId,
        /// Who asks.
        caller: Caller,
        /// What changes.
        changes: MeetingChanges,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

impl Aggregate for Meeting {
    type State = MeetingState;
    type Command = MeetingCommand;
    const STREAM_PREFIX: &'static str = "meeting";

    fn evolve(mut state: MeetingState, event: &DomainEvent) -> MeetingState {
        match event {
            DomainEvent::MeetingCreated(e) => {
                state.exists = true;
                state.host_id = Some(e.host_id);
                state.title = e.title.clone();
                state.transcript_enabled = e.transcript_enabled;
            }
            DomainEvent::MeetingSummaryGenerated(_) => state.summary_generated = true,
            DomainEvent::MeetingUpdated(e) => {
                if let Some(title) = &e.title {
                    state.title = title.clone();
                }
                if let Some(v) = e.transcript_enabled {
                    state.transcript_enabled = v;
                }
                if let Some(v) = e.summary_generated {
                    state.summary_generated = v;
                }
                if let Some(room) = e.room_id {
                    state.room_id = Some(room);
                }
                if let Some(rec) = &e.recording_id
                    && !state.recording_ids.contains(rec)
                {
                    state.recording_ids.push(rec.clone());
                }
            }
            _ => {}
        }
        state
    }

    fn decide(
        state: &MeetingState,
        command: &MeetingCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            MeetingCommand::Create {
                meeting_id,
                title,
                host_id,
                transcript_enabled,
                now,
            } => {
                if state.exists {
                    return Err(DomainError::AlreadyExists("meeting"));
                }
                Ok(vec![DomainEvent::MeetingCreated(MeetingCreated {
                    meeting_id: *meeting_id,
                    title: required_text("title", title, MAX_TITLE_CHARS)?,
                    host_id: *host_id,
                    transcript_enabled: *transcript_enabled,
                    created_at: *now,
                })])
            }
            MeetingCommand::RecordSummary {
                meeting_id,
                caller,
                summary,
                summarizer,
                lines,
                now,
            } => {
                check_host(state, caller)?;
                if summary.is_empty() {
                    return Err(DomainError::invalid("summary", "must not be empty"));
                }
                Ok(vec![DomainEvent::MeetingSummaryGenerated(
                    MeetingSummaryGenerated {
                        meeting_id: *meeting_id,
                        summary: summary.clone(),
                        summarizer: summarizer.clone(),
                        lines: *lines,
                        generated_by: caller.user_id,
                        generated_at: *now,
                    },
                )])
            }
            MeetingCommand::Update {
                meeting_id,
                caller,
                changes,
                now,
            } => {
                check_host(state, caller)?;
                let title = match &changes.title {
                    Some(t) => Some(required_text("title", t, MAX_TITLE_CHARS)?),
                    None => None,
                };
                if let Some(rec) = &changes.recording_id {
                    required_text("recordingId", rec, 100)?;
                }
                let event = MeetingUpdated {
                    meeting_id: *meeting_id,
                    updated_by: caller.user_id,
                    title: title.filter(|t| *t != state.title),
                    transcript_enabled: changes
                        .transcript_enabled
                        .filter(|v| *v != state.transcript_enabled),
                    summary_generated: changes
                        .summary_generated
                        .filter(|v| *v != state.summary_generated),
                    room_id: changes.room_id.filter(|r| Some(*r) != state.room_id),
                    recording_id: changes
                        .recording_id
                        .as_ref()
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !state.recording_ids.contains(r)),
                    updated_at: *now,
                };
                let unchanged = event.title.is_none()
                    && event.transcript_enabled.is_none()
                    && event.summary_generated.is_none()
                    && event.room_id.is_none()
                    && event.recording_id.is_none();
                if unchanged {
                    return Ok(vec![]);
                }
                Ok(vec![DomainEvent::MeetingUpdated(event)])
            }
        }
    }
}

/// The meeting exists and the caller hosts it (or is an admin).
fn check_host(state: &MeetingState, caller: &Caller) -> Result<(), DomainError> {
    if !state.exists {
        return Err(DomainError::NotFound("meeting"));
    }
    if state.host_id != Some(caller.user_id) && !caller.is_admin {
        return Err(DomainError::Forbidden(
            "only the meeting's host may change it",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 14, 13, 8, 9).unwrap()
    }
    fn meeting() -> MeetingId {
        "68ee4b39b22d6134386fc5dc".parse().unwrap()
    }
    fn host() -> UserId {
        "68de7a9d8f40ff41c940c7fb".parse().unwrap()
    }
    fn stranger() -> UserId {
        "68de7a9d8f40ff41c940c7fc".parse().unwrap()
    }
    fn created() -> DomainEvent {
        DomainEvent::MeetingCreated(MeetingCreated {
            meeting_id: meeting(),
            title: "dsa".into(),
            host_id: host(),
            transcript_enabled: false,
            created_at: now(),
        })
    }
    fn create(title: &str) -> MeetingCommand {
        MeetingCommand::Create {
            meeting_id: meeting(),
            title: title.into(),
            host_id: host(),
            transcript_enabled: false,
            now: now(),
        }
    }
    fn update(by: UserId, is_admin: bool, changes: MeetingChanges) -> MeetingCommand {
        MeetingCommand::Update {
            meeting_id: meeting(),
            caller: Caller {
                user_id: by,
                is_admin,
            },
            changes,
            now: now(),
        }
    }
    fn retitled(by: UserId, title: &str) -> DomainEvent {
        DomainEvent::MeetingUpdated(MeetingUpdated {
            meeting_id: meeting(),
            updated_by: by,
            title: Some(title.into()),
            transcript_enabled: None,
            summary_generated: None,
            room_id: None,
            recording_id: None,
            updated_at: now(),
        })
    }
    fn new_title(title: &str) -> MeetingChanges {
        MeetingChanges {
            title: Some(title.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_meeting_is_created_with_a_trimmed_title() {
        given::<Meeting>([])
            .when(create("  dsa "))
            .then([created()]);
    }

    #[test]
    fn an_empty_title_is_refused() {
        given::<Meeting>([])
            .when(create("   "))
            .then_invalid("title");
    }

    #[test]
    fn an_overlong_title_is_refused() {
        given::<Meeting>([])
            .when(create(&"x".repeat(MAX_TITLE_CHARS + 1)))
            .then_invalid("title");
    }

    #[test]
    fn a_meeting_is_created_once() {
        given::<Meeting>([created()])
            .when(create("dsa"))
            .then_err(DomainError::AlreadyExists("meeting"));
    }

    #[test]
    fn the_host_renames_the_meeting() {
        given::<Meeting>([created()])
            .when(update(host(), false, new_title("Weekly")))
            .then([retitled(host(), "Weekly")]);
    }

    #[test]
    fn a_caller_who_does_not_host_the_meeting_cannot_update_it() {
        given::<Meeting>([created()])
            .when(update(stranger(), false, new_title("Mine now")))
            .then_err(DomainError::Forbidden(
                "only the meeting's host may change it",
            ));
    }

    #[test]
    fn an_admin_may_update_any_meeting() {
        given::<Meeting>([created()])
            .when(update(stranger(), true, new_title("Moderated")))
            .then([retitled(stranger(), "Moderated")]);
    }

    #[test]
    fn an_unknown_meeting_cannot_be_updated() {
        given::<Meeting>([])
            .when(update(host(), false, new_title("x")))
            .then_err(DomainError::NotFound("meeting"));
    }

    #[test]
    fn an_update_to_an_empty_title_is_refused() {
        given::<Meeting>([created()])
            .when(update(host(), false, new_title(" ")))
            .then_invalid("title");
    }

    #[test]
    fn an_update_that_changes_nothing_records_nothing() {
        let same = MeetingChanges {
            title: Some("dsa".into()),
            transcript_enabled: Some(false),
            summary_generated: Some(false),
            ..Default::default()
        };
        given::<Meeting>([created()])
            .when(update(host(), false, same))
            .then([]);
    }

    fn record_summary(by: UserId) -> MeetingCommand {
        MeetingCommand::RecordSummary {
            meeting_id: meeting(),
            caller: Caller {
                user_id: by,
                is_admin: false,
            },
            summary: "ciphertext".into(),
            summarizer: "offline".into(),
            lines: 12,
            now: now(),
        }
    }

    #[test]
    fn the_host_records_a_summary_and_the_meeting_shows_it() {
        let generated = DomainEvent::MeetingSummaryGenerated(MeetingSummaryGenerated {
            meeting_id: meeting(),
            summary: "ciphertext".into(),
            summarizer: "offline".into(),
            lines: 12,
            generated_by: host(),
            generated_at: now(),
        });
        given::<Meeting>([created()])
            .when(record_summary(host()))
            .then([generated.clone()]);
        assert!(Meeting::fold(&[created(), generated]).summary_generated);
    }

    #[test]
    fn only_the_host_records_a_summary_of_an_existing_meeting() {
        given::<Meeting>([created()])
            .when(record_summary(stranger()))
            .then_err(DomainError::Forbidden(
                "only the meeting's host may change it",
            ));
        given::<Meeting>([])
            .when(record_summary(host()))
            .then_err(DomainError::NotFound("meeting"));
    }

    #[test]
    fn a_recording_is_added_once() {
        let add = || MeetingChanges {
            recording_id: Some("1737978989992_59591".into()),
            ..Default::default()
        };
        let added = DomainEvent::MeetingUpdated(MeetingUpdated {
            meeting_id: meeting(),
            updated_by: host(),
            title: None,
            transcript_enabled: None,
            summary_generated: None,
            room_id: None,
            recording_id: Some("1737978989992_59591".into()),
            updated_at: now(),
        });
        given::<Meeting>([created()])
            .when(update(host(), false, add()))
            .then([added.clone()]);
        given::<Meeting>([created(), added.clone()])
            .when(update(host(), false, add()))
            .then([]);
        let state = Meeting::fold(&[created(), added]);
        assert_eq!(state.recording_ids, vec!["1737978989992_59591".to_string()]);
    }
}
