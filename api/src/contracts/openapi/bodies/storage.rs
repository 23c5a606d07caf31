//! `/recordings/user/...` storage answers and the upload form.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

use crate::contracts::openapi::keywords::{self, ReadPermission};

#[derive(ToSchema)]
pub(crate) struct StorageWarning {
    #[schema(rename = "type", required = false, inline)]
    kind: WarningKind,
    #[schema(required = false)]
    message: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub(crate) enum WarningKind {
    Usage,
    LimitExceeded,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct StoredRecording {
    #[schema(required = false)]
    recording_id: String,
    #[schema(required = false, pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
    #[schema(required = false)]
    file_name: String,
    #[schema(required = false)]
    file_size: i64,
    #[schema(required = false)]
    uploaded_at: DateTime<Utc>,
    #[schema(required = false, format = "uri")]
    blob_url: String,
}

/// GB figures are GiB (1024^3 bytes) with two decimals. Warnings: 75% and 90% of the limit, and past it.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct StorageUsage {
    #[schema(required = false)]
    total_usage: u64,
    #[schema(
        rename = "totalUsageGB",
        required = false,
        pattern = "^[0-9]+\\.[0-9]{2}$"
    )]
    total_usage_gb: String,
    #[schema(required = false)]
    available_storage: u64,
    #[schema(rename = "availableStorageGB", required = false)]
    available_storage_gb: String,
    #[schema(required = false)]
    storage_limit: u64,
    #[schema(rename = "storageLimitGB", required = false)]
    storage_limit_gb: String,
    #[schema(required = false)]
    is_limit_exceeded: bool,
    #[schema(required = false)]
    exceed_amount: u64,
    #[schema(rename = "exceedAmountGB", required = false)]
    exceed_amount_gb: String,
    #[schema(required = false)]
    usage_percentage: u64,
    #[schema(required = false)]
    recordings_count: u64,
    #[schema(required = false)]
    warnings: Vec<StorageWarning>,
}

#[derive(ToSchema)]
pub(crate) struct StorageInfoResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false, inline)]
    data: StorageInfo,
}

#[derive(ToSchema)]
pub(crate) struct StorageInfo {
    #[serde(flatten)]
    usage: StorageUsage,
    #[schema(required = false)]
    recordings: Vec<StoredRecording>,
}

#[derive(ToSchema)]
pub(crate) struct UploadToBlobResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false, inline)]
    data: Uploaded,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct Uploaded {
    #[serde(flatten)]
    file: StoredRecording,
    #[schema(required = false)]
    storage_info: StorageUsage,
}

#[derive(ToSchema)]
pub(crate) struct StorageLimitResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false, inline)]
    data: StorageLimit,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct StorageLimit {
    #[schema(required = false, pattern = "^[0-9a-fA-F]{24}$")]
    user_id: String,
    #[schema(required = false)]
    storage_limit: u64,
    #[schema(rename = "storageLimitGB", required = false)]
    storage_limit_gb: String,
}

#[derive(ToSchema)]
pub(crate) struct DeleteRecordingResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false, inline)]
    data: UsageAfterDelete,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct UsageAfterDelete {
    #[schema(required = false)]
    total_usage: u64,
    #[schema(required = false)]
    available_storage: u64,
    #[schema(required = false)]
    recordings_count: u64,
}

#[derive(ToSchema)]
pub(crate) struct ExceededUsersResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false, inline)]
    data: Vec<ExceededUser>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct ExceededUser {
    #[schema(required = false, pattern = "^[0-9a-fA-F]{24}$")]
    user_id: String,
    #[schema(required = false)]
    total_usage: i64,
    #[schema(required = false)]
    storage_limit: i64,
    #[schema(required = false)]
    exceed_amount: i64,
    #[schema(required = false)]
    recordings_count: i64,
}

#[derive(ToSchema)]
pub(crate) struct SasUrlResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false, inline)]
    data: SasUrl,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct SasUrl {
    /// Read-only, one blob: an Azure SAS, or on the local backend a URL signed by this server (`/blobs/...`).
    #[schema(required = false, format = "uri")]
    sas_url: String,
    #[schema(required = false)]
    expires_at: DateTime<Utc>,
    #[schema(required = false)]
    expires_in_minutes: u64,
    #[schema(required = false, value_type = ReadPermission, inline)]
    permissions: String,
    #[schema(required = false)]
    recording_id: String,
    #[schema(required = false)]
    file_name: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct RecordingUploadForm {
    /// Optional; sent before `file`, it names the stored file.
    #[schema(required = false)]
    file_name: String,
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}
