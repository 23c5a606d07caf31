//! The recording server: a Socket.IO endpoint (its own port, 3304 by default)
//! where a browser streams the MediaRecorder chunks of each video track of a
//! recording (`create-file`, `stream`, `stop-writing`), then asks for the tracks to
//! be scaled to one size and concatenated into one MP4 (`process-recording`).
//!
//! Data flow: socket → [`track`] writers (one task per open track, chunks appended
//! in order) → the track files on disk → [`processing`] (bounded worker pool running
//! [`ffmpeg`]) → the blob store, through the same `Files::upload_recording` use case
//! as HTTP uploads, so storage usage follows by projection. Every step is an event
//! on the recording's stream (`recording-{recordingId}`), which is also how an
//! interrupted run is found again after a restart.

pub mod ffmpeg;
pub mod processing;
pub mod socket;
pub mod track;

use std::path::PathBuf;
use std::time::Duration;

use altegon_commands::CommandError;
use altegon_domain::{DomainError, RoomId, UserId};

pub use processing::{PendingJob, ProcessingUpdate, Processor};
pub use socket::IngestSocket;
pub use track::Tracks;

/// What the recording server is configured with.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Where track files and processing output are kept until uploaded.
    pub dir: PathBuf,
    /// Most bytes one recording's track files may take on disk.
    pub max_recording_bytes: u64,
    /// Largest single chunk.
    pub max_chunk_bytes: usize,
    /// Chunks a track may have queued before the socket is told to wait for acks.
    pub max_queued_chunks: usize,
    /// How often a track's progress is made durable and recorded as an event.
    pub checkpoint_interval: Duration,
    /// A track no chunk arrived for in this long closes its file handle; a later
    /// `create-file` reopens it where it stopped.
    pub idle_timeout: Duration,
    /// Output size when `process-recording` names none.
    pub default_width: u32,
    /// Output height when `process-recording` names none.
    pub default_height: u32,
}

/// Who holds an ingest connection, from a room token with the record grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestGrant {
    /// The token's holder.
    pub user_id: UserId,
    /// The room the token is for.
    pub room_id: RoomId,
}

/// Checks the token a client connects with. The API implements it with its JWT keys.
pub trait IngestAuth: Send + Sync + 'static {
    /// The grant, or why the token is refused.
    fn authorize(&self, token: &str) -> Result<IngestGrant, String>;
}

/// Waits until the read models include a position, so that a client told
/// "stored" finds the file in its next REST read. The API implements it with its
/// projection engine.
#[async_trait::async_trait]
pub trait ReadModels: Send + Sync + 'static {
    /// Returns once `position` is visible, or after the configured bound.
    async fn reached(&self, position: altegon_commands::store::Position);
}

/// Why an ingest request was refused; sent back in the error ack.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The payload is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// A business rule refused it.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// The command could not be recorded.
    #[error("the event log is unavailable: {0}")]
    Log(String),
    /// No open file for this track.
    #[error(
        "no open file for this videoId: send create-file first (a finished file takes no more chunks)"
    )]
    UnknownTrack,
    /// The chunk does not start where the file ends.
    #[error("the chunk starts at byte {offset} but the file has {expected} bytes")]
    OutOfOrder {
        /// Where the chunk claims to start.
        offset: u64,
        /// Where the file ends.
        expected: u64,
    },
    /// Too many chunks are queued: wait for acks before sending more.
    #[error("too many chunks in flight for this track: wait for acks before sending more")]
    Busy,
    /// The chunk or the recording is too large.
    #[error("{0}")]
    TooLarge(String),
    /// The disk is full; the file was cut back to its last complete chunk.
    #[error("the recording server is out of disk space; the file keeps its last complete chunk")]
    DiskFull,
    /// Reading or writing a file failed.
    #[error("the recording file could not be written: {0}")]
    Io(String),
    /// ffmpeg is not installed or not configured.
    #[error("processing is unavailable: ffmpeg was not found")]
    Unavailable,
}

impl IngestError {
    /// An HTTP-like status for the ack, so clients handle errors as they do REST ones.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::OutOfOrder { .. } => 400,
            Self::Rejected(e) => match e {
                DomainError::Invalid { .. } => 400,
                DomainError::NotFound(_) => 404,
                DomainError::Forbidden(_) => 403,
                DomainError::AlreadyExists(_) | DomainError::Conflict(_) => 409,
                DomainError::EmailTaken => 409,
            },
            Self::UnknownTrack => 404,
            Self::Busy => 429,
            Self::TooLarge(_) => 413,
            Self::DiskFull => 507,
            Self::Log(_) | Self::Io(_) => 500,
            Self::Unavailable => 503,
        }
    }
}

impl From<CommandError> for IngestError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(d) => Self::Rejected(d),
            other => Self::Log(other.to_string()),
        }
    }
}

impl From<std::io::Error> for IngestError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            Self::DiskFull
        } else {
            Self::Io(e.to_string())
        }
    }
}
