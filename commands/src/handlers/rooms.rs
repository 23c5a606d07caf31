//! Creating a room.

use altegon_domain::room::{Room, RoomCommand};
use altegon_domain::{RoomId, UserId};
use chrono::Utc;

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::pipeline::{CommandBus, CommandError};
use crate::store::Position;

/// A room creation request.
#[derive(Debug, Clone)]
pub struct CreateRoom {
    /// The owner.
    pub owner_id: UserId,
    /// Display name.
    pub name: String,
    /// Kind of room.
    pub room_type: String,
    /// Optional participant bound.
    pub max_participants: Option<u32>,
    /// Hidden from others.
    pub is_private: bool,
    /// Peer-to-peer media.
    pub p2p: bool,
}

/// Creates a room; returns its id and the position to wait for.
pub async fn create_room(
    bus: &CommandBus,
    ctx: &CommandContext,
    request: CreateRoom,
) -> Result<(RoomId, Position), CommandError> {
    let room_id = RoomId(bus.claim_id::<Room>(ctx, new_object_id()).await?);
    let command = RoomCommand::Create {
        room_id,
        owner_id: request.owner_id,
        name: request.name,
        room_type: request.room_type,
        max_participants: request.max_participants,
        is_private: request.is_private,
        p2p: request.p2p,
        now: Utc::now(),
    };
    let outcome = bus.execute::<Room>(ctx, room_id, &command).await?;
    Ok((room_id, outcome.position))
}

/// Turns the room's recording on or off (`None` flips it), as its host asked in
/// the room; nothing is appended when it already is in that state.
pub async fn toggle_room_recording(
    bus: &CommandBus,
    ctx: &CommandContext,
    room_id: RoomId,
    by: UserId,
    recording: Option<bool>,
) -> Result<Position, CommandError> {
    let command = RoomCommand::ToggleRecording {
        by,
        recording,
        now: Utc::now(),
    };
    let outcome = bus.execute::<Room>(ctx, room_id, &command).await?;
    Ok(outcome.position)
}

/// Records a change of the room's media streams as the SFU's signaling saw it
/// (`RoomCommand::PublishStream`, `CountSubscribers` or `UnpublishStream`).
pub async fn record_room_stream(
    bus: &CommandBus,
    ctx: &CommandContext,
    room_id: RoomId,
    command: RoomCommand,
) -> Result<Position, CommandError> {
    let outcome = bus.execute::<Room>(ctx, room_id, &command).await?;
    Ok(outcome.position)
}
