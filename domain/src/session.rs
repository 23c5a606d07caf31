//! The Session aggregate (stream `session-{sessionId}`): one live occurrence of a
//! room. It starts with its first participant, and ends when the last one leaves or
//! the host (or an admin) ends it. Its type, domain and location are fixed at the
//! start; participants join and leave with their own location.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::events::{Location, ParticipantJoined, ParticipantLeft, SessionEnded, SessionStarted};
use crate::meeting::Caller;
use crate::validate::required_text;
use crate::{Aggregate, DomainError, DomainEvent, RoomId, SessionId, UserId};

/// The Session aggregate.
pub struct Session;

/// What is known of a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionState {
    /// Set once started.
    pub started: Option<SessionStarted>,
    /// Who is in it now.
    pub present: BTreeSet<UserId>,
    /// Set once ended.
    pub ended: Option<SessionEnded>,
}

/// The room a session is started in, as the room's stream says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomFacts {
    /// The room's owner.
    pub owner_id: UserId,
    /// Only the owner and admins may enter.
    pub is_private: bool,
}

/// Commands for a session.
#[derive(Debug, Clone)]
pub enum SessionCommand {
    /// Start a session with its first participant.
    Start {
        /// A fresh id.
        session_id: SessionId,
        /// The room.
        room_id: RoomId,
        /// The room, when it exists.
        room: Option<RoomFacts>,
        /// `meeting`, `conference`, `webinar`, `live`, ...
        session_type: String,
        /// The host's email domain or the app's configured domain.
        domain: String,
        /// Who starts it (and joins first).
        caller: Caller,
        /// Their display name.
        name: String,
        /// Their location, which becomes the session's.
        location: Location,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Join a live session.
    Join {
        /// Who joins.
        caller: Caller,
        /// Their display name.
        name: String,
        /// Their location.
        location: Location,
        /// Whether they may enter the room (private rooms: owner and admins).
        may_enter: bool,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// Leave a live session.
    Leave {
        /// Who leaves.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
    /// End a live session for everyone.
    End {
        /// Who ends it: the host or an admin.
        caller: Caller,
        /// The time of the request.
        now: DateTime<Utc>,
    },
}

/// A location nobody knows.
pub fn unknown_location() -> Location {
    Location {
        city: "Unknown".into(),
        region: "Unknown".into(),
        country: "Unknown".into(),
        country_name: "Unknown".into(),
        source: "unknown".into(),
    }
}

impl Aggregate for Session {
    type State = SessionState;
    type Command = SessionCommand;
    const STREAM_PREFIX: &'static str = "session";

    fn evolve(mut state: SessionState, event: &DomainEvent) -> SessionState {
        match event {
            DomainEvent::SessionStarted(e) => state.started = Some(e.clone()),
            DomainEvent::ParticipantJoined(e) => {
                state.present.insert(e.user_id);
            }
            DomainEvent::ParticipantLeft(e) => {
                state.present.remove(&e.user_id);
            }
            DomainEvent::SessionEnded(e) => state.ended = Some(e.clone()),
            _ => {}
        }
        state
    }

    fn decide(
        state: &SessionState,
        command: &SessionCommand,
    ) -> Result<Vec<DomainEvent>, DomainError> {
        match command {
            SessionCommand::Start {
                session_id,
                room_id,
                room,
                session_type,
                domain,
                caller,
                name,
                location,
                now,
            } => {
                if state.started.is_some() {
                    return Err(DomainError::AlreadyExists("session"));
                }
                let room = room.ok_or(DomainError::NotFound("room"))?;
                if room.is_private && room.owner_id != caller.user_id && !caller.is_admin {
                    return Err(DomainError::Forbidden("this room is private"));
                }
                let session_type = kind(session_type)?;
                let domain = required_text("domain", domain, 253)?.to_lowercase();
                let name = required_text("name", name, 200)?;
                Ok(vec![
                    DomainEvent::SessionStarted(SessionStarted {
                        session_id: *session_id,
                        room_id: *room_id,
                        host_id: room.owner_id,
                        session_type,
                        domain,
                        location: location.clone(),
                        started_by: caller.user_id,
                        started_at: *now,
                    }),
                    DomainEvent::ParticipantJoined(ParticipantJoined {
                        session_id: *session_id,
                        user_id: caller.user_id,
                        name,
                        location: location.clone(),
                        joined_at: *now,
                    }),
                ])
            }
            SessionCommand::Join {
                caller,
                name,
                location,
                may_enter,
                now,
            } => {
                let started = live(state)?;
                if !may_enter {
                    return Err(DomainError::Forbidden("this room is private"));
                }
                if state.present.contains(&caller.user_id) {
                    return Ok(vec![]);
                }
                Ok(vec![DomainEvent::ParticipantJoined(ParticipantJoined {
                    session_id: started.session_id,
                    user_id: caller.user_id,
                    name: required_text("name", name, 200)?,
                    location: location.clone(),
                    joined_at: *now,
                })])
            }
            SessionCommand::Leave { caller, now } => {
                let started = live(state)?;
                if !state.present.contains(&caller.user_id) {
                    return Err(DomainError::Conflict("you are not in this session"));
                }
                let mut events = vec![DomainEvent::ParticipantLeft(ParticipantLeft {
                    session_id: started.session_id,
                    user_id: caller.user_id,
                    left_at: *now,
                })];
                if state.present.len() == 1 {
                    events.push(DomainEvent::SessionEnded(SessionEnded {
                        session_id: started.session_id,
                        reason: "empty".into(),
                        ended_by: None,
                        ended_at: *now,
                    }));
                }
                Ok(events)
            }
            SessionCommand::End { caller, now } => {
                let started = live(state)?;
                if started.host_id != caller.user_id && !caller.is_admin {
                    return Err(DomainError::Forbidden(
                        "only the host or an admin may end the session",
                    ));
                }
                let mut events: Vec<DomainEvent> = state
                    .present
                    .iter()
                    .map(|user_id| {
                        DomainEvent::ParticipantLeft(ParticipantLeft {
                            session_id: started.session_id,
                            user_id: *user_id,
                            left_at: *now,
                        })
                    })
                    .collect();
                events.push(DomainEvent::SessionEnded(SessionEnded {
                    session_id: started.session_id,
                    reason: "ended".into(),
                    ended_by: Some(caller.user_id),
                    ended_at: *now,
                }));
                Ok(events)
            }
        }
    }
}

fn live(state: &SessionState) -> Result<&SessionStarted, DomainError> {
    let started = state
        .started
        .as_ref()
        .ok_or(DomainError::NotFound("session"))?;
    if state.ended.is_some() {
        return Err(DomainError::Conflict("the session has ended"));
    }
    Ok(started)
}

fn kind(value: &str) -> Result<String, DomainError> {
    let kind = required_text("sessionType", value, 32)?.to_lowercase();
    if !kind
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(DomainError::invalid(
            "sessionType",
            "may hold letters, digits, '-' and '_' only",
        ));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::scenario::given;
    use chrono::TimeZone;

    fn at(secs: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 12, 9, 0, secs).unwrap()
    }
    fn id() -> SessionId {
        "68ee4b39b22d6134386fc5dd".parse().unwrap()
    }
    fn room_id() -> RoomId {
        "68affe24fabc0702c5d30c29".parse().unwrap()
    }
    fn host() -> Caller {
        Caller {
            user_id: "68de7a9d8f40ff41c940c7fb".parse().unwrap(),
            is_admin: false,
        }
    }
    fn guest() -> Caller {
        Caller {
            user_id: "68de7a9d8f40ff41c940c7fc".parse().unwrap(),
            is_admin: false,
        }
    }
    fn lahore() -> Location {
        Location {
            city: "Lahore".into(),
            region: "Punjab".into(),
            country: "PK".into(),
            country_name: "Pakistan".into(),
            source: "geoip".into(),
        }
    }
    fn start(caller: Caller, is_private: bool) -> SessionCommand {
        SessionCommand::Start {
            session_id: id(),
            room_id: room_id(),
            room: Some(RoomFacts {
                owner_id: host().user_id,
                is_private,
            }),
            session_type: "Webinar".into(),
            domain: "Altegon.com".into(),
            caller,
            name: "Haseeb".into(),
            location: lahore(),
            now: at(0),
        }
    }
    fn started() -> DomainEvent {
        DomainEvent::SessionStarted(SessionStarted {
            session_id: id(),
            room_id: room_id(),
            host_id: host().user_id,
            session_type: "webinar".into(),
            domain: "altegon.com".into(),
            location: lahore(),
            started_by: host().user_id,
            started_at: at(0),
        })
    }
    fn joined(who: Caller, secs: u32) -> DomainEvent {
        DomainEvent::ParticipantJoined(ParticipantJoined {
            session_id: id(),
            user_id: who.user_id,
            name: "Haseeb".into(),
            location: lahore(),
            joined_at: at(secs),
        })
    }
    fn left(who: Caller, secs: u32) -> DomainEvent {
        DomainEvent::ParticipantLeft(ParticipantLeft {
            session_id: id(),
            user_id: who.user_id,
            left_at: at(secs),
        })
    }
    fn join(who: Caller) -> SessionCommand {
        SessionCommand::Join {
            caller: who,
            name: "Haseeb".into(),
            location: lahore(),
            may_enter: true,
            now: at(5),
        }
    }

    #[test]
    fn a_session_starts_with_its_first_participant() {
        given::<Session>([])
            .when(start(host(), false))
            .then([started(), joined(host(), 0)]);
    }

    #[test]
    fn a_session_needs_its_room_and_a_private_room_admits_only_its_owner() {
        let mut no_room = start(host(), false);
        if let SessionCommand::Start { room, .. } = &mut no_room {
            *room = None;
        }
        given::<Session>([])
            .when(no_room)
            .then_err(DomainError::NotFound("room"));
        given::<Session>([])
            .when(start(guest(), true))
            .then_err(DomainError::Forbidden("this room is private"));
    }

    #[test]
    fn a_session_type_is_one_word() {
        let mut bad = start(host(), false);
        if let SessionCommand::Start { session_type, .. } = &mut bad {
            *session_type = "two words".into();
        }
        given::<Session>([]).when(bad).then_invalid("sessionType");
    }

    #[test]
    fn joining_twice_changes_nothing() {
        given::<Session>([started(), joined(host(), 0)])
            .when(join(guest()))
            .then([joined(guest(), 5)]);
        given::<Session>([started(), joined(host(), 0), joined(guest(), 5)])
            .when(join(guest()))
            .then([]);
    }

    #[test]
    fn the_last_one_to_leave_ends_the_session() {
        let history = [started(), joined(host(), 0), joined(guest(), 5)];
        given::<Session>(history.clone())
            .when(SessionCommand::Leave {
                caller: guest(),
                now: at(9),
            })
            .then([left(guest(), 9)]);
        let mut history = history.to_vec();
        history.push(left(guest(), 9));
        given::<Session>(history)
            .when(SessionCommand::Leave {
                caller: host(),
                now: at(20),
            })
            .then([
                left(host(), 20),
                DomainEvent::SessionEnded(SessionEnded {
                    session_id: id(),
                    reason: "empty".into(),
                    ended_by: None,
                    ended_at: at(20),
                }),
            ]);
    }

    #[test]
    fn only_the_host_or_an_admin_ends_it_and_everyone_leaves() {
        let history = [started(), joined(host(), 0), joined(guest(), 5)];
        given::<Session>(history.clone())
            .when(SessionCommand::End {
                caller: guest(),
                now: at(30),
            })
            .then_err(DomainError::Forbidden(
                "only the host or an admin may end the session",
            ));
        given::<Session>(history)
            .when(SessionCommand::End {
                caller: host(),
                now: at(30),
            })
            .then([
                left(host(), 30),
                left(guest(), 30),
                DomainEvent::SessionEnded(SessionEnded {
                    session_id: id(),
                    reason: "ended".into(),
                    ended_by: Some(host().user_id),
                    ended_at: at(30),
                }),
            ]);
    }

    #[test]
    fn an_ended_session_takes_no_one() {
        let ended = DomainEvent::SessionEnded(SessionEnded {
            session_id: id(),
            reason: "ended".into(),
            ended_by: Some(host().user_id),
            ended_at: at(30),
        });
        given::<Session>([started(), joined(host(), 0), left(host(), 30), ended])
            .when(join(guest()))
            .then_err(DomainError::Conflict("the session has ended"));
    }

    #[test]
    fn leaving_a_session_one_is_not_in_is_refused_and_unknown_sessions_are_not_found() {
        given::<Session>([started(), joined(host(), 0)])
            .when(SessionCommand::Leave {
                caller: guest(),
                now: at(9),
            })
            .then_err(DomainError::Conflict("you are not in this session"));
        given::<Session>([])
            .when(join(guest()))
            .then_err(DomainError::NotFound("session"));
    }

    #[test]
    fn a_private_room_s_session_admits_only_whom_the_room_admits() {
        given::<Session>([started(), joined(host(), 0)])
            .when(SessionCommand::Join {
                caller: guest(),
                name: "Guest".into(),
                location: unknown_location(),
                may_enter: false,
                now: at(5),
            })
            .then_err(DomainError::Forbidden("this room is private"));
    }
}
