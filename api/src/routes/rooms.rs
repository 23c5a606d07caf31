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

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx, issue_room_token};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::error::Error;
use crate::json::ValidJson;
use crate::state::AppState;

/// `/room/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/room/create", post(create))
        .route("/room/{room_id}/token", post(token))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    name: String,
    #[serde(rename = "type")]
    room_type: String,
    max_participants: Option<u32>,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    p2p: bool,
}

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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    /// `presenter` (default) or `viewer`.
    role: Option<String>,
}

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
