//! Files shared in a room: `POST /room/:roomId/upload`, `GET
//! /room/:roomId/files/:filename` (details), `GET .../:filename/download`
//! (bytes) and `DELETE /room/:roomId/files`. The room's owner (or an admin)
//! uploads and deletes; anyone signed in may read the files of a public room.

use altegon_domain::RoomId;
use altegon_domain::validate::file_name;
use altegon_media::files::Files;
use altegon_projections::models::room_files::{self, RoomFileRow};
use altegon_projections::models::rooms;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::params::{RoomFileParam, RoomParam};
use crate::contracts::openapi::responses::{
    BadRequest, NotFound, NotOwner, StorageUnavailable, Unauthorized, UploadTooLarge,
};
use crate::error::Error;
use crate::state::AppState;
use crate::upload::with_file_part;

/// Room file routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/room/{room_id}/upload",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/room/{room_id}/files", delete(remove_all))
        .route("/room/{room_id}/files/{file_name}", get(details))
        .route("/room/{room_id}/files/{file_name}/download", get(download))
}

fn details_json(row: &RoomFileRow) -> Value {
    json!({
        "filename": row.file_name,
        "originalName": row.original_name,
        "size": row.size,
        "uploadDate": row.upload_date,
        "path": row.path,
    })
}

/// Share a file in a room (room owner)
#[utoipa::path(
    post,
    path = "/room/{roomId}/upload",
    tag = "room files",
    security(("bearer" = [])),
    params(RoomParam),
    request_body(content((inline(bodies::room_files::RoomFileForm) = "multipart/form-data"))),
    responses(
        (status = 200, description = "Stored as `documents/{roomId}/{roomId}_{name}`.",
            body = bodies::room_files::RoomFileUploadResponse, headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, description = "Only the room's owner (or an admin).", body = ErrorBody),
        (status = 404, description = "No such room.", body = ErrorBody),
        (status = 413, response = inline(UploadTooLarge)),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(room_id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse, Error> {
    let room_id: RoomId = parse_id("roomId", &room_id)?;
    let multipart = multipart
        .map_err(|_| Error::invalid("file", "send multipart/form-data with a `file` part"))?;
    let outcome = with_file_part(multipart, async |name, field| {
        Ok(Files {
            blobs: &state.blobs,
            bus: &state.bus,
            ctx: &ctx,
        }
        .upload_room_file(
            room_id,
            name,
            user.caller(),
            field,
            state.config.max_room_file_bytes,
        )
        .await?)
    })
    .await?;
    wait_until_visible(&state, outcome.position).await?;
    let Some(altegon_domain::DomainEvent::RoomFileUploaded(e)) = outcome.events.first() else {
        return Err(Error::Internal("upload recorded no event".into()));
    };
    Ok((
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "data": {
                "originalName": e.original_name,
                "filename": e.file_name,
                "size": e.size,
                "roomId": room_id.to_string(),
                "path": e.path,
            },
            "msg": "File uploaded successfully!",
        })),
    ))
}

/// The file, after checking the caller may read the room's files.
async fn readable_file(
    state: &AppState,
    user: &AuthUser,
    room_id: &str,
    name: &str,
) -> Result<RoomFileRow, Error> {
    let room_id: RoomId = parse_id("roomId", room_id)?;
    let name = file_name("filename", name)?;
    let room = rooms::by_id(state.read_pool(), &room_id.to_string())
        .await?
        .ok_or_else(|| Error::NotFound("room".into()))?;
    user.may_enter_room(&room)?;
    room_files::by_name(state.read_pool(), &room.id, &name)
        .await?
        .ok_or_else(|| Error::NotFound("file".into()))
}

/// Details of a room's file
#[utoipa::path(
    get,
    path = "/room/{roomId}/files/{filename}",
    tag = "room files",
    security(("bearer" = [])),
    params(RoomParam, RoomFileParam),
    responses(
        (status = 200, description = "Details.", body = bodies::room_files::RoomFileResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, description = "The room is private.", body = ErrorBody),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn details(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path((room_id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, Error> {
    let row = readable_file(&state, &user, &room_id, &name).await?;
    Ok(Json(json!({
        "success": true,
        "data": details_json(&row),
        "msg": "File retrieved successfully!",
    })))
}

/// Download a room's file
#[utoipa::path(
    get,
    path = "/room/{roomId}/files/{filename}/download",
    tag = "room files",
    security(("bearer" = [])),
    params(RoomParam, RoomFileParam),
    responses(
        (status = 200, description = "The bytes, with Content-Disposition naming the original file.",
            content_type = "application/octet-stream"),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, description = "The room is private.", body = ErrorBody),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn download(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path((room_id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, Error> {
    let row = readable_file(&state, &user, &room_id, &name).await?;
    let read = state.blobs.get(&row.path).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, read.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename*=UTF-8''{}",
                    percent_encode(&row.original_name)
                ),
            ),
        ],
        Body::from_stream(read.stream),
    ))
}

/// Delete every file of a room (room owner)
#[utoipa::path(
    delete,
    path = "/room/{roomId}/files",
    tag = "room files",
    security(("bearer" = [])),
    params(RoomParam),
    responses(
        (status = 200, description = "Deleted.", body = bodies::room_files::RoomFilesDeletedResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such room, or it has no files.", body = ErrorBody),
        (status = 503, response = inline(StorageUnavailable)),
    ),
)]
async fn remove_all(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(room_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let room_id: RoomId = parse_id("roomId", &room_id)?;
    let outcome = Files {
        blobs: &state.blobs,
        bus: &state.bus,
        ctx: &ctx,
    }
    .delete_room_files(room_id, user.caller())
    .await?;
    wait_until_visible(&state, outcome.position).await?;
    let deleted = outcome
        .events
        .iter()
        .map(|e| match e {
            altegon_domain::DomainEvent::RoomFilesDeleted(d) => d.file_names.len(),
            _ => 0,
        })
        .sum::<usize>();
    Ok((
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "data": { "roomId": room_id.to_string(), "deletedCount": deleted },
            "msg": "Files deleted successfully!",
        })),
    ))
}

/// RFC 5987 encoding for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
