//! Live sessions: start (with the first participant), join, leave, end. The room's
//! owner and privacy come from the room's stream, the session's domain from the
//! host's email (unless the app has a configured domain).

use altegon_domain::events::Location;
use altegon_domain::meeting::Caller;
use altegon_domain::room::Room;
use altegon_domain::session::{RoomFacts, Session, SessionCommand};
use altegon_domain::user::User;
use altegon_domain::{RoomId, SessionId};
use chrono::Utc;

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::pipeline::{CommandBus, CommandError, Outcome};

/// A request to start a session of a room.
#[derive(Debug, Clone)]
pub struct StartSessionRequest {
    /// The room.
    pub room_id: RoomId,
    /// `meeting`, `conference`, `webinar`, `live`, ...
    pub session_type: String,
    /// Who starts it and joins first.
    pub caller: Caller,
    /// Their display name.
    pub name: String,
    /// Their location.
    pub location: Location,
    /// The calling app's configured domain; the host's email domain otherwise.
    pub app_domain: Option<String>,
}

/// Starts a session; the answer's events hold its id.
pub async fn start_session(
    bus: &CommandBus,
    ctx: &CommandContext,
    request: StartSessionRequest,
) -> Result<(SessionId, Outcome), CommandError> {
    let room = bus.state::<Room>(request.room_id).await?;
    let facts = room.created.as_ref().map(|r| RoomFacts {
        owner_id: r.owner_id,
        is_private: r.is_private,
    });
    let domain = match (&request.app_domain, &facts) {
        (Some(d), _) => d.clone(),
        (None, Some(f)) => bus
            .state::<User>(f.owner_id)
            .await?
            .registered
            .and_then(|u| u.email.rsplit_once('@').map(|(_, d)| d.to_owned()))
            .unwrap_or_else(|| "unknown".into()),
        (None, None) => "unknown".into(),
    };
    let session_id = SessionId::from(new_object_id());
    let command = SessionCommand::Start {
        session_id,
        room_id: request.room_id,
        room: facts,
        session_type: request.session_type,
        domain,
        caller: request.caller,
        name: request.name,
        location: request.location,
        now: Utc::now(),
    };
    let outcome = bus.execute::<Session>(ctx, session_id, &command).await?;
    Ok((session_id, outcome))
}

/// Joins a live session; private rooms admit their owner and admins only.
pub async fn join_session(
    bus: &CommandBus,
    ctx: &CommandContext,
    session_id: SessionId,
    caller: Caller,
    name: String,
    location: Location,
) -> Result<Outcome, CommandError> {
    let state = bus.state::<Session>(session_id).await?;
    let may_enter = match &state.started {
        Some(s) => {
            let room = bus.state::<Room>(s.room_id).await?;
            room.created
                .is_none_or(|r| !r.is_private || r.owner_id == caller.user_id || caller.is_admin)
        }
        None => true,
    };
    let command = SessionCommand::Join {
        caller,
        name,
        location,
        may_enter,
        now: Utc::now(),
    };
    bus.execute::<Session>(ctx, session_id, &command).await
}

/// Leaves a live session; the last one out ends it.
pub async fn leave_session(
    bus: &CommandBus,
    ctx: &CommandContext,
    session_id: SessionId,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = SessionCommand::Leave {
        caller,
        now: Utc::now(),
    };
    bus.execute::<Session>(ctx, session_id, &command).await
}

/// Ends a live session for everyone (host or admin).
pub async fn end_session(
    bus: &CommandBus,
    ctx: &CommandContext,
    session_id: SessionId,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = SessionCommand::End {
        caller,
        now: Utc::now(),
    };
    bus.execute::<Session>(ctx, session_id, &command).await
}
