//! `/room/{roomId}/upload` and `/room/{roomId}/files...`.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

use crate::contracts::openapi::keywords;

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct RoomFile {
    #[schema(rename = "filename", required = false)]
    file_name: String,
    #[schema(required = false)]
    original_name: String,
    #[schema(required = false)]
    size: i64,
    #[schema(required = false)]
    upload_date: DateTime<Utc>,
    #[schema(required = false)]
    path: String,
}

#[derive(ToSchema)]
pub(crate) struct RoomFileUploadResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false, inline)]
    data: UploadedRoomFile,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct UploadedRoomFile {
    #[schema(required = false)]
    original_name: String,
    /// `{roomId}_{originalName}`
    #[schema(rename = "filename", required = false)]
    file_name: String,
    #[schema(required = false)]
    size: i64,
    #[schema(required = false, pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
    /// `documents/{roomId}/{filename}`
    #[schema(required = false)]
    path: String,
}

#[derive(ToSchema)]
pub(crate) struct RoomFileResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false)]
    data: RoomFile,
}

#[derive(ToSchema)]
pub(crate) struct RoomFilesDeletedResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false, inline)]
    data: RoomFilesDeleted,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct RoomFilesDeleted {
    #[schema(required = false, pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
    #[schema(required = false)]
    deleted_count: u64,
}

#[derive(ToSchema)]
pub(crate) struct RoomFileForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}
