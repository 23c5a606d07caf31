//! Room presence as live sessions: the first account to connect to a room starts
//! its session, later ones join it, and an account whose last socket is gone
//! leaves it after a grace period (a reconnect within it keeps the seat). The
//! session commands do the rest: the last one out ends the session.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use altegon_commands::handlers::sessions::{
    StartSessionRequest, join_session, leave_session, start_session,
};
use altegon_commands::{Actor, CommandBus, CommandContext, CommandError};
use altegon_domain::events::Location;
use altegon_domain::meeting::Caller;
use altegon_domain::{DomainError, RoomId, SessionId, UserId};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::cluster::Cluster;

/// Finds a client's address and location from its request and what it declared.
pub trait Locate: Send + Sync + 'static {
    /// The location; `Unknown` fields when nothing is known.
    fn locate(&self, request: &http::request::Parts, declared: Option<&Value>) -> Location;

    /// The client's address, as the audit trail records it.
    fn client_ip(&self, request: &http::request::Parts) -> Option<String>;
}

/// Who is arriving.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// The account.
    pub user_id: UserId,
    /// The room.
    pub room_id: RoomId,
    /// Display name.
    pub name: String,
    /// Where from.
    pub location: Location,
    /// The session type when this arrival starts one.
    pub session_type: String,
}

#[derive(Debug, Default)]
struct RoomSeats {
    session: Option<SessionId>,
    sockets: HashMap<UserId, usize>,
}

/// The sessions of the rooms of this node.
pub struct Presence {
    bus: CommandBus,
    grace: Duration,
    app_domain: Option<String>,
    cluster: Option<Arc<Cluster>>,
    rooms: Mutex<HashMap<RoomId, RoomSeats>>,
}

fn context(user: UserId) -> CommandContext {
    CommandContext::new(Actor {
        id: Some(user.to_string()),
        roles: vec![],
    })
}

impl Presence {
    /// Presence recorded through `bus`; a leave waits `grace`. With a cluster,
    /// a room's session is found where other processes recorded it.
    pub fn new(
        bus: CommandBus,
        grace: Duration,
        app_domain: Option<String>,
        cluster: Option<Arc<Cluster>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            bus,
            grace,
            app_domain,
            cluster,
            rooms: Mutex::new(HashMap::new()),
        })
    }

    /// A socket arrived: starts or joins the room's session. Answers the session.
    pub async fn arrive(&self, arrival: Arrival) -> Result<SessionId, CommandError> {
        let mut rooms = self.rooms.lock().await;
        let seats = rooms.entry(arrival.room_id).or_default();
        *seats.sockets.entry(arrival.user_id).or_default() += 1;
        let caller = Caller {
            user_id: arrival.user_id,
            is_admin: false,
        };
        let ctx = context(arrival.user_id);
        if seats.session.is_none()
            && let Some(cluster) = &self.cluster
        {
            seats.session = cluster.room_session(arrival.room_id).await;
        }
        if let Some(session) = seats.session {
            match join_session(
                &self.bus,
                &ctx,
                session,
                caller,
                arrival.name.clone(),
                arrival.location.clone(),
            )
            .await
            {
                Ok(_) => return Ok(session),
                // Ended meanwhile (its last participant left): start a new one.
                Err(CommandError::Rejected(DomainError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
        let (session, _) = start_session(
            &self.bus,
            &ctx,
            StartSessionRequest {
                room_id: arrival.room_id,
                session_type: arrival.session_type,
                caller,
                name: arrival.name,
                location: arrival.location,
                app_domain: self.app_domain.clone(),
            },
        )
        .await?;
        seats.session = Some(session);
        if let Some(cluster) = &self.cluster {
            cluster.set_room_session(arrival.room_id, session).await;
        }
        Ok(session)
    }

    /// The server is stopping: every account seated here leaves its room's
    /// session now (also those waiting out their grace period), so that sessions
    /// do not stay open across a restart.
    pub async fn leave_everyone(&self) {
        let mut rooms = self.rooms.lock().await;
        for (room, seats) in rooms.drain() {
            let Some(session) = seats.session else {
                continue;
            };
            for user in seats.sockets.into_keys() {
                self.record_leave(room, session, user).await;
            }
        }
    }

    /// Records that `user` left `session`; one who already left (rejected) is fine.
    async fn record_leave(&self, room: RoomId, session: SessionId, user: UserId) {
        let caller = Caller {
            user_id: user,
            is_admin: false,
        };
        match leave_session(&self.bus, &context(user), session, caller).await {
            Ok(_) | Err(CommandError::Rejected(_)) => {}
            Err(e) => tracing::warn!(error = %e, %room, %user, "recording a leave failed"),
        }
    }

    /// A socket left: once the account has no socket in the room for the grace
    /// period, it leaves the session.
    pub fn depart(self: &Arc<Self>, room: RoomId, user: UserId) {
        let presence = self.clone();
        tokio::spawn(async move {
            {
                let mut rooms = presence.rooms.lock().await;
                let Some(seats) = rooms.get_mut(&room) else {
                    return;
                };
                if let Some(n) = seats.sockets.get_mut(&user) {
                    *n = n.saturating_sub(1);
                }
            }
            tokio::time::sleep(presence.grace).await;
            let mut rooms = presence.rooms.lock().await;
            let Some(seats) = rooms.get_mut(&room) else {
                return;
            };
            if seats.sockets.get(&user).copied().unwrap_or(0) > 0 {
                return; // Back within the grace period.
            }
            seats.sockets.remove(&user);
            let Some(session) = seats.session else {
                return;
            };
            presence.record_leave(room, session, user).await;
            if seats.sockets.is_empty() {
                rooms.remove(&room);
            }
        });
    }
}
