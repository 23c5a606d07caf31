//! `POST /meetings/create`, `POST /meetings/update/:meetingId`,
//! `GET /meetings/list/:userId`.

use altegon_commands::handlers::meetings::{CreateMeeting, create_meeting, update_meeting};
use altegon_domain::meeting::{Caller, MeetingChanges};
use altegon_domain::{MeetingId, RoomId, UserId};
use altegon_projections::models::meetings::{self, MeetingRow};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::error::Error;
use crate::json::ValidJson;
use crate::state::AppState;

/// Most meetings one list call returns.
const MAX_LIST: i64 = 1000;

/// `/meetings/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings/create", post(create))
        .route("/meetings/update/{meeting_id}", post(update))
        .route("/meetings/list/{user_id}", get(list))
}

/// A meeting in the reference's shape.
fn meeting_json(row: &MeetingRow) -> Value {
    let mut value = json!({
        "_id": row.id,
        "title": row.title,
        "hostId": row.host_id,
        "transcriptEnabled": row.transcript_enabled != 0,
        "summaryGenerated": row.summary_generated != 0,
        "recordingIds": row.recording_list(),
        "createdAt": row.created_at,
    });
    if let Some(room) = &row.room_id {
        value["roomId"] = json!(room);
    }
    value
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    title: String,
    host_id: String,
    transcript_enabled: bool,
}

async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<CreateBody>,
) -> Result<impl IntoResponse, Error> {
    let host_id: UserId = parse_id("hostId", &body.host_id)?;
    user.may_act_for(&host_id)?;
    let request = CreateMeeting {
        title: body.title,
        host_id,
        transcript_enabled: body.transcript_enabled,
    };
    let (meeting_id, position) = create_meeting(&state.bus, &ctx, request).await?;
    wait_until_visible(&state, position).await?;
    let row = meetings::by_id(state.read_pool(), &meeting_id.to_string())
        .await?
        .ok_or_else(|| Error::Internal("created meeting is not in the read model".into()))?;
    Ok((
        StatusCode::CREATED,
        position_header(position),
        Json(json!({
            "success": true,
            "message": "Meeting created successfully",
            "data": meeting_json(&row),
        })),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    user_id: String,
    room_id: Option<String>,
    recording_id: Option<String>,
    title: Option<String>,
    summary_generated: Option<bool>,
    transcript_enabled: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(meeting_id): Path<String>,
    ValidJson(body): ValidJson<UpdateBody>,
) -> Result<impl IntoResponse, Error> {
    let meeting_id: MeetingId = parse_id("meetingId", &meeting_id)?;
    let user_id: UserId = parse_id("userId", &body.user_id)?;
    user.may_act_for(&user_id)?;
    let room_id: Option<RoomId> = body
        .room_id
        .as_deref()
        .map(|r| parse_id("roomId", r))
        .transpose()?;
    let changes = MeetingChanges {
        title: body.title,
        transcript_enabled: body.transcript_enabled,
        summary_generated: body.summary_generated,
        room_id,
        recording_id: body.recording_id,
    };
    let caller = Caller {
        user_id: user.id,
        is_admin: user.is_admin(),
    };
    let outcome = update_meeting(&state.bus, &ctx, meeting_id, caller, changes).await?;
    wait_until_visible(&state, outcome.position).await?;
    Ok((StatusCode::NO_CONTENT, position_header(outcome.position)))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(user_id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<impl IntoResponse, Error> {
    let user_id: UserId = parse_id("userId", &user_id)?;
    user.may_act_for(&user_id)?;
    let limit = query.limit.unwrap_or(MAX_LIST);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIST}"),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(Error::invalid("offset", "must not be negative"));
    }
    let rows = meetings::by_host(state.read_pool(), &user_id.to_string(), limit, offset).await?;
    Ok(Json(json!({
        "success": true,
        "data": rows.iter().map(meeting_json).collect::<Vec<_>>(),
    })))
}
