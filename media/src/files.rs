//! Recording files and room files: the bytes go to the blob store first, then the
//! event that records them is appended. A refused or failed record removes the
//! bytes it had stored; a delete records the event first, so a failed blob
//! delete leaves an orphan blob (logged), never an event pointing at nothing.

use altegon_commands::handlers::storage::{self, RecordingFile};
use altegon_commands::{CommandBus, CommandContext, CommandError, Outcome};
use altegon_domain::meeting::Caller;
use altegon_domain::room_files::{RoomFiles, RoomFilesCommand, room_folder, stored_name};
use altegon_domain::storage::{StorageAccount, StorageCommand};
use altegon_domain::{Aggregate, DomainError, DomainEvent, RoomId};
use bytes::Bytes;
use chrono::Utc;
use futures::Stream;

use crate::blob::{BlobError, BlobStore};

/// Size rules for uploads.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest single upload, in bytes (413 past it).
    pub max_upload_bytes: u64,
    /// A user's storage limit when an administrator set none.
    pub default_storage_limit: u64,
    /// Refuse uploads past the storage limit instead of flagging them.
    pub enforce_storage_limit: bool,
}

/// Why storing a file failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The command was refused or could not be appended.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The blob store failed or the body was too large.
    #[error(transparent)]
    Blob(#[from] BlobError),
}

impl From<DomainError> for FileError {
    fn from(e: DomainError) -> Self {
        FileError::Command(CommandError::Rejected(e))
    }
}

/// What the file use cases work with: the blob store, the command bus and the
/// request's command context.
#[derive(Clone, Copy)]
pub struct Files<'a> {
    /// Where the bytes go.
    pub blobs: &'a BlobStore,
    /// Where the events go.
    pub bus: &'a CommandBus,
    /// The request the commands record.
    pub ctx: &'a CommandContext,
}

impl Files<'_> {
    /// Streams a recording file into `file.user_id`'s storage and records it.
    pub async fn upload_recording<S, E>(
        self,
        file: RecordingFile,
        caller: Caller,
        body: S,
        limits: UploadLimits,
    ) -> Result<Outcome, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        // Refuse what the rules refuse before any byte is stored.
        let state = storage::storage_state(self.bus, file.user_id).await?;
        let probe = StorageCommand::RecordUpload {
            user_id: file.user_id,
            room_id: file.room_id,
            recording_id: file.recording_id.clone(),
            file_name: file.file_name.clone(),
            file_size: 0,
            blob_path: String::new(),
            default_limit: limits.default_storage_limit,
            enforce_limit: limits.enforce_storage_limit,
            caller,
            now: Utc::now(),
        };
        StorageAccount::decide(&state, &probe)?;
        let limit = state.limit.unwrap_or(limits.default_storage_limit);
        if limits.enforce_storage_limit && state.usage >= limit {
            return Err(DomainError::Forbidden("the storage limit is reached").into());
        }
        let blob_path = format!(
            "recordings/{}/{}/{}/{}/{}",
            file.user_id,
            file.room_id,
            file.recording_id,
            altegon_commands::ids::new_object_id(),
            file.file_name
        );
        let stored = self
            .blobs
            .put_stream(&blob_path, body, limits.max_upload_bytes)
            .await?;
        let recorded = storage::record_upload(
            self.bus,
            self.ctx,
            file,
            storage::StoredBytes {
                size: stored.size,
                blob_path: blob_path.clone(),
            },
            storage::Quota {
                default_limit: limits.default_storage_limit,
                enforce: limits.enforce_storage_limit,
            },
            caller,
        )
        .await;
        if recorded.is_err()
            && let Err(e) = self.blobs.delete(&blob_path).await
        {
            tracing::warn!(error = %e, path = %blob_path, "removing an unrecorded upload failed");
        }
        Ok(recorded?)
    }

    /// Deletes a recording file: the event first, then the bytes.
    pub async fn delete_recording(
        self,
        file: RecordingFile,
        caller: Caller,
    ) -> Result<Outcome, FileError> {
        let outcome = storage::delete_file(self.bus, self.ctx, file, caller).await?;
        for event in &outcome.events {
            if let DomainEvent::RecordingFileDeleted(e) = event {
                remove_blob(self.blobs, &e.blob_path).await;
            }
        }
        Ok(outcome)
    }

    /// Streams a file into a room's folder and records it. A file with the same name
    /// is replaced.
    pub async fn upload_room_file<S, E>(
        self,
        room_id: RoomId,
        original_name: String,
        caller: Caller,
        body: S,
        max_bytes: u64,
    ) -> Result<Outcome, FileError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let probe = RoomFilesCommand::RecordUpload {
            room_id,
            room_owner_id: storage::room_owner(self.bus, room_id).await?,
            original_name: original_name.clone(),
            size: 0,
            caller,
            now: Utc::now(),
        };
        RoomFiles::decide(&Default::default(), &probe)?;
        let path = format!(
            "{}/{}",
            room_folder(&room_id),
            stored_name(&room_id, &original_name)?
        );
        let stored = self.blobs.put_stream(&path, body, max_bytes).await?;
        Ok(storage::record_room_file(
            self.bus,
            self.ctx,
            room_id,
            original_name,
            stored.size,
            caller,
        )
        .await?)
    }

    /// Deletes every file of a room: the event first, then the bytes.
    pub async fn delete_room_files(
        self,
        room_id: RoomId,
        caller: Caller,
    ) -> Result<Outcome, FileError> {
        let outcome = storage::delete_room_files(self.bus, self.ctx, room_id, caller).await?;
        for event in &outcome.events {
            if let DomainEvent::RoomFilesDeleted(e) = event {
                for name in &e.file_names {
                    remove_blob(self.blobs, &format!("{}/{name}", room_folder(&room_id))).await;
                }
            }
        }
        Ok(outcome)
    }
}

async fn remove_blob(blobs: &BlobStore, path: &str) {
    if let Err(e) = blobs.delete(path).await {
        tracing::warn!(error = %e, %path, "the event is recorded but removing the blob failed");
    }
}
