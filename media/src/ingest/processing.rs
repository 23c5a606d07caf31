//! The processing worker pool: at most `concurrency` ffmpeg runs at a time, each
//! recorded on the recording's stream (started, progress, processed or failed),
//! then the MP4 is stored in the room owner's storage like any uploaded recording.
//!
//! A run the server did not finish is found again at start-up from the
//! `recording_processing` read model ([`PendingJob`]): an interrupted ffmpeg run
//! starts over as the next attempt, a processed but unstored file is uploaded.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use altegon_commands::handlers::storage::RecordingFile;
use altegon_commands::{CommandBus, CommandContext, CommandError};
use altegon_domain::meeting::Caller;
use altegon_domain::recording::ingest::{IngestCommand, ProcessingStatus};
use altegon_domain::recording::{Recording, RecordingCommand};
use altegon_domain::{DomainError, DomainEvent};
use chrono::Utc;
use serde::Serialize;
use tokio::sync::{Semaphore, broadcast, watch};
use tokio::task::AbortHandle;

use super::ffmpeg::{Ffmpeg, Probe};
use super::track::{Tracks, file_digest};
use super::{IngestError, IngestGrant, ReadModels};
use crate::blob::BlobStore;
use crate::files::{FileError, Files, UploadLimits};

/// A run the read model shows as unfinished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJob {
    /// The recording.
    pub recording_id: String,
    /// `true` when the MP4 exists and only the upload is left.
    pub processed: bool,
}

/// What the pool tells listeners (the ingest socket pushes it to the client that
/// asked for the processing).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
pub enum ProcessingUpdate {
    /// ffmpeg's progress.
    Progress {
        /// The recording.
        recording_id: String,
        /// The run.
        attempt: u32,
        /// 0 to 100.
        percent: u8,
    },
    /// The MP4 is in the owner's storage.
    Stored {
        /// The recording.
        recording_id: String,
        /// Its name in storage.
        file_name: String,
        /// Length in milliseconds.
        duration_ms: u64,
        /// Size in bytes.
        size: u64,
    },
    /// The run failed.
    Failed {
        /// The recording.
        recording_id: String,
        /// The run.
        attempt: u32,
        /// Why.
        reason: String,
    },
}

impl ProcessingUpdate {
    /// The recording it is about.
    pub fn recording_id(&self) -> &str {
        match self {
            Self::Progress { recording_id, .. }
            | Self::Stored { recording_id, .. }
            | Self::Failed { recording_id, .. } => recording_id,
        }
    }
}

/// How the pool runs.
#[derive(Debug, Clone, Copy)]
pub struct ProcessorSettings {
    /// ffmpeg runs at a time.
    pub concurrency: usize,
    /// Least time between two progress events of one run.
    pub progress_interval: Duration,
    /// Size rules of the final upload.
    pub upload: UploadLimits,
}

/// The worker pool. Cheap to clone.
#[derive(Clone)]
pub struct Processor {
    inner: Arc<Inner>,
}

struct Inner {
    ffmpeg: Option<Ffmpeg>,
    bus: CommandBus,
    blobs: BlobStore,
    tracks: Arc<Tracks>,
    read_models: Arc<dyn ReadModels>,
    permits: Semaphore,
    settings: ProcessorSettings,
    updates: broadcast::Sender<ProcessingUpdate>,
    running: Mutex<HashMap<String, AbortHandle>>,
}

/// Why a run stopped short of storing the file.
enum JobError {
    /// Recorded as `RecordingProcessingFailed`.
    Failed(String),
    /// Not recordable (the log or the blob store is down); picked up at next start.
    Interrupted(String),
}

impl From<CommandError> for JobError {
    fn from(e: CommandError) -> Self {
        JobError::Interrupted(e.to_string())
    }
}

impl Processor {
    /// A pool; `ffmpeg` is `None` when it is not installed, and then every
    /// processing request is refused as unavailable.
    pub fn new(
        ffmpeg: Option<Ffmpeg>,
        bus: CommandBus,
        blobs: BlobStore,
        tracks: Arc<Tracks>,
        read_models: Arc<dyn ReadModels>,
        settings: ProcessorSettings,
    ) -> Self {
        let (updates, _) = broadcast::channel(256);
        Self {
            inner: Arc::new(Inner {
                ffmpeg,
                bus,
                blobs,
                tracks,
                read_models,
                permits: Semaphore::new(settings.concurrency.max(1)),
                settings,
                updates,
                running: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether ffmpeg was found.
    pub fn available(&self) -> bool {
        self.inner.ffmpeg.is_some()
    }

    /// Updates of every run from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ProcessingUpdate> {
        self.inner.updates.subscribe()
    }

    /// Records the start of a run and queues it. Returns the run's attempt number.
    pub async fn start(
        &self,
        grant: IngestGrant,
        ctx: &CommandContext,
        recording_id: &str,
        width: u32,
        height: u32,
    ) -> Result<u32, IngestError> {
        if self.inner.ffmpeg.is_none() {
            return Err(IngestError::Unavailable);
        }
        let command = RecordingCommand::Ingest(IngestCommand::StartProcessing {
            room_id: grant.room_id,
            user_id: grant.user_id,
            width,
            height,
            now: Utc::now(),
        });
        let outcome = self
            .inner
            .bus
            .execute::<Recording>(ctx, recording_id, &command)
            .await?;
        let attempt = started_attempt(&outcome.events).unwrap_or(1);
        self.spawn(recording_id.to_owned());
        Ok(attempt)
    }

    /// Picks up runs the server did not finish before it stopped.
    pub async fn resume(&self, jobs: Vec<PendingJob>) {
        for job in jobs {
            if !job.processed {
                if self.inner.ffmpeg.is_none() {
                    tracing::warn!(recording = %job.recording_id, "an interrupted processing run waits for ffmpeg to be installed");
                    continue;
                }
                let command =
                    RecordingCommand::Ingest(IngestCommand::ResumeProcessing { now: Utc::now() });
                let ctx = CommandContext::new(altegon_commands::Actor::system());
                if let Err(e) = self
                    .inner
                    .bus
                    .execute::<Recording>(&ctx, &job.recording_id, &command)
                    .await
                {
                    tracing::warn!(recording = %job.recording_id, error = %e, "resuming a processing run failed");
                    continue;
                }
            }
            tracing::info!(recording = %job.recording_id, processed = job.processed, "resuming an interrupted recording");
            self.spawn(job.recording_id);
        }
    }

    /// Stops every run (ffmpeg is killed); they resume at the next start.
    pub fn shutdown(&self) {
        for (_, handle) in self.inner.lock_running().drain() {
            handle.abort();
        }
    }

    fn spawn(&self, recording_id: String) {
        let inner = self.inner.clone();
        let mut running = self.inner.lock_running();
        if running.get(&recording_id).is_some_and(|h| !h.is_finished()) {
            return;
        }
        let id = recording_id.clone();
        let task = tokio::spawn(async move {
            let Ok(_permit) = inner.permits.acquire().await else {
                return;
            };
            if let Err(JobError::Interrupted(e)) = run(&inner, &id).await {
                tracing::error!(recording = %id, error = %e, "processing stopped; it resumes at the next start");
            }
            inner.lock_running().remove(&id);
        });
        running.insert(recording_id, task.abort_handle());
    }
}

impl Inner {
    fn lock_running(&self) -> MutexGuard<'_, HashMap<String, AbortHandle>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, update: ProcessingUpdate) {
        let _ = self.updates.send(update);
    }

    async fn execute(&self, recording_id: &str, command: IngestCommand) -> Result<(), JobError> {
        let ctx = CommandContext::new(altegon_commands::Actor::system());
        self.bus
            .execute::<Recording>(&ctx, recording_id, &RecordingCommand::Ingest(command))
            .await?;
        Ok(())
    }

    fn output_path(&self, recording_id: &str, attempt: u32) -> PathBuf {
        self.tracks
            .recording_dir(recording_id)
            .join(format!("output-{attempt}.mp4"))
    }
}

fn started_attempt(events: &[DomainEvent]) -> Option<u32> {
    events.iter().find_map(|e| match e {
        DomainEvent::RecordingProcessingStarted(s) => Some(s.attempt),
        _ => None,
    })
}

/// Runs a recording's current run to its end: ffmpeg if it is still running,
/// then the upload.
async fn run(inner: &Inner, recording_id: &str) -> Result<(), JobError> {
    let state = inner.bus.state::<Recording>(recording_id).await?;
    let Some(processing) = state.ingest.processing.clone() else {
        return Ok(());
    };
    let attempt = processing.attempt;
    if processing.status == ProcessingStatus::Running {
        match transcode(inner, recording_id, &processing.started).await {
            Ok(done) => inner.execute(recording_id, done).await?,
            Err(JobError::Failed(reason)) => {
                inner
                    .execute(
                        recording_id,
                        IngestCommand::FailProcessing {
                            attempt,
                            reason: reason.clone(),
                            now: Utc::now(),
                        },
                    )
                    .await?;
                inner.publish(ProcessingUpdate::Failed {
                    recording_id: recording_id.to_owned(),
                    attempt,
                    reason,
                });
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    } else if processing.status == ProcessingStatus::Failed {
        return Ok(());
    }
    store(inner, recording_id).await
}

/// Probes the tracks and runs ffmpeg; the answer is the command that records the
/// result.
async fn transcode(
    inner: &Inner,
    recording_id: &str,
    started: &altegon_domain::events::RecordingProcessingStarted,
) -> Result<IngestCommand, JobError> {
    let ffmpeg = inner
        .ffmpeg
        .as_ref()
        .ok_or_else(|| JobError::Interrupted("ffmpeg is not installed".into()))?;
    let attempt = started.attempt;
    let mut inputs: Vec<(PathBuf, Probe)> = Vec::new();
    for track in &started.tracks {
        let path = inner.tracks.track_path(recording_id, track);
        if !path.exists() {
            return Err(JobError::Failed(format!(
                "the file of track {track} is missing"
            )));
        }
        let probe = ffmpeg
            .probe(&path)
            .await
            .map_err(|e| JobError::Failed(format!("track {track}: {e}")))?;
        if !probe.has_video {
            return Err(JobError::Failed(format!(
                "track {track} has no video stream"
            )));
        }
        inputs.push((path, probe));
    }
    let total: f64 = inputs.iter().filter_map(|(_, p)| p.duration).sum();
    let output = inner.output_path(recording_id, attempt);
    let (percent_tx, percent_rx) = watch::channel(0u8);
    let reporter = report_progress(inner, recording_id.to_owned(), attempt, percent_rx);
    let transcoding = ffmpeg.scale_and_concat(
        &inputs,
        started.width,
        started.height,
        &output,
        // Owned by the run: the reporter ends when the run drops it.
        move |seconds| {
            if total > 0.0 {
                let percent = ((seconds / total) * 100.0).clamp(0.0, 99.0) as u8;
                percent_tx.send_if_modified(|p| {
                    let moved = percent > *p;
                    if moved {
                        *p = percent;
                    }
                    moved
                });
            }
        },
    );
    let (result, ()) = tokio::join!(transcoding, reporter);
    result.map_err(|e| JobError::Failed(e.to_string()))?;
    let probe = ffmpeg
        .probe(&output)
        .await
        .map_err(|e| JobError::Failed(format!("the output: {e}")))?;
    let (size, sha256) = file_digest(&output)
        .await
        .map_err(|e| JobError::Interrupted(e.to_string()))?;
    Ok(IngestCommand::FinishProcessing {
        attempt,
        file_name: altegon_domain::recording::ingest::processed_file_name(recording_id),
        duration_ms: (probe.duration.unwrap_or(0.0) * 1000.0).round() as u64,
        size,
        sha256,
        now: Utc::now(),
    })
}

/// Records progress events, at most one per `progress_interval`, until the run
/// ends (its sender is dropped), which it notices at once even while throttled.
async fn report_progress(
    inner: &Inner,
    recording_id: String,
    attempt: u32,
    mut percent: watch::Receiver<u8>,
) {
    let mut reported = *percent.borrow_and_update();
    loop {
        if percent.changed().await.is_err() {
            return;
        }
        let value = *percent.borrow_and_update();
        if value == reported {
            continue;
        }
        reported = value;
        let command = IngestCommand::RecordProgress {
            attempt,
            percent: value,
            now: Utc::now(),
        };
        if let Err(JobError::Interrupted(e) | JobError::Failed(e)) =
            inner.execute(&recording_id, command).await
        {
            tracing::warn!(recording = %recording_id, error = %e, "recording progress failed");
        }
        inner.publish(ProcessingUpdate::Progress {
            recording_id: recording_id.clone(),
            attempt,
            percent: value,
        });
        let quiet_until = tokio::time::Instant::now() + inner.settings.progress_interval;
        while percent.has_changed().is_ok() {
            tokio::select! {
                _ = tokio::time::sleep_until(quiet_until) => break,
                // Wakes on every change (left unseen for the next round) and on the end.
                closed = percent.changed() => if closed.is_err() { return; },
            }
        }
    }
}

/// Uploads the processed MP4 into the room owner's storage and removes the
/// recording's working files.
async fn store(inner: &Inner, recording_id: &str) -> Result<(), JobError> {
    let state = inner.bus.state::<Recording>(recording_id).await?;
    let (Some(processing), Some(started)) = (state.ingest.processing, state.started) else {
        return Ok(());
    };
    let Some(processed) = processing.processed else {
        return Ok(());
    };
    let output = inner.output_path(recording_id, processed.attempt);
    let file = tokio::fs::File::open(&output).await.map_err(|e| {
        JobError::Interrupted(format!(
            "the processed file {} is gone: {e}",
            output.display()
        ))
    })?;
    let owner = processing.started.room_owner_id;
    let ctx = CommandContext::new(altegon_commands::Actor::system());
    let uploaded = Files {
        blobs: &inner.blobs,
        bus: &inner.bus,
        ctx: &ctx,
    }
    .upload_recording(
        RecordingFile {
            user_id: owner,
            room_id: started.room_id,
            recording_id: recording_id.to_owned(),
            file_name: processed.file_name.clone(),
        },
        Caller {
            user_id: owner,
            is_admin: false,
        },
        tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024),
        inner.settings.upload,
    )
    .await;
    match uploaded {
        Ok(outcome) => inner.read_models.reached(outcome.position).await,
        // Stored by a run that was interrupted after its upload.
        Err(FileError::Command(CommandError::Rejected(DomainError::AlreadyExists(_)))) => {}
        Err(e) => {
            return Err(JobError::Interrupted(format!(
                "storing the MP4 failed: {e}"
            )));
        }
    }
    inner.publish(ProcessingUpdate::Stored {
        recording_id: recording_id.to_owned(),
        file_name: processed.file_name,
        duration_ms: processed.duration_ms,
        size: processed.size,
    });
    let dir = inner.tracks.recording_dir(recording_id);
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
        tracing::warn!(error = %e, dir = %dir.display(), "removing a stored recording's working files failed");
    }
    inner.tracks.forget_recording(recording_id);
    Ok(())
}
