//! `POST /meetings/create`, `POST /meetings/update/:meetingId`,
//! `GET /meetings/list/:userId`.

use altegon_commands::handlers::meetings::{CreateMeeting, create_meeting, update_meeting};
use altegon_domain::meeting::{Caller, MeetingChanges};
use altegon_domain::{MeetingId, RoomId, UserId};
use altegon_projections::models::meetings::{self, MeetingRow};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use super::{PageQuery, parse_id};
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::error::Error;
use crate::json::ValidJson;
use crate::state::AppState;

/// `/meetings/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings/create", post(create))
        .route("/meetings/update/{meeting_id}", post(update))
        .route("/meetings/list/{user_id}", get(list))
}

/// A meeting in the reference's shape, serialized straight from the row (the
/// stored recording-id list is already JSON and is embedded as it is).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MeetingView<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    title: &'a str,
    host_id: &'a str,
    transcript_enabled: bool,
    summary_generated: bool,
    recording_ids: &'a RawValue,
    created_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    room_id: Option<&'a str>,
}

fn meeting_view(row: &MeetingRow) -> Result<MeetingView<'_>, Error> {
    let recording_ids: &RawValue = serde_json::from_str(&row.recording_ids)
        .map_err(|e| Error::Internal(format!("meeting {}: recording ids: {e}", row.id)))?;
    Ok(MeetingView {
        id: &row.id,
        title: &row.title,
        host_id: &row.host_id,
        transcript_enabled: row.transcript_enabled != 0,
        summary_generated: row.summary_generated != 0,
        recording_ids,
        created_at: &row.created_at,
        room_id: row.room_id.as_deref(),
    })
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
            "data": meeting_view(&row)?,
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

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(user_id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<impl IntoResponse, Error> {
    let user_id: UserId = parse_id("userId", &user_id)?;
    user.may_act_for(&user_id)?;
    let (limit, offset) = page.checked()?;
    let rows = meetings::by_host(state.read_pool(), &user_id.to_string(), limit, offset).await?;
    let data = rows
        .iter()
        .map(meeting_view)
        .collect::<Result<Vec<_>, _>>()?;
    let body = serde_json::to_vec(&MeetingList {
        success: true,
        data,
    })
    .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body))
}

#[derive(Debug, Serialize)]
struct MeetingList<'a> {
    success: bool,
    data: Vec<MeetingView<'a>>,
}
