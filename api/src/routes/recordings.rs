//! `POST /recording/start`, `POST /recording/stop`, `GET /recordings/list`.

use altegon_commands::handlers::recordings::{
    StartRecordingRequest, start_recording, stop_recording,
};
use altegon_domain::validate::recording_id;
use altegon_domain::{MeetingId, RoomId};
use altegon_projections::models::recordings::RecordingRow;
use altegon_projections::models::{meetings, recordings};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{PageQuery, parse_id};
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::keywords::{IdOrNumber, TimeInput};
use crate::contracts::openapi::responses::{
    BadRequest, NotOwner, StorageUnavailable, Unauthorized,
};
use crate::error::Error;
use crate::json::{ValidJson, ValidQuery};
use crate::state::AppState;

/// Recording routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recording/start", post(start))
        .route("/recording/stop", post(stop))
        .route("/recordings/list", get(list))
}

// A recording as listings show it. The contract does not promise `streamId`,
// `videoType` and `startTime`, though they are always sent.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Recording)]
pub(crate) struct RecordingView {
    #[serde(rename = "_id")]
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    id: String,
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
    recording_id: String,
    host_name: String,
    /// True once the recording is stopped.
    status: bool,
    #[schema(required = false)]
    stream_id: String,
    #[schema(required = false)]
    video_type: String,
    #[schema(required = false, format = DateTime)]
    start_time: String,
    #[schema(format = DateTime)]
    end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, pattern = "^[0-9a-fA-F]{24}$")]
    meeting_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<RecordingRow> for RecordingView {
    fn from(r: RecordingRow) -> Self {
        Self {
            id: r.record_id,
            room_id: r.room_id,
            recording_id: r.id,
            host_name: r.host_name,
            status: r.stopped != 0,
            stream_id: r.stream_id,
            video_type: r.video_type,
            start_time: r.start_time,
            end_time: r.end_time,
            meeting_id: r.meeting_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An id the web client sends as a JSON number or a string (`streamId`).
fn id_text(field: &'static str, value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.trim().to_owned()),
        Value::Number(n) => crate::json::whole_i64(n)
            .map(|n| n.to_string())
            .ok_or_else(|| Error::invalid(field, "must be a string or an integer")),
        _ => Err(Error::invalid(field, "must be a string or an integer")),
    }
}

/// A time sent as milliseconds since the epoch or as an RFC 3339 string.
pub(crate) fn time(field: &'static str, value: &Value) -> Result<DateTime<Utc>, Error> {
    let parsed = match value {
        Value::Number(n) => crate::json::whole_i64(n).and_then(DateTime::from_timestamp_millis),
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| {
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .and_then(DateTime::from_timestamp_millis)
            }),
        _ => None,
    };
    parsed.ok_or_else(|| {
        Error::invalid(
            field,
            "must be milliseconds since 1970 or an RFC 3339 date-time",
        )
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = StartRecordingRequest)]
struct StartBody {
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
    #[schema(max_length = 200, pattern = r"\S")]
    user_name: String,
    #[schema(value_type = IdOrNumber)]
    stream_id: Value,
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    recording_id: String,
    #[schema(value_type = TimeInput)]
    start_time: Value,
    #[schema(max_length = 32, pattern = r"\S")]
    video_type: String,
    #[schema(max_length = 32, pattern = r"\S")]
    status: String,
    /// The meeting recorded; defaults to the room's latest meeting.
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    meeting_id: Option<String>,
}

/// Start recording a room's stream
#[utoipa::path(
    post,
    path = "/recording/start",
    tag = "recordings",
    security(("bearer" = [])),
    request_body = StartBody,
    responses(
        (status = 201, description = "Started.", body = bodies::recordings::StartRecordingResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, description = "Only the room's owner (or an admin) records it.", body = ErrorBody),
        (status = 404, description = "No such room.", body = ErrorBody),
        (status = 409, description = "This recording id was started already.", body = ErrorBody),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<StartBody>,
) -> Result<impl IntoResponse, Error> {
    let room_id: RoomId = parse_id("roomId", &body.room_id)?;
    let recording = recording_id(&body.recording_id)?;
    let stream_id = id_text("streamId", &body.stream_id)?;
    let start_time = time("startTime", &body.start_time)?;
    // A recording belongs to the meeting named, else to the room's latest meeting.
    let meeting_id: Option<MeetingId> = match body.meeting_id.as_deref() {
        Some(m) => Some(parse_id("meetingId", m)?),
        None => meetings::latest_in_room(state.read_pool(), &room_id.to_string())
            .await?
            .and_then(|m| m.parse().ok()),
    };
    let request = StartRecordingRequest {
        recording_id: recording.clone(),
        room_id,
        meeting_id,
        user_name: body.user_name,
        stream_id,
        video_type: body.video_type,
        status: body.status,
        start_time,
        caller: user.caller(),
    };
    let outcome = start_recording(&state.bus, &ctx, request).await?;
    wait_until_visible(&state, outcome.position).await?;
    let row = recordings::by_id(state.read_pool(), &recording)
        .await?
        .ok_or_else(|| Error::Internal("started recording is not in the read model".into()))?;
    Ok((
        StatusCode::CREATED,
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "msg": "Recording started successfully",
            "data": RecordingView::from(row),
        })),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = StopRecordingRequest)]
struct StopBody {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    recording_id: String,
    #[schema(value_type = IdOrNumber)]
    stream_id: Value,
    #[schema(value_type = TimeInput)]
    end_time: Value,
}

/// Stop a recording
#[utoipa::path(
    post,
    path = "/recording/stop",
    tag = "recordings",
    security(("bearer" = [])),
    request_body = StopBody,
    responses(
        (status = 204, description = "Stopped.", headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such recording.", body = ErrorBody),
        (status = 409, description = "The recording is already stopped.", body = ErrorBody),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn stop(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<StopBody>,
) -> Result<impl IntoResponse, Error> {
    let recording = recording_id(&body.recording_id)?;
    let stream_id = id_text("streamId", &body.stream_id)?;
    let end_time = time("endTime", &body.end_time)?;
    let outcome = stop_recording(
        &state.bus,
        &ctx,
        &recording,
        stream_id,
        end_time,
        user.caller(),
    )
    .await?;
    wait_until_visible(&state, outcome.position).await?;
    Ok((StatusCode::NO_CONTENT, position_header(outcome.position)))
}

/// Recordings of the caller's rooms (all for an admin)
#[utoipa::path(
    get,
    path = "/recordings/list",
    tag = "recordings",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "Newest first; a bare array as in the reference.", body = Vec<RecordingView>),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
    ),
)]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    ValidQuery(page): ValidQuery<PageQuery>,
) -> Result<impl IntoResponse, Error> {
    let (limit, offset) = page.checked()?;
    let owner = (!user.is_admin()).then(|| user.id.to_string());
    let rows = recordings::list(state.read_pool(), owner.as_deref(), limit, offset).await?;
    Ok(Json(
        rows.into_iter()
            .map(RecordingView::from)
            .collect::<Vec<_>>(),
    ))
}
