//! `/room/create` and `/room/{roomId}/token`.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

use crate::auth::RoomGrant;

#[derive(ToSchema)]
pub(crate) struct CreateRoomResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: CreatedRoom,
    #[schema(required = false, example = "Room created Successfully!")]
    msg: String,
}

#[derive(ToSchema)]
pub(crate) struct CreatedRoom {
    #[schema(required = false)]
    id: String,
    #[schema(required = false)]
    name: String,
    #[schema(rename = "type", required = false)]
    room_type: String,
    #[schema(required = false)]
    p2p: bool,
}

#[derive(ToSchema)]
pub(crate) struct RoomTokenResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: RoomToken,
    #[schema(required = false)]
    msg: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct RoomToken {
    /// JWT for the realtime socket (audience altegon-meet-room).
    #[schema(required = false)]
    token: String,
    #[schema(required = false)]
    room_id: String,
    #[schema(required = false)]
    user_id: String,
    #[schema(required = false, inline)]
    grants: Vec<RoomGrant>,
    #[schema(required = false)]
    expires_at: DateTime<Utc>,
}
