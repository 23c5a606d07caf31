//! Parameters several routes share: the idempotency key of creates, the
//! read-your-writes position of reads, and the ids in paths.

#![allow(
    dead_code,
    reason = "the types describe what extractors read; nothing constructs them"
)]

use utoipa::IntoParams;

#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct IdempotencyKey {
    /// Makes a retried create return the first result (1-255 visible ASCII
    /// characters); the same key on a different request is a 409.
    #[param(
        rename = "Idempotency-Key",
        pattern = "^[!-~]{1,255}$",
        nullable = false
    )]
    key: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(crate) struct WaitForPosition {
    /// Wait until the read models have reached this log position.
    #[param(rename = "x-altegon-position", nullable = false)]
    position: Option<u64>,
}

// Path parameters, named as the routes spell them. The router reads them as
// strings and checks them itself (see `crate::routes::parse_id`).

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RoomParam {
    /// The room.
    #[param(rename = "roomId", pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct MeetingParam {
    /// The meeting.
    #[param(rename = "meetingId", pattern = "^[0-9a-fA-F]{24}$")]
    meeting_id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct SessionParam {
    /// The session.
    #[param(rename = "sessionId", pattern = "^[0-9a-fA-F]{24}$")]
    session_id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct StorageOwnerParam {
    /// The storage's owner.
    #[param(rename = "userId", pattern = "^[0-9a-fA-F]{24}$")]
    user_id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RecordingParam {
    /// The client's recording id.
    #[param(rename = "recordingId", pattern = "^[A-Za-z0-9_-]{1,64}$")]
    recording_id: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RecordingFileParam {
    /// The file's name: one path segment, no control characters, at most 255 bytes.
    #[param(
        rename = "fileName",
        max_length = 255,
        pattern = r"^(?!\.\.?$)(?=.*\S)[^/\\\x00-\x1f\x7f-\x9f]+$"
    )]
    file_name: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct RoomFileParam {
    /// Stored name, `{roomId}_{originalName}`.
    #[param(
        rename = "filename",
        max_length = 255,
        pattern = r"^(?!\.\.?$)(?=.*\S)[^/\\\x00-\x1f\x7f-\x9f]+$"
    )]
    file_name: String,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct WebhookParam {
    /// The webhook endpoint.
    #[param(rename = "webhookId", pattern = "^[0-9a-fA-F]{24}$")]
    webhook_id: String,
}
