//! `POST /meetings/create`, `POST /meetings/update/:meetingId`,
//! `GET /meetings/list/:userId`.

use altegon_commands::handlers::meetings::{CreateMeeting, create_meeting, update_meeting};
use altegon_domain::meeting::MeetingChanges;
use altegon_domain::{MeetingId, RoomId, UserId};
use altegon_projections::models::meetings::{self, MeetingRef};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::{PageQuery, parse_id};
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::params::{IdempotencyKey, MeetingParam, WaitForPosition};
use crate::contracts::openapi::responses::{
    BadRequest, JsonTooLarge, NotFound, NotOwner, NotYetVisible, Unauthorized,
};
use crate::error::Error;
use crate::json::{ValidJson, ValidQuery};
use crate::state::AppState;

/// `/meetings/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings/create", post(create))
        .route("/meetings/update/{meeting_id}", post(update))
        .route("/meetings/list/{user_id}", get(list))
}

// A meeting in the reference's shape, serialized straight from the row (the
// stored recording-id list is already JSON and is embedded as it is).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Meeting)]
pub(crate) struct MeetingView<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    title: &'a str,
    host_id: &'a str,
    transcript_enabled: bool,
    summary_generated: bool,
    #[schema(value_type = Vec<String>)]
    recording_ids: &'a RawValue,
    #[schema(value_type = String, format = DateTime)]
    created_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    room_id: Option<&'a str>,
}

fn meeting_view(row: MeetingRef<'_>) -> Result<MeetingView<'_>, Error> {
    let recording_ids: &RawValue = serde_json::from_str(row.recording_ids)
        .map_err(|e| Error::Internal(format!("meeting {}: recording ids: {e}", row.id)))?;
    Ok(MeetingView {
        id: row.id,
        title: row.title,
        host_id: row.host_id,
        transcript_enabled: row.transcript_enabled != 0,
        summary_generated: row.summary_generated != 0,
        recording_ids,
        created_at: row.created_at,
        room_id: row.room_id,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CreateMeetingRequest)]
struct CreateBody {
    #[schema(max_length = 200, pattern = r"\S")]
    title: String,
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    host_id: String,
    transcript_enabled: bool,
}

/// Create a meeting
#[utoipa::path(
    post,
    path = "/meetings/create",
    tag = "meetings",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created.", body = bodies::meetings::CreateMeetingResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
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
            "data": meeting_view((&row).into())?,
        })),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UpdateMeetingRequest)]
struct UpdateBody {
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    user_id: String,
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    room_id: Option<String>,
    #[schema(max_length = 100, pattern = r"\S")]
    recording_id: Option<String>,
    #[schema(max_length = 200, pattern = r"\S")]
    title: Option<String>,
    summary_generated: Option<bool>,
    transcript_enabled: Option<bool>,
}

/// Update a meeting
#[utoipa::path(
    post,
    path = "/meetings/update/{meetingId}",
    tag = "meetings",
    security(("bearer" = [])),
    params(MeetingParam, IdempotencyKey),
    request_body = UpdateBody,
    responses(
        (status = 204, description = "Updated (also when nothing changed).",
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
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
    let outcome = update_meeting(&state.bus, &ctx, meeting_id, user.caller(), changes).await?;
    wait_until_visible(&state, outcome.position).await?;
    Ok((StatusCode::NO_CONTENT, position_header(outcome.position)))
}

/// List a user's meetings, newest first
#[utoipa::path(
    get,
    path = "/meetings/list/{userId}",
    tag = "meetings",
    security(("bearer" = [])),
    params(
        ("userId" = String, Path, description = "The host.", pattern = "^[0-9a-fA-F]{24}$"),
        PageQuery,
        WaitForPosition,
    ),
    responses(
        (status = 200, description = "The meetings.", body = MeetingList<'static>),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(user_id): Path<String>,
    ValidQuery(page): ValidQuery<PageQuery>,
) -> Result<impl IntoResponse, Error> {
    let user_id: UserId = parse_id("userId", &user_id)?;
    user.may_act_for(&user_id)?;
    let (limit, offset) = page.checked()?;
    let rows = meetings::by_host(state.read_db(), &user_id.to_string(), limit, offset).await?;
    let data = rows
        .decode::<MeetingRef<'_>>()?
        .into_iter()
        .map(meeting_view)
        .collect::<Result<Vec<_>, _>>()?;
    // About 250 bytes a meeting: sized once rather than grown by doubling.
    let mut body = Vec::with_capacity(64 + 320 * data.len());
    serde_json::to_writer(
        &mut body,
        &MeetingList {
            success: true,
            data,
        },
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body))
}

#[derive(Debug, Serialize, ToSchema)]
struct MeetingList<'a> {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    data: Vec<MeetingView<'a>>,
}
