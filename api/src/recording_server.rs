//! Starts the recording server beside the HTTP API: its own listener (port 3304 by
//! default) serving the ingest socket, the processing pool, and the pick-up of
//! runs a previous process left unfinished.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use altegon_commands::CommandBus;
use altegon_commands::store::SharedEventStore;
use altegon_media::BlobStore;
use altegon_media::ingest::ffmpeg::Ffmpeg;
use altegon_media::ingest::processing::ProcessorSettings;
use altegon_media::ingest::{
    IngestAuth, IngestGrant, IngestSettings, IngestSocket, PendingJob, Processor, ReadModels,
    Tracks,
};
use altegon_projections::ProjectionEngine;
use altegon_projections::models::recording_processing;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::{JwtKeys, RoomGrant};
use crate::config::Config;

/// How long start-up waits for the read models before picking up unfinished runs.
const RESUME_CATCH_UP: Duration = Duration::from_secs(120);

/// The running recording server.
pub struct RecordingServer {
    /// Where it listens, when enabled.
    pub addr: Option<SocketAddr>,
    processor: Processor,
    task: Option<JoinHandle<()>>,
}

/// What the recording server needs from the rest of the server.
pub struct RecordingServerParts {
    /// The event log.
    pub store: SharedEventStore,
    /// Runs commands.
    pub bus: CommandBus,
    /// Where processed recordings go.
    pub blobs: BlobStore,
    /// Verifies room tokens.
    pub keys: JwtKeys,
    /// The read side, for unfinished runs.
    pub engine: ProjectionEngine,
}

/// The projection engine's bounded wait.
struct EngineReadModels(ProjectionEngine, Duration);

#[async_trait::async_trait]
impl ReadModels for EngineReadModels {
    async fn reached(&self, position: altegon_commands::store::Position) {
        if let Err(e) = self.0.wait_for(position, self.1).await {
            tracing::warn!(error = %e, "read models lag behind a stored recording");
        }
    }
}

/// Accepts room tokens that carry the record grant.
struct RecordGrantAuth(JwtKeys);

impl IngestAuth for RecordGrantAuth {
    fn authorize(&self, token: &str) -> Result<IngestGrant, String> {
        let claims = self
            .0
            .verify_room(token)
            .map_err(|e| format!("room token refused: {e}"))?;
        if !claims.grants.contains(&RoomGrant::Record) {
            return Err("the room token lacks the record grant".into());
        }
        Ok(IngestGrant {
            user_id: claims
                .sub
                .parse()
                .map_err(|_| "room token refused: invalid token".to_owned())?,
            room_id: claims
                .room
                .parse()
                .map_err(|_| "room token refused: invalid token".to_owned())?,
        })
    }
}

/// The recording server's settings from the configuration.
pub fn ingest_settings(config: &Config) -> IngestSettings {
    IngestSettings {
        dir: config.ingest_dir(),
        max_recording_bytes: config.recording_max_bytes,
        max_chunk_bytes: config.recording_max_chunk_bytes,
        max_queued_chunks: config.recording_max_queued_chunks,
        checkpoint_interval: Duration::from_secs(config.recording_checkpoint_secs.max(1)),
        idle_timeout: Duration::from_secs(600),
        default_width: config.recording_width,
        default_height: config.recording_height,
    }
}

impl RecordingServer {
    /// Finds ffmpeg, binds the listener (when enabled) and starts serving until
    /// `stop` turns true; unfinished runs are picked up in the background.
    pub async fn start(
        config: &Config,
        parts: RecordingServerParts,
        mut stop: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        let settings = ingest_settings(config);
        tokio::fs::create_dir_all(&settings.dir)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the ingest folder {}: {e}",
                    settings.dir.display()
                )
            })?;
        let ffmpeg = Ffmpeg::locate(&config.ffmpeg_path, &config.ffprobe_path).await;
        if ffmpeg.is_none() {
            tracing::warn!(
                ffmpeg = %config.ffmpeg_path.display(),
                ffprobe = %config.ffprobe_path.display(),
                "ffmpeg or ffprobe was not found: process-recording answers 503 until it is installed (ALTEGON_FFMPEG_PATH, ALTEGON_FFPROBE_PATH)"
            );
        }
        let tracks = Tracks::new(settings.clone(), parts.bus.clone());
        let processor = Processor::new(
            ffmpeg,
            parts.bus.clone(),
            parts.blobs,
            tracks.clone(),
            Arc::new(EngineReadModels(
                parts.engine.clone(),
                Duration::from_millis(config.read_your_writes_timeout_ms),
            )),
            ProcessorSettings {
                concurrency: config.processing_concurrency,
                progress_interval: Duration::from_secs(2),
                upload: altegon_media::files::UploadLimits {
                    max_upload_bytes: config.max_upload_bytes,
                    default_storage_limit: config.storage_default_limit_bytes,
                    enforce_storage_limit: config.storage_enforce_limit,
                },
            },
        );
        tokio::spawn(resume_unfinished(
            parts.store,
            parts.engine,
            processor.clone(),
        ));
        if !config.recording_server {
            return Ok(Self {
                addr: None,
                processor,
                task: None,
            });
        }
        let listener = TcpListener::bind(config.recording_listen)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on {} for the recording server: {e}",
                    config.recording_listen
                )
            })?;
        let addr = listener.local_addr()?;
        let (layer, io) = IngestSocket::layer(
            &config.recording_path,
            tracks,
            processor.clone(),
            Arc::new(RecordGrantAuth(parts.keys)),
            settings,
        );
        let app = axum::Router::new().layer(layer);
        let task = tokio::spawn(async move {
            let served = axum::serve(
                listener.tap_io(crate::server::send_without_delay),
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
                io.close().await;
            })
            .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "the recording server stopped");
            }
        });
        tracing::info!(%addr, path = %config.recording_path, "recording server listening");
        Ok(Self {
            addr: Some(addr),
            processor,
            task: Some(task),
        })
    }

    /// Waits for the listener to close, then stops processing runs (they resume at
    /// the next start).
    pub async fn finish(self) {
        if let Some(task) = self.task {
            let _ = task.await;
        }
        self.processor.shutdown();
    }
}

async fn resume_unfinished(
    store: SharedEventStore,
    engine: ProjectionEngine,
    processor: Processor,
) {
    let found = async {
        let head = store.head_position().await.map_err(|e| e.to_string())?;
        engine
            .wait_for(head, RESUME_CATCH_UP)
            .await
            .map_err(|e| e.to_string())?;
        recording_processing::unfinished(engine.db().pool())
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    match found {
        Ok(rows) => {
            let jobs = rows
                .into_iter()
                .map(|r| PendingJob {
                    processed: r.status == "processed",
                    recording_id: r.id,
                })
                .collect();
            processor.resume(jobs).await;
        }
        Err(e) => {
            tracing::error!(error = %e, "finding unfinished recordings failed; they are picked up at the next start")
        }
    }
}
