//! `POST /room/create` and `POST /room/:roomId/token`.

use altegon_commands::handlers::rooms::{CreateRoom, create_room};
use altegon_domain::RoomId;
use altegon_projections::models::rooms;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx, issue_room_token};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::params::{IdempotencyKey, RoomParam, WaitForPosition};
use crate::contracts::openapi::responses::{
    BadRequest, JsonTooLarge, NotFound, NotOwner, NotYetVisible, Unauthorized,
};
use crate::error::Error;
use crate::json::ValidJson;
use crate::state::AppState;

/// `/room/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/room/create", post(create))
        .route("/room/{room_id}/token", post(token))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CreateRoomRequest)]
struct CreateBody {
    #[schema(max_length = 200, pattern = r"\S")]
    name: String,
    /// e.g. meeting, conference, webinar, live
    #[serde(rename = "type")]
    #[schema(max_length = 32, pattern = r"^\s*[A-Za-z0-9_-]{1,32}\s*$")]
    room_type: String,
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default, deserialize_with = "crate::json::optional_whole_number")]
    max_participants: Option<u32>,
    #[serde(default)]
    #[schema(default = false)]
    is_private: bool,
    #[serde(default)]
    #[schema(default = false)]
    p2p: bool,
}

/// Create a room
#[utoipa::path(
    post,
    path = "/room/create",
    tag = "rooms",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created.", body = bodies::rooms::CreateRoomResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 413, response = inline(JsonTooLarge)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<CreateBody>,
) -> Result<impl IntoResponse, Error> {
    let request = CreateRoom {
        owner_id: user.id,
        name: body.name,
        room_type: body.room_type,
        max_participants: body.max_participants,
        is_private: body.is_private,
        p2p: body.p2p,
    };
    let (room_id, position) = create_room(&state.bus, &ctx, request).await?;
    wait_until_visible(&state, position).await?;
    let room = rooms::by_id(state.read_pool(), &room_id.to_string())
        .await?
        .ok_or_else(|| Error::Internal("created room is not in the read model".into()))?;
    Ok((
        StatusCode::CREATED,
        position_header(position),
        Json(json!({
            "success": true,
            "data": { "id": room.id, "name": room.name, "type": room.room_type, "p2p": room.p2p != 0 },
            "msg": "Room created Successfully!",
        })),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RoomTokenRequest)]
struct TokenBody {
    #[schema(value_type = Option<RoomRole>, inline)]
    role: Option<String>,
}

// The `role` values the handler accepts (it matches the strings).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase", default = "presenter")]
#[allow(dead_code, reason = "documentation only; nothing constructs it")]
enum RoomRole {
    Presenter,
    Viewer,
}

/// Create a room access token
///
/// The owner and admins get every grant including room-admin and record (the recording server's ingest socket); others get presenter (join, publish, subscribe, publish-data) or viewer (join, subscribe) grants. Private rooms admit only their owner and admins.
#[utoipa::path(
    post,
    path = "/room/{roomId}/token",
    tag = "rooms",
    security(("bearer" = [])),
    params(RoomParam, WaitForPosition),
    request_body = Option<TokenBody>,
    responses(
        (status = 201, description = "Created.", body = bodies::rooms::RoomTokenResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn token(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(room_id): Path<String>,
    ValidJson(body): ValidJson<TokenBody>,
) -> Result<impl IntoResponse, Error> {
    let room_id: RoomId = parse_id("roomId", &room_id)?;
    let room = rooms::by_id(state.read_pool(), &room_id.to_string())
        .await?
        .ok_or_else(|| Error::NotFound("room".into()))?;
    let (token, claims) = issue_room_token(&state, &user, &room, body.role.as_deref())?;
    let expires_at =
        chrono::DateTime::from_timestamp(claims.exp, 0).map(altegon_projections::api_time);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "success": true,
            "data": {
                "token": token,
                "roomId": room.id,
                "userId": claims.sub,
                "grants": claims.grants,
                "expiresAt": expires_at,
            },
            "msg": "Token created successfully",
        })),
    ))
}
