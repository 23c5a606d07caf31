//! The read models: each module holds a projection and the queries on its tables.

pub mod audit;
pub mod meetings;
pub mod recording_processing;
pub mod recordings;
pub mod room_files;
pub mod room_streams;
pub mod rooms;
pub mod sessions;
pub mod storage;
pub mod transcripts;
pub mod users;
pub mod webhooks;

use std::sync::Arc;

use crate::Projection;

/// Every projection this build keeps.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(users::UsersProjection),
        Arc::new(rooms::RoomsProjection),
        Arc::new(meetings::MeetingsProjection),
        Arc::new(transcripts::TranscriptsProjection),
        Arc::new(recordings::RecordingsProjection),
        Arc::new(storage::StorageProjection),
        Arc::new(room_files::RoomFilesProjection),
        Arc::new(room_streams::RoomStreamsProjection),
        Arc::new(recording_processing::RecordingProcessingProjection),
        Arc::new(sessions::SessionsProjection),
        Arc::new(audit::AuditProjection),
        Arc::new(webhooks::WebhookEndpointsProjection),
    ]
}
