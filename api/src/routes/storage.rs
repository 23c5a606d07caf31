//! Users' recording storage: upload to the blob store, usage and limits, delete,
//! users over their limit, and SAS download URLs. Only the owner or an admin may
//! touch a user's storage.

use std::time::Duration;

use altegon_commands::handlers::storage::{RecordingFile, set_limit};
use altegon_domain::recording::Recording;
use altegon_domain::storage::{StorageUsage, gb};
use altegon_domain::validate::{file_name, recording_id};
use altegon_domain::{DomainEvent, RoomId, UserId};
use altegon_media::files::Files;
use altegon_projections::models::storage::{
    self as storage_model, StorageAccountRow, StoredRecordingRow,
};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::params::{
    RecordingFileParam, RecordingParam, RoomParam, StorageOwnerParam,
};
use crate::contracts::openapi::responses::{
    AdminOnly, BadRequest, NotOwner, StorageUnavailable, Unauthorized, UploadTooLarge,
};
use crate::error::Error;
use crate::json::ValidJson;
use crate::state::AppState;
use crate::upload::{file_under, with_file_part};

/// Most files listed in one storage-info answer.
const MAX_FILES_LISTED: i64 = 1000;

/// Storage routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/recordings/user/{user_id}/room/{room_id}/recording/{recording_id}/upload-to-blob",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/recordings/user/{user_id}/storage-info", get(storage_info))
        .route("/recordings/user/{user_id}/storage-limit", put(storage_limit))
        .route(
            "/recordings/user/{user_id}/room/{room_id}/recording/{recording_id}/{file_name}",
            delete(remove),
        )
        .route("/recordings/admin/exceeded-storage-users", get(exceeded))
        .route(
            "/recordings/user/{user_id}/room/{room_id}/recording/{recording_id}/file/{file_name}/sas-url",
            get(sas_url),
        )
}

/// The figures of `user_id`'s storage.
pub(crate) async fn usage(state: &AppState, user_id: &str) -> Result<StorageUsage, Error> {
    let default_limit = state.config.storage_default_limit_bytes;
    Ok(
        match storage_model::account(state.read_pool(), user_id).await? {
            Some(row) => usage_of(&row, default_limit),
            None => StorageUsage {
                total_usage: 0,
                storage_limit: default_limit,
                recordings_count: 0,
            },
        },
    )
}

/// The figures of an account row; no limit set means `default_limit`.
pub(crate) fn usage_of(row: &StorageAccountRow, default_limit: u64) -> StorageUsage {
    StorageUsage {
        total_usage: row.total_usage.max(0) as u64,
        storage_limit: row.storage_limit.map_or(default_limit, |l| l.max(0) as u64),
        recordings_count: row.recordings_count.max(0) as u64,
    }
}

fn usage_json(u: &StorageUsage) -> Value {
    json!({
        "totalUsage": u.total_usage,
        "totalUsageGB": gb(u.total_usage),
        "availableStorage": u.available(),
        "availableStorageGB": gb(u.available()),
        "storageLimit": u.storage_limit,
        "storageLimitGB": gb(u.storage_limit),
        "isLimitExceeded": u.is_limit_exceeded(),
        "exceedAmount": u.exceed_amount(),
        "exceedAmountGB": gb(u.exceed_amount()),
        "usagePercentage": u.usage_percentage(),
        "recordingsCount": u.recordings_count,
        "warnings": u.warnings().into_iter().map(|w| json!({
            "type": w.kind,
            "message": w.message,
        })).collect::<Vec<_>>(),
    })
}

fn file_json(state: &AppState, row: &StoredRecordingRow) -> Value {
    json!({
        "recordingId": row.recording_id,
        "roomId": row.room_id,
        "fileName": row.file_name,
        "fileSize": row.file_size,
        "uploadedAt": row.uploaded_at,
        "blobUrl": state.blobs.blob_url(&row.blob_path),
    })
}

/// The ids of a recording file route, checked.
pub(crate) fn recording_file(
    user_id: &str,
    room_id: &str,
    recording: &str,
    name: &str,
) -> Result<RecordingFile, Error> {
    Ok(RecordingFile {
        user_id: parse_id("userId", user_id)?,
        room_id: parse_id("roomId", room_id)?,
        recording_id: recording_id(recording)?,
        file_name: file_name("fileName", name)?,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UploadFromServerRequest)]
struct ServerFileBody {
    /// A finished recording inside the server's recordings folder (relative to it, or absolute within it).
    file_path: String,
    /// Name to store it under; the file's own name by default.
    #[schema(
        max_length = 255,
        pattern = r"^(?!\.\.?$)(?=.*\S)[^/\\\x00-\x1f\x7f-\x9f]+$"
    )]
    file_name: Option<String>,
}

/// Upload a recording file to the user's blob storage
///
/// Streams the `file` part (never buffered whole) to the blob store, or takes a finished recording by server-side path. Past the user's limit the upload is kept and flagged unless the server enforces limits.
#[utoipa::path(
    post,
    path = "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/upload-to-blob",
    tag = "storage",
    security(("bearer" = [])),
    params(StorageOwnerParam, RoomParam, RecordingParam),
    request_body(content(
        (inline(bodies::storage::RecordingUploadForm) = "multipart/form-data"),
        (ServerFileBody = "application/json"),
    )),
    responses(
        (status = 201, description = "Stored and recorded; usage follows.",
            body = bodies::storage::UploadToBlobResponse, headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, description = "Not the storage's owner or an admin, or (when enforced) past the storage limit.", body = ErrorBody),
        (status = 404, description = "No such recording in this room, or no such server-side file.", body = ErrorBody),
        (status = 409, description = "A file with this name exists for this recording.", body = ErrorBody),
        (status = 413, response = inline(UploadTooLarge)),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path((user_id, room_id, recording)): Path<(String, String, String)>,
    request: Request,
) -> Result<impl IntoResponse, Error> {
    let user_id: UserId = parse_id("userId", &user_id)?;
    let room_id: RoomId = parse_id("roomId", &room_id)?;
    let recording = recording_id(&recording)?;
    user.may_act_for(&user_id)?;
    let started = state.bus.state::<Recording>(&recording).await?.started;
    if started.is_none_or(|r| r.room_id != room_id) {
        return Err(Error::NotFound("recording".into()));
    }
    // The file's name comes with the body.
    let upload_target = RecordingFile {
        user_id,
        room_id,
        recording_id: recording,
        file_name: String::new(),
    };
    let limits = state.upload_limits();
    if let Some(length) = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limits.max_upload_bytes.saturating_add(64 * 1024)
    {
        return Err(Error::PayloadTooLarge);
    }
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let outcome = if is_json {
        let bytes = axum::body::to_bytes(request.into_body(), state.config.max_json_body_bytes)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        let body: ServerFileBody = crate::json::parse(&bytes)?;
        let path = file_under(&state.config.recordings_dir(), &body.file_path)?;
        let name = match body.file_name {
            Some(n) => n,
            None => path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_owned)
                .ok_or_else(|| Error::invalid("fileName", "is required for this path"))?,
        };
        let file = RecordingFile {
            file_name: file_name("fileName", &name)?,
            ..upload_target.clone()
        };
        let opened = tokio::fs::File::open(&path)
            .await
            .map_err(|_| Error::NotFound("file".into()))?;
        let stream = tokio_util::io::ReaderStream::with_capacity(opened, 256 * 1024);
        Files {
            blobs: &state.blobs,
            bus: &state.bus,
            ctx: &ctx,
        }
        .upload_recording(file, user.caller(), stream, limits)
        .await?
    } else {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|_| {
                Error::invalid(
                    "file",
                    "send multipart/form-data with a `file` part, or JSON with `filePath`",
                )
            })?;
        with_file_part(multipart, async |name, field| {
            let file = RecordingFile {
                file_name: file_name("fileName", &name)?,
                ..upload_target.clone()
            };
            Ok(Files {
                blobs: &state.blobs,
                bus: &state.bus,
                ctx: &ctx,
            }
            .upload_recording(file, user.caller(), field, limits)
            .await?)
        })
        .await?
    };
    wait_until_visible(&state, outcome.position).await?;
    let Some(DomainEvent::RecordingFileUploaded(event)) = outcome.events.first() else {
        return Err(Error::Internal("upload recorded no event".into()));
    };
    let row = storage_model::file(
        state.read_pool(),
        &user_id.to_string(),
        &event.recording_id,
        &event.file_name,
    )
    .await?
    .ok_or_else(|| Error::Internal("uploaded file is not in the read model".into()))?;
    let mut data = file_json(&state, &row);
    data["storageInfo"] = usage_json(&usage(&state, &user_id.to_string()).await?);
    Ok((
        StatusCode::CREATED,
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "msg": "Recording uploaded successfully.",
            "data": data,
        })),
    ))
}

/// A user's storage usage, limit, warnings and files
#[utoipa::path(
    get,
    path = "/recordings/user/{userId}/storage-info",
    tag = "storage",
    security(("bearer" = [])),
    params(StorageOwnerParam),
    responses(
        (status = 200, description = "Usage and files.", body = bodies::storage::StorageInfoResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
    ),
)]
async fn storage_info(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(user_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let user_id: UserId = parse_id("userId", &user_id)?;
    user.may_act_for(&user_id)?;
    let id = user_id.to_string();
    let figures = usage(&state, &id).await?;
    let files = storage_model::files(state.read_pool(), &id, MAX_FILES_LISTED).await?;
    let mut data = usage_json(&figures);
    data["recordings"] = files.iter().map(|f| file_json(&state, f)).collect();
    Ok(Json(json!({ "success": true, "data": data })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = StorageLimitRequest)]
struct LimitBody {
    /// Bytes.
    #[schema(minimum = 1, maximum = 1_125_899_906_842_624_u64)]
    #[serde(deserialize_with = "crate::json::whole_number")]
    new_limit: u64,
}

/// Set a user's storage limit (admin)
#[utoipa::path(
    put,
    path = "/recordings/user/{userId}/storage-limit",
    tag = "storage",
    security(("bearer" = [])),
    params(StorageOwnerParam),
    request_body = LimitBody,
    responses(
        (status = 200, description = "Set.", body = bodies::storage::StorageLimitResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(AdminOnly)),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn storage_limit(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(user_id): Path<String>,
    ValidJson(body): ValidJson<LimitBody>,
) -> Result<impl IntoResponse, Error> {
    if !user.is_admin() {
        return Err(Error::Forbidden(
            "only an administrator may change storage limits".into(),
        ));
    }
    let user_id: UserId = parse_id("userId", &user_id)?;
    let outcome = set_limit(
        &state.bus,
        &ctx,
        user_id,
        body.new_limit,
        state.config.storage_default_limit_bytes,
        user.caller(),
    )
    .await?;
    wait_until_visible(&state, outcome.position).await?;
    Ok((
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "data": {
                "userId": user_id.to_string(),
                "storageLimit": body.new_limit,
                "storageLimitGB": gb(body.new_limit),
            },
        })),
    ))
}

/// Delete a recording file
#[utoipa::path(
    delete,
    path = "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/{fileName}",
    tag = "storage",
    security(("bearer" = [])),
    params(StorageOwnerParam, RoomParam, RecordingParam, RecordingFileParam),
    responses(
        (status = 200, description = "Deleted; usage after it.",
            body = bodies::storage::DeleteRecordingResponse, headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such file.", body = ErrorBody),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path((user_id, room_id, recording, name)): Path<(String, String, String, String)>,
) -> Result<impl IntoResponse, Error> {
    let file = recording_file(&user_id, &room_id, &recording, &name)?;
    user.may_act_for(&file.user_id)?;
    let id = file.user_id.to_string();
    let outcome = Files {
        blobs: &state.blobs,
        bus: &state.bus,
        ctx: &ctx,
    }
    .delete_recording(file, user.caller())
    .await?;
    wait_until_visible(&state, outcome.position).await?;
    let figures = usage(&state, &id).await?;
    Ok((
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "msg": "Recording deleted successfully.",
            "data": {
                "totalUsage": figures.total_usage,
                "availableStorage": figures.available(),
                "recordingsCount": figures.recordings_count,
            },
        })),
    ))
}

/// Users over their storage limit (admin)
#[utoipa::path(
    get,
    path = "/recordings/admin/exceeded-storage-users",
    tag = "storage",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Furthest over first.", body = bodies::storage::ExceededUsersResponse),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(AdminOnly)),
    ),
)]
async fn exceeded(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
) -> Result<impl IntoResponse, Error> {
    if !user.is_admin() {
        return Err(Error::Forbidden(
            "only an administrator may list this".into(),
        ));
    }
    let default_limit = i64::try_from(state.config.storage_default_limit_bytes).unwrap_or(i64::MAX);
    let rows = storage_model::exceeded(state.read_pool(), default_limit).await?;
    let data: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let limit = r.storage_limit.unwrap_or(default_limit);
            json!({
                "userId": r.id,
                "totalUsage": r.total_usage,
                "storageLimit": limit,
                "exceedAmount": r.total_usage.saturating_sub(limit).max(0),
                "recordingsCount": r.recordings_count,
            })
        })
        .collect();
    Ok(Json(json!({ "success": true, "data": data })))
}

/// A read-only signed URL for one of a user's recording files (owner or admin).
pub(crate) async fn signed_file_url(
    state: &AppState,
    user: &AuthUser,
    file: RecordingFile,
) -> Result<(String, chrono::DateTime<chrono::Utc>, StoredRecordingRow), Error> {
    user.may_act_for(&file.user_id)?;
    let row = storage_model::file(
        state.read_pool(),
        &file.user_id.to_string(),
        &file.recording_id,
        &file.file_name,
    )
    .await?
    .filter(|r| r.room_id == file.room_id.to_string())
    .ok_or_else(|| Error::NotFound("recording file".into()))?;
    let ttl = Duration::from_secs(state.config.sas_ttl_secs);
    let (url, expires_at) = state.blobs.signed_read_url(&row.blob_path, ttl).await?;
    Ok((url, expires_at, row))
}

/// A time-limited, read-only download URL for one recording file
#[utoipa::path(
    get,
    path = "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/file/{fileName}/sas-url",
    tag = "storage",
    security(("bearer" = [])),
    params(StorageOwnerParam, RoomParam, RecordingParam, RecordingFileParam),
    responses(
        (status = 200, description = "The URL (default lifetime 60 minutes).", body = bodies::storage::SasUrlResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such file.", body = ErrorBody),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn sas_url(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path((user_id, room_id, recording, name)): Path<(String, String, String, String)>,
) -> Result<impl IntoResponse, Error> {
    let file = recording_file(&user_id, &room_id, &recording, &name)?;
    let (url, expires_at, row) = signed_file_url(&state, &user, file).await?;
    Ok(Json(json!({
        "success": true,
        "data": {
            "sasUrl": url,
            "expiresAt": altegon_projections::api_time(expires_at),
            "expiresInMinutes": state.config.sas_ttl_secs.div_ceil(60),
            "permissions": "r",
            "recordingId": row.recording_id,
            "fileName": row.file_name,
        },
    })))
}
