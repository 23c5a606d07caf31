//! Room access tokens: which grants a caller gets for a room, for REST and
//! GraphQL alike. The owner (or an admin) gets every grant; others get what
//! their role asks for, and only in public rooms.

use altegon_projections::models::rooms::RoomRow;

use super::{AuthUser, RoomClaims, RoomGrant};
use crate::error::Error;
use crate::state::AppState;

/// Issues a room token for `role` (`presenter` by default, or `viewer`).
pub fn issue_room_token(
    state: &AppState,
    user: &AuthUser,
    room: &RoomRow,
    role: Option<&str>,
) -> Result<(String, RoomClaims), Error> {
    user.may_enter_room(room)?;
    let asked = match role {
        None | Some("presenter") => vec![
            RoomGrant::Join,
            RoomGrant::Publish,
            RoomGrant::Subscribe,
            RoomGrant::PublishData,
        ],
        Some("viewer") => vec![RoomGrant::Join, RoomGrant::Subscribe],
        Some(_) => return Err(Error::invalid("role", "must be presenter or viewer")),
    };
    let grants = if user.owns(&room.owner_id) {
        vec![
            RoomGrant::Join,
            RoomGrant::Publish,
            RoomGrant::Subscribe,
            RoomGrant::PublishData,
            RoomGrant::RoomAdmin,
            RoomGrant::Record,
        ]
    } else {
        asked
    };
    state
        .keys
        .issue_room(
            &user.id.to_string(),
            &room.id,
            grants,
            room.max_participants.and_then(|m| u32::try_from(m).ok()),
        )
        .map_err(|e| Error::Internal(e.to_string()))
}
