//! Recording files in users' storage, and storage limits. The bytes are stored
//! before these run (see the media crate); these record what was stored.

use altegon_domain::meeting::Caller;
use altegon_domain::room::Room;
use altegon_domain::room_files::{RoomFiles, RoomFilesCommand};
use altegon_domain::storage::{StorageAccount, StorageCommand, StorageState};
use altegon_domain::{RoomId, UserId};
use chrono::Utc;

use crate::CommandContext;
use crate::pipeline::{CommandBus, CommandError, Outcome};

/// A recording file whose bytes are in the blob store.
#[derive(Debug, Clone)]
pub struct RecordingFile {
    /// Whose storage.
    pub user_id: UserId,
    /// The recorded room.
    pub room_id: RoomId,
    /// The client's recording id.
    pub recording_id: String,
    /// The file's name.
    pub file_name: String,
}

/// The account's storage as its stream says.
pub async fn storage_state(
    bus: &CommandBus,
    user_id: UserId,
) -> Result<StorageState, CommandError> {
    bus.state::<StorageAccount>(user_id).await
}

/// Where an upload's bytes are and how many there are.
#[derive(Debug, Clone)]
pub struct StoredBytes {
    /// Size in bytes, as measured while storing.
    pub size: u64,
    /// Path in the blob store.
    pub blob_path: String,
}

/// The storage limit rules in force.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// The limit of users an administrator set none for.
    pub default_limit: u64,
    /// Refuse uploads past the limit instead of flagging them.
    pub enforce: bool,
}

/// Records an uploaded recording file.
pub async fn record_upload(
    bus: &CommandBus,
    ctx: &CommandContext,
    file: RecordingFile,
    stored: StoredBytes,
    quota: Quota,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = StorageCommand::RecordUpload {
        user_id: file.user_id,
        room_id: file.room_id,
        recording_id: file.recording_id,
        file_name: file.file_name,
        file_size: stored.size,
        blob_path: stored.blob_path,
        default_limit: quota.default_limit,
        enforce_limit: quota.enforce,
        caller,
        now: Utc::now(),
    };
    bus.execute::<StorageAccount>(ctx, file.user_id, &command)
        .await
}

/// Records that a recording file is deleted.
pub async fn delete_file(
    bus: &CommandBus,
    ctx: &CommandContext,
    file: RecordingFile,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = StorageCommand::DeleteFile {
        user_id: file.user_id,
        room_id: file.room_id,
        recording_id: file.recording_id,
        file_name: file.file_name,
        caller,
        now: Utc::now(),
    };
    bus.execute::<StorageAccount>(ctx, file.user_id, &command)
        .await
}

/// Sets a user's storage limit.
pub async fn set_limit(
    bus: &CommandBus,
    ctx: &CommandContext,
    user_id: UserId,
    new_limit: u64,
    default_limit: u64,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = StorageCommand::SetLimit {
        user_id,
        new_limit,
        default_limit,
        caller,
        now: Utc::now(),
    };
    bus.execute::<StorageAccount>(ctx, user_id, &command).await
}

/// The owner of a room per its stream, `None` when there is no such room.
pub async fn room_owner(bus: &CommandBus, room_id: RoomId) -> Result<Option<UserId>, CommandError> {
    Ok(bus
        .state::<Room>(room_id)
        .await?
        .created
        .map(|r| r.owner_id))
}

/// Records a file shared in a room.
pub async fn record_room_file(
    bus: &CommandBus,
    ctx: &CommandContext,
    room_id: RoomId,
    original_name: String,
    size: u64,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = RoomFilesCommand::RecordUpload {
        room_id,
        room_owner_id: room_owner(bus, room_id).await?,
        original_name,
        size,
        caller,
        now: Utc::now(),
    };
    bus.execute::<RoomFiles>(ctx, room_id, &command).await
}

/// Records that every file of a room is deleted.
pub async fn delete_room_files(
    bus: &CommandBus,
    ctx: &CommandContext,
    room_id: RoomId,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = RoomFilesCommand::DeleteAll {
        room_id,
        room_owner_id: room_owner(bus, room_id).await?,
        caller,
        now: Utc::now(),
    };
    bus.execute::<RoomFiles>(ctx, room_id, &command).await
}
