//! The closed set of events the log may hold, each with a schema version.
//!
//! In the log an event is stored as its type name, its schema version and its
//! fields as JSON (without the `type` tag). [`DomainEvent::encode`] produces that
//! form; [`DomainEvent::decode`] reads it back, upcasting older versions first, so
//! that every version ever written still loads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{MeetingId, ObjectId, RoomId, SessionId, UserId, WebhookId};

/// What an account may do beyond its own resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A regular account.
    #[default]
    User,
    /// May act on every resource and use admin routes.
    Admin,
}

/// A user account was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserRegistered {
    /// The new account.
    pub user_id: UserId,
    /// As entered (trimmed); uniqueness is on the lowercased form.
    pub email: String,
    /// First name.
    pub f_name: String,
    /// Last name.
    pub l_name: String,
    /// Contact number.
    pub phone_number: String,
    /// Country of residence.
    pub country: String,
    /// Argon2id PHC string; the password itself never enters the log.
    pub password_hash: String,
    /// The account's role.
    pub role: Role,
    /// When the account was created.
    pub registered_at: DateTime<Utc>,
}

/// An account was given a role (e.g. the first administrator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserRoleGranted {
    /// The account.
    pub user_id: UserId,
    /// The role it now holds.
    pub role: Role,
    /// When.
    pub granted_at: DateTime<Utc>,
}

/// One access token of the account was revoked (logout, or an administrator):
/// it is refused until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenRevoked {
    /// The token's holder.
    pub user_id: UserId,
    /// The token's id (`jti`).
    pub token_id: String,
    /// When the token expires anyway; nothing need be remembered after that.
    pub expires_at: DateTime<Utc>,
    /// Who revoked it: the holder (logout) or an administrator.
    pub revoked_by: UserId,
    /// When.
    pub revoked_at: DateTime<Utc>,
}

/// Every access token of the account issued before `issued_before` was revoked
/// by an administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserTokensRevoked {
    /// The account.
    pub user_id: UserId,
    /// Tokens issued before this are refused.
    pub issued_before: DateTime<Utc>,
    /// The administrator.
    pub revoked_by: UserId,
    /// When.
    pub revoked_at: DateTime<Utc>,
}

/// An email address was reserved for an account (stream `user-email-{sha256}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmailReserved {
    /// The account the address belongs to.
    pub user_id: UserId,
    /// When it was reserved.
    pub reserved_at: DateTime<Utc>,
}

/// A reservation whose account was never created was given up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmailReservationReleased {
    /// The account that had reserved the address and never registered.
    pub user_id: UserId,
    /// When it was released.
    pub released_at: DateTime<Utc>,
}

/// A room was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomCreated {
    /// The new room.
    pub room_id: RoomId,
    /// The account that created it.
    pub owner_id: UserId,
    /// Display name.
    pub name: String,
    /// Kind of room, e.g. `meeting` or `conference`.
    pub room_type: String,
    /// Upper bound on participants, when set.
    pub max_participants: Option<u32>,
    /// Private rooms are not listed to others.
    pub is_private: bool,
    /// Peer-to-peer media instead of the SFU.
    pub p2p: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The room's host turned recording on or off for the room (the realtime
/// `recording` message); the recording's own events follow from the recorder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomRecordingToggled {
    /// The room.
    pub room_id: RoomId,
    /// Whether the room is being recorded from now on.
    pub recording: bool,
    /// The host who toggled it.
    pub toggled_by: UserId,
    /// When.
    pub toggled_at: DateTime<Utc>,
}

/// A participant's media stream went live in the room through the SFU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomStreamPublished {
    /// The room.
    pub room_id: RoomId,
    /// The stream, as the room's sockets name it.
    pub stream_id: String,
    /// The publishing account.
    pub owner_id: UserId,
    /// When its media connection came up.
    pub published_at: DateTime<Utc>,
}

/// A stream's subscriber count changed (a subscription started or ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomStreamSubscribersCounted {
    /// The room.
    pub room_id: RoomId,
    /// The stream.
    pub stream_id: String,
    /// Subscribers from now on.
    pub subscribers: u32,
    /// When.
    pub counted_at: DateTime<Utc>,
}

/// A stream ended: unpublished, its publisher left, or its connection was lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomStreamUnpublished {
    /// The room.
    pub room_id: RoomId,
    /// The stream.
    pub stream_id: String,
    /// When.
    pub unpublished_at: DateTime<Utc>,
}

/// A meeting was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct MeetingCreated {
    /// The new meeting.
    pub meeting_id: MeetingId,
    /// Its title.
    pub title: String,
    /// The hosting account.
    pub host_id: UserId,
    /// Whether live transcription is on.
    pub transcript_enabled: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Some of a meeting's details changed; absent fields are unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct MeetingUpdated {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// Who changed it.
    pub updated_by: UserId,
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New transcript setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_enabled: Option<bool>,
    /// New summary flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary_generated: Option<bool>,
    /// The room the meeting takes place in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<RoomId>,
    /// A recording to add to the meeting's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// When it changed.
    pub updated_at: DateTime<Utc>,
}

/// A line of a meeting's transcript arrived (stream `transcript-{meetingId}`). The
/// message is stored exactly as the client sent it: ciphertext when encrypted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct TranscriptLineAdded {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// The line's own id.
    pub line_id: ObjectId,
    /// Who spoke.
    pub user_name: String,
    /// The text, as sent.
    pub message: String,
    /// Whether `message` is ciphertext.
    pub is_encrypted: bool,
    /// The account that sent it.
    pub sent_by: Option<UserId>,
    /// When it arrived.
    pub added_at: DateTime<Utc>,
}

/// A chat message was posted in a meeting (stream `chat-{meetingId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChatMessagePosted {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// The message's id.
    pub message_id: ObjectId,
    /// The sender's display name.
    pub user_name: String,
    /// The sender's account, when known.
    pub sent_by: Option<UserId>,
    /// The text.
    pub message: String,
    /// When it was posted.
    pub posted_at: DateTime<Utc>,
}

/// Meeting notes were generated; the summary is stored encrypted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct MeetingSummaryGenerated {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// The notes (JSON), encrypted.
    pub summary: String,
    /// Which summarizer wrote them.
    pub summarizer: String,
    /// How many transcript lines they cover.
    pub lines: u32,
    /// Who asked.
    pub generated_by: UserId,
    /// When.
    pub generated_at: DateTime<Utc>,
}

/// An `Idempotency-Key` was bound to the stream its command acts on (stream
/// `idempotency-{sha256(actor, key)}`), so a retried create reuses the same id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyKeyClaimed {
    /// The stream the keyed command writes to.
    pub target_stream: String,
    /// When the key was first seen.
    pub claimed_at: DateTime<Utc>,
}

/// Recording of a room's stream began (stream `recording-{recordingId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingStarted {
    /// The client's recording id, e.g. `1756364334628_738386`.
    pub recording_id: String,
    /// The record's own 24-hex id (`_id` in listings).
    pub record_id: ObjectId,
    /// The recorded room.
    pub room_id: RoomId,
    /// The room's owner, who sees the recording in listings.
    pub room_owner_id: UserId,
    /// The meeting the recording belongs to, when one is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<MeetingId>,
    /// Display name of who asked for the recording.
    pub user_name: String,
    /// The recorded media stream.
    pub stream_id: String,
    /// Kind of media, e.g. `video`.
    pub video_type: String,
    /// The status the client reported at start, e.g. `pending`.
    pub status: String,
    /// When recording began, as the client reported it.
    pub start_time: DateTime<Utc>,
    /// The account that started it.
    pub started_by: UserId,
    /// When the command was accepted.
    pub started_at: DateTime<Utc>,
}

/// Recording of a stream ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingStopped {
    /// The client's recording id.
    pub recording_id: String,
    /// The recorded media stream.
    pub stream_id: String,
    /// When recording ended, as the client reported it.
    pub end_time: DateTime<Utc>,
    /// The account that stopped it.
    pub stopped_by: UserId,
    /// When the command was accepted.
    pub stopped_at: DateTime<Utc>,
}

/// The recording server opened a file for one track of a recording (stream
/// `recording-{recordingId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingTrackOpened {
    /// The client's recording id.
    pub recording_id: String,
    /// The track's id within the recording, e.g. a video element's id.
    pub track_id: String,
    /// The room the ingesting token was issued for.
    pub room_id: RoomId,
    /// The token's holder.
    pub opened_by: UserId,
    /// When.
    pub opened_at: DateTime<Utc>,
}

/// Chunks of a track reached the recording server's disk. Recorded at most every
/// few seconds per track, not per chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingChunksWritten {
    /// The client's recording id.
    pub recording_id: String,
    /// The track.
    pub track_id: String,
    /// Bytes of the track on disk so far.
    pub bytes_total: u64,
    /// Chunks received so far.
    pub chunks_total: u64,
    /// When.
    pub written_at: DateTime<Utc>,
}

/// A track's file is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingTrackClosed {
    /// The client's recording id.
    pub recording_id: String,
    /// The track.
    pub track_id: String,
    /// The file's size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// When.
    pub closed_at: DateTime<Utc>,
}

/// Processing (scale every track to one size and concatenate them into one MP4)
/// began, or began again after an interruption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingProcessingStarted {
    /// The client's recording id.
    pub recording_id: String,
    /// The recorded room.
    pub room_id: RoomId,
    /// Whose storage receives the result.
    pub room_owner_id: UserId,
    /// 1 for the first run, counting up with each retry or resumption.
    pub attempt: u32,
    /// The tracks, in the order they are concatenated.
    pub tracks: Vec<String>,
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// Who asked for the processing.
    pub started_by: UserId,
    /// Whether this run picks up an interrupted one (server restart).
    pub resumed: bool,
    /// When.
    pub started_at: DateTime<Utc>,
}

/// How far processing has come, from ffmpeg's progress output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingProcessingProgressed {
    /// The client's recording id.
    pub recording_id: String,
    /// The run it belongs to.
    pub attempt: u32,
    /// 0 to 100.
    pub percent: u8,
    /// When.
    pub reported_at: DateTime<Utc>,
}

/// Processing produced the recording's MP4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingProcessed {
    /// The client's recording id.
    pub recording_id: String,
    /// The run that produced it.
    pub attempt: u32,
    /// The name it is stored under in the owner's storage.
    pub file_name: String,
    /// Length of the video in milliseconds.
    pub duration_ms: u64,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// When.
    pub processed_at: DateTime<Utc>,
}

/// Processing failed; a new `process-recording` may try again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingProcessingFailed {
    /// The client's recording id.
    pub recording_id: String,
    /// The run that failed.
    pub attempt: u32,
    /// Why, in ffmpeg's words where it gave some.
    pub reason: String,
    /// When.
    pub failed_at: DateTime<Utc>,
}

/// A recording's file was stored in a user's blob storage (stream `storage-{userId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingFileUploaded {
    /// Whose storage holds it.
    pub user_id: UserId,
    /// The recorded room.
    pub room_id: RoomId,
    /// The client's recording id.
    pub recording_id: String,
    /// The file's name as clients address it.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: u64,
    /// Where the bytes are in the blob store.
    pub blob_path: String,
    /// The account that uploaded it.
    pub uploaded_by: UserId,
    /// When it was stored.
    pub uploaded_at: DateTime<Utc>,
}

/// A recording's file was removed from a user's blob storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RecordingFileDeleted {
    /// Whose storage held it.
    pub user_id: UserId,
    /// The recorded room.
    pub room_id: RoomId,
    /// The client's recording id.
    pub recording_id: String,
    /// The file's name.
    pub file_name: String,
    /// The size it freed, in bytes.
    pub file_size: u64,
    /// Where the bytes were in the blob store.
    pub blob_path: String,
    /// The account that deleted it.
    pub deleted_by: UserId,
    /// When.
    pub deleted_at: DateTime<Utc>,
}

/// An administrator set a user's storage limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageLimitChanged {
    /// Whose limit.
    pub user_id: UserId,
    /// The new limit in bytes.
    pub storage_limit: u64,
    /// The administrator.
    pub changed_by: UserId,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// A file was shared in a room (stream `roomfiles-{roomId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomFileUploaded {
    /// The room.
    pub room_id: RoomId,
    /// The stored name, `{roomId}_{originalName}`.
    pub file_name: String,
    /// The name the uploader's file had.
    pub original_name: String,
    /// Size in bytes.
    pub size: u64,
    /// Where the bytes are: `documents/{roomId}/{fileName}`.
    pub path: String,
    /// The uploading account.
    pub uploaded_by: UserId,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}

/// Every file of a room was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RoomFilesDeleted {
    /// The room.
    pub room_id: RoomId,
    /// The stored names removed.
    pub file_names: Vec<String>,
    /// The account that removed them.
    pub deleted_by: UserId,
    /// When.
    pub deleted_at: DateTime<Utc>,
}

/// Where a session or a participant is, and how that was learnt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// City name, or `Unknown`.
    pub city: String,
    /// Region (state, province), or `Unknown`.
    pub region: String,
    /// ISO 3166-1 alpha-2 code, or `Unknown`.
    pub country: String,
    /// Country name, or `Unknown`.
    pub country_name: String,
    /// `geoip` (the configured MaxMind database), `declared` (the client said so) or
    /// `unknown`.
    pub source: String,
}

/// A live session of a room began with its first participant (stream
/// `session-{sessionId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionStarted {
    /// The session.
    pub session_id: SessionId,
    /// The room it is an occurrence of.
    pub room_id: RoomId,
    /// The room's owner, whose reports count it.
    pub host_id: UserId,
    /// `meeting`, `conference`, `webinar`, `live`, ...
    pub session_type: String,
    /// The host's email domain, or the configured domain of the calling app.
    pub domain: String,
    /// Where the session is: its first participant's location.
    pub location: Location,
    /// Who started it.
    pub started_by: UserId,
    /// When.
    pub started_at: DateTime<Utc>,
}

/// Someone joined a live session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantJoined {
    /// The session.
    pub session_id: SessionId,
    /// The participant's account.
    pub user_id: UserId,
    /// Display name.
    pub name: String,
    /// Where they joined from.
    pub location: Location,
    /// When.
    pub joined_at: DateTime<Utc>,
}

/// Someone left a live session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantLeft {
    /// The session.
    pub session_id: SessionId,
    /// The participant's account.
    pub user_id: UserId,
    /// When.
    pub left_at: DateTime<Utc>,
}

/// A session ended: its last participant left, or the host ended it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionEnded {
    /// The session.
    pub session_id: SessionId,
    /// `empty` (the last participant left) or `ended` (by the host or an admin).
    pub reason: String,
    /// Who ended it, when someone did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<UserId>,
    /// When.
    pub ended_at: DateTime<Utc>,
}

/// What came of an audited request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    /// Done as asked.
    Allowed,
    /// Refused: no valid credentials, or not allowed.
    Denied,
    /// Accepted but failed (bad input, conflict, unavailable).
    Failed,
}

/// A request was audited (stream `audit-{yyyy-mm-dd}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditRecorded {
    /// The signed-in caller, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<UserId>,
    /// What was asked: method and route, e.g. `DELETE /room/{roomId}/files`.
    pub action: String,
    /// The resource: the request's path.
    pub resource: String,
    /// What came of it.
    pub outcome: AuditOutcome,
    /// The HTTP status answered.
    pub status: u16,
    /// The client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The request's id.
    pub request_id: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// How full a storage account is, in the steps users are warned at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StorageWarningLevel {
    /// At least 75% of the limit is used.
    Usage75,
    /// At least 90% of the limit is used.
    Usage90,
    /// Usage is past the limit.
    Exceeded,
}

/// A storage account's usage rose past a warning level (stream `storage-{userId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageWarningLevelReached {
    /// Whose storage.
    pub user_id: UserId,
    /// The level now reached.
    pub level: StorageWarningLevel,
    /// Bytes stored.
    pub total_usage: u64,
    /// Bytes allowed.
    pub storage_limit: u64,
    /// When.
    pub reached_at: DateTime<Utc>,
}

/// Whose events a webhook endpoint receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum WebhookScope {
    /// Events about its owner's rooms, meetings, recordings and storage.
    #[default]
    User,
    /// Events about everyone's (registered by an administrator for an app).
    App,
}

/// A webhook endpoint was registered (stream `webhook-{endpointId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointRegistered {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// The account that registered it and may change it.
    pub owner_id: UserId,
    /// Whose events it receives.
    pub scope: WebhookScope,
    /// Where deliveries are posted.
    pub url: String,
    /// The webhook event types it receives, e.g. `session.started`, or `*`.
    pub event_types: Vec<String>,
    /// The owner's note.
    #[serde(default)]
    pub description: String,
    /// The signing secret, sealed with the server's webhook key (never in clear).
    pub secret: String,
    /// When.
    pub registered_at: DateTime<Utc>,
}

/// Some of an endpoint's settings changed; absent fields are unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointUpdated {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// New delivery URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New event types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// New note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who changed it.
    pub updated_by: UserId,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// An endpoint stopped receiving deliveries: its owner paused it, or its
/// deliveries kept failing for the whole retry window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointDisabled {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// Why, in words the owner can act on.
    pub reason: String,
    /// Who disabled it; absent when the server did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_by: Option<UserId>,
    /// When.
    pub disabled_at: DateTime<Utc>,
}

/// A disabled endpoint receives deliveries again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointEnabled {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// Who enabled it.
    pub enabled_by: UserId,
    /// When.
    pub enabled_at: DateTime<Utc>,
}

/// An endpoint was removed; nothing more is delivered to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpointDeleted {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// Who removed it.
    pub deleted_by: UserId,
    /// When.
    pub deleted_at: DateTime<Utc>,
}

/// Every event the log may hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[allow(missing_docs)]
pub enum DomainEvent {
    UserRegistered(UserRegistered),
    UserRoleGranted(UserRoleGranted),
    AccessTokenRevoked(AccessTokenRevoked),
    UserTokensRevoked(UserTokensRevoked),
    EmailReserved(EmailReserved),
    EmailReservationReleased(EmailReservationReleased),
    RoomCreated(RoomCreated),
    RoomRecordingToggled(RoomRecordingToggled),
    RoomStreamPublished(RoomStreamPublished),
    RoomStreamSubscribersCounted(RoomStreamSubscribersCounted),
    RoomStreamUnpublished(RoomStreamUnpublished),
    MeetingCreated(MeetingCreated),
    MeetingUpdated(MeetingUpdated),
    MeetingSummaryGenerated(MeetingSummaryGenerated),
    TranscriptLineAdded(TranscriptLineAdded),
    ChatMessagePosted(ChatMessagePosted),
    IdempotencyKeyClaimed(IdempotencyKeyClaimed),
    RecordingStarted(RecordingStarted),
    RecordingStopped(RecordingStopped),
    RecordingTrackOpened(RecordingTrackOpened),
    RecordingChunksWritten(RecordingChunksWritten),
    RecordingTrackClosed(RecordingTrackClosed),
    RecordingProcessingStarted(RecordingProcessingStarted),
    RecordingProcessingProgressed(RecordingProcessingProgressed),
    RecordingProcessed(RecordingProcessed),
    RecordingProcessingFailed(RecordingProcessingFailed),
    RecordingFileUploaded(RecordingFileUploaded),
    RecordingFileDeleted(RecordingFileDeleted),
    StorageLimitChanged(StorageLimitChanged),
    RoomFileUploaded(RoomFileUploaded),
    RoomFilesDeleted(RoomFilesDeleted),
    SessionStarted(SessionStarted),
    ParticipantJoined(ParticipantJoined),
    ParticipantLeft(ParticipantLeft),
    SessionEnded(SessionEnded),
    AuditRecorded(AuditRecorded),
    StorageWarningLevelReached(StorageWarningLevelReached),
    WebhookEndpointRegistered(WebhookEndpointRegistered),
    WebhookEndpointUpdated(WebhookEndpointUpdated),
    WebhookEndpointDisabled(WebhookEndpointDisabled),
    WebhookEndpointEnabled(WebhookEndpointEnabled),
    WebhookEndpointDeleted(WebhookEndpointDeleted),
}

/// An event in its stored form.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    /// The type name, e.g. `MeetingCreated`.
    pub event_type: &'static str,
    /// The schema version the data is written in.
    pub schema_version: u32,
    /// The event's fields.
    pub data: Value,
}

/// Why stored data could not be read as an event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not a type this build knows.
    #[error("unknown event type {0}")]
    UnknownType(String),
    /// Written by a newer build than this one.
    #[error("{event_type} v{version} is newer than the supported v{supported}")]
    FutureVersion {
        /// The type name.
        event_type: String,
        /// The stored version.
        version: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The fields do not match the type.
    #[error("malformed {event_type}: {source}")]
    Malformed {
        /// The type name.
        event_type: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

/// Every event type with its current schema version: the catalogue that generated
/// schemas and golden fixtures are checked against.
pub const EVENT_TYPES: &[(&str, u32)] = &[
    ("UserRegistered", 1),
    ("UserRoleGranted", 1),
    ("AccessTokenRevoked", 1),
    ("UserTokensRevoked", 1),
    ("EmailReserved", 1),
    ("EmailReservationReleased", 1),
    ("RoomCreated", 1),
    ("RoomRecordingToggled", 1),
    ("RoomStreamPublished", 1),
    ("RoomStreamSubscribersCounted", 1),
    ("RoomStreamUnpublished", 1),
    ("MeetingCreated", 1),
    ("MeetingUpdated", 1),
    ("MeetingSummaryGenerated", 1),
    ("TranscriptLineAdded", 1),
    ("ChatMessagePosted", 1),
    ("IdempotencyKeyClaimed", 1),
    ("RecordingStarted", 1),
    ("RecordingStopped", 1),
    ("RecordingTrackOpened", 1),
    ("RecordingChunksWritten", 1),
    ("RecordingTrackClosed", 1),
    ("RecordingProcessingStarted", 1),
    ("RecordingProcessingProgressed", 1),
    ("RecordingProcessed", 1),
    ("RecordingProcessingFailed", 1),
    ("RecordingFileUploaded", 1),
    ("RecordingFileDeleted", 1),
    ("StorageLimitChanged", 1),
    ("RoomFileUploaded", 1),
    ("RoomFilesDeleted", 1),
    ("SessionStarted", 1),
    ("ParticipantJoined", 1),
    ("ParticipantLeft", 1),
    ("SessionEnded", 1),
    ("AuditRecorded", 1),
    ("StorageWarningLevelReached", 1),
    ("WebhookEndpointRegistered", 1),
    ("WebhookEndpointUpdated", 1),
    ("WebhookEndpointDisabled", 1),
    ("WebhookEndpointEnabled", 1),
    ("WebhookEndpointDeleted", 1),
];

/// The current schema version of a type, if the type is known.
pub fn current_version(event_type: &str) -> Option<u32> {
    EVENT_TYPES
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, v)| *v)
}

/// Rewrites stored data of one type from one version to the next.
type Upcaster = fn(Value) -> Value;

/// `(type, from version, upcaster)`: each change to an event's shape adds a row
/// here and bumps the type's entry in [`EVENT_TYPES`]. No event has changed shape
/// since v1 yet.
const UPCASTERS: &[(&str, u32, Upcaster)] = &[];

/// Rewrites `data` of `event_type` from `version` to `version + 1`.
fn upcast_once(event_type: &str, version: u32, data: Value) -> Value {
    UPCASTERS
        .iter()
        .find(|(t, v, _)| *t == event_type && *v == version)
        .map_or(data.clone(), |(_, _, up)| up(data))
}

impl DomainEvent {
    /// The type name stored in the log.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::UserRegistered(_) => "UserRegistered",
            Self::UserRoleGranted(_) => "UserRoleGranted",
            Self::AccessTokenRevoked(_) => "AccessTokenRevoked",
            Self::UserTokensRevoked(_) => "UserTokensRevoked",
            Self::EmailReserved(_) => "EmailReserved",
            Self::EmailReservationReleased(_) => "EmailReservationReleased",
            Self::RoomCreated(_) => "RoomCreated",
            Self::RoomRecordingToggled(_) => "RoomRecordingToggled",
            Self::RoomStreamPublished(_) => "RoomStreamPublished",
            Self::RoomStreamSubscribersCounted(_) => "RoomStreamSubscribersCounted",
            Self::RoomStreamUnpublished(_) => "RoomStreamUnpublished",
            Self::MeetingCreated(_) => "MeetingCreated",
            Self::MeetingUpdated(_) => "MeetingUpdated",
            Self::MeetingSummaryGenerated(_) => "MeetingSummaryGenerated",
            Self::TranscriptLineAdded(_) => "TranscriptLineAdded",
            Self::ChatMessagePosted(_) => "ChatMessagePosted",
            Self::IdempotencyKeyClaimed(_) => "IdempotencyKeyClaimed",
            Self::RecordingStarted(_) => "RecordingStarted",
            Self::RecordingStopped(_) => "RecordingStopped",
            Self::RecordingTrackOpened(_) => "RecordingTrackOpened",
            Self::RecordingChunksWritten(_) => "RecordingChunksWritten",
            Self::RecordingTrackClosed(_) => "RecordingTrackClosed",
            Self::RecordingProcessingStarted(_) => "RecordingProcessingStarted",
            Self::RecordingProcessingProgressed(_) => "RecordingProcessingProgressed",
            Self::RecordingProcessed(_) => "RecordingProcessed",
            Self::RecordingProcessingFailed(_) => "RecordingProcessingFailed",
            Self::RecordingFileUploaded(_) => "RecordingFileUploaded",
            Self::RecordingFileDeleted(_) => "RecordingFileDeleted",
            Self::StorageLimitChanged(_) => "StorageLimitChanged",
            Self::RoomFileUploaded(_) => "RoomFileUploaded",
            Self::RoomFilesDeleted(_) => "RoomFilesDeleted",
            Self::SessionStarted(_) => "SessionStarted",
            Self::ParticipantJoined(_) => "ParticipantJoined",
            Self::ParticipantLeft(_) => "ParticipantLeft",
            Self::SessionEnded(_) => "SessionEnded",
            Self::AuditRecorded(_) => "AuditRecorded",
            Self::StorageWarningLevelReached(_) => "StorageWarningLevelReached",
            Self::WebhookEndpointRegistered(_) => "WebhookEndpointRegistered",
            Self::WebhookEndpointUpdated(_) => "WebhookEndpointUpdated",
            Self::WebhookEndpointDisabled(_) => "WebhookEndpointDisabled",
            Self::WebhookEndpointEnabled(_) => "WebhookEndpointEnabled",
            Self::WebhookEndpointDeleted(_) => "WebhookEndpointDeleted",
        }
    }

    /// The schema version this build writes for the event's type.
    pub fn schema_version(&self) -> u32 {
        current_version(self.event_type()).unwrap_or(1)
    }

    /// The stored form: type, version and fields without the tag.
    pub fn encode(&self) -> EncodedEvent {
        let mut data = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut data {
            map.remove("type");
        }
        EncodedEvent {
            event_type: self.event_type(),
            schema_version: self.schema_version(),
            data,
        }
    }

    /// Reads a stored event, upcasting it to the current version first.
    pub fn decode(event_type: &str, schema_version: u32, data: Value) -> Result<Self, DecodeError> {
        let supported = current_version(event_type)
            .ok_or_else(|| DecodeError::UnknownType(event_type.to_owned()))?;
        if schema_version > supported {
            return Err(DecodeError::FutureVersion {
                event_type: event_type.to_owned(),
                version: schema_version,
                supported,
            });
        }
        let mut data = data;
        for version in schema_version.max(1)..supported {
            data = upcast_once(event_type, version, data);
        }
        let mut tagged = match data {
            Value::Object(map) => map,
            other => {
                let mut map = serde_json::Map::new();
                map.insert("value".into(), other);
                map
            }
        };
        tagged.insert("type".into(), Value::String(event_type.to_owned()));
        serde_json::from_value(Value::Object(tagged)).map_err(|source| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn meeting_created() -> DomainEvent {
        DomainEvent::MeetingCreated(MeetingCreated {
            meeting_id: "68ee4b39b22d6134386fc5dc".parse().unwrap(),
            title: "dsa".into(),
            host_id: "68de7a9d8f40ff41c940c7fb".parse().unwrap(),
            transcript_enabled: false,
            created_at: Utc.with_ymd_and_hms(2025, 10, 14, 13, 8, 9).unwrap(),
        })
    }

    #[test]
    fn encoding_drops_the_tag_and_decoding_restores_the_event() {
        let event = meeting_created();
        let encoded = event.encode();
        assert_eq!(encoded.event_type, "MeetingCreated");
        assert_eq!(encoded.schema_version, 1);
        assert!(encoded.data.get("type").is_none());
        assert_eq!(encoded.data["hostId"], "68de7a9d8f40ff41c940c7fb");
        let back = DomainEvent::decode("MeetingCreated", 1, encoded.data).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn every_variant_is_in_the_catalogue() {
        assert_eq!(current_version(meeting_created().event_type()), Some(1));
        let names: Vec<_> = EVENT_TYPES.iter().map(|(n, _)| *n).collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), names.len());
    }

    #[test]
    fn unknown_types_and_future_versions_are_refused() {
        assert!(matches!(
            DomainEvent::decode("Nope", 1, serde_json::json!({})),
            Err(DecodeError::UnknownType(_))
        ));
        assert!(matches!(
            DomainEvent::decode("MeetingCreated", 9, meeting_created().encode().data),
            Err(DecodeError::FutureVersion { version: 9, .. })
        ));
    }

    #[test]
    fn malformed_data_is_reported_not_panicked() {
        let err =
            DomainEvent::decode("MeetingCreated", 1, serde_json::json!({"title": 3})).unwrap_err();
        assert!(matches!(err, DecodeError::Malformed { .. }));
    }
}
