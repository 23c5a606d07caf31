//! The Socket.IO face of the recording server: authentication with a room token
//! holding the record grant, the four events of the reference (`create-file`,
//! `stream`, `stop-writing`, `process-recording`) with an ack for each, and
//! processing updates pushed to the sockets that asked for the processing.
//!
//! Handlers hand their work to the track writers synchronously (before the first
//! await): socketioxide calls handlers in arrival order but runs their futures as
//! separate tasks, so this is what keeps a track's chunks in order.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use altegon_commands::{Actor, CommandContext};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use socketioxide::extract::{AckSender, SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{ParserConfig, SocketIo};

use super::track::{Pending, Tracks};
use super::{IngestAuth, IngestError, IngestGrant, IngestSettings, ProcessingUpdate, Processor};

/// `create-file`: open (or resume) the file of one track.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateFile {
    recording_id: String,
    video_id: String,
}

/// `stream`: one chunk of a track, optionally with the byte offset it starts at.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamChunk {
    recording_id: String,
    video_id: String,
    chunk: Bytes,
    #[serde(default)]
    offset: Option<u64>,
}

/// `stop-writing`: finish a track's file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopWriting {
    recording_id: String,
    video_id: String,
}

/// `process-recording`: scale and concatenate every track.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProcessRecording {
    recording_id: String,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct Handshake {
    #[serde(default)]
    token: Option<String>,
}

/// Why a connection was refused (the client's `connect_error`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(String);

struct Shared {
    tracks: Arc<Tracks>,
    processor: Processor,
    auth: Arc<dyn IngestAuth>,
    settings: IngestSettings,
}

/// Builds the recording server's Socket.IO layer.
pub struct IngestSocket;

impl IngestSocket {
    /// The layer to serve under `path` (e.g. `/socket.io`), and the `SocketIo`
    /// handle. Processing updates are pushed to the room `recording:{id}`.
    pub fn layer(
        path: &str,
        tracks: Arc<Tracks>,
        processor: Processor,
        auth: Arc<dyn IngestAuth>,
        settings: IngestSettings,
    ) -> (SocketIoLayer, SocketIo) {
        let max_packet = settings.max_chunk_bytes + 64 * 1024;
        let (layer, io) = SocketIo::builder()
            .req_path(path.to_owned())
            .max_payload(max_packet as u64)
            .ws_max_message_size(max_packet)
            .ws_max_frame_size(max_packet)
            .with_parser(ParserConfig::common().max_incoming_binary_buf_size(max_packet))
            .build_layer();
        let updates = processor.subscribe();
        let shared = Arc::new(Shared {
            tracks,
            processor,
            auth,
            settings,
        });
        let on_connect = {
            let shared = shared.clone();
            move |s: SocketRef| {
                register(&s, &shared);
                async {}
            }
        };
        let authenticate = {
            let shared = shared.clone();
            move |s: SocketRef, TryData(handshake): TryData<Handshake>| {
                let shared = shared.clone();
                async move { authenticate(&s, &shared, handshake.unwrap_or_default()) }
            }
        };
        io.ns("/", on_connect.with(authenticate));
        tokio::spawn(push_updates(io.clone(), updates));
        (layer, io)
    }
}

fn authenticate(s: &SocketRef, shared: &Shared, handshake: Handshake) -> Result<(), Refused> {
    let token = handshake.token.or_else(|| query_token(s)).ok_or_else(|| {
        Refused("a room token with the record grant is required (auth: { token })".into())
    })?;
    let grant = shared.auth.authorize(&token).map_err(Refused)?;
    s.extensions.insert(grant);
    Ok(())
}

fn query_token(s: &SocketRef) -> Option<String> {
    let query = s.req_parts().uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

fn register(s: &SocketRef, shared: &Arc<Shared>) {
    let Some(grant) = s.extensions.get::<IngestGrant>() else {
        s.clone().disconnect().ok();
        return;
    };
    let ctx = context(s, grant);

    s.on("create-file", {
        let shared = shared.clone();
        let ctx = ctx.clone();
        move |ack: AckSender, TryData(body): TryData<CreateFile>| {
            let answer = body.map_err(bad_request).and_then(|b| {
                let pending =
                    shared
                        .tracks
                        .create_file(&b.recording_id, &b.video_id, grant, ctx.clone())?;
                Ok((b, pending))
            });
            reply(ack, async move {
                let (b, pending) = answer?;
                let written = settle(pending).await?;
                Ok(json!({
                    "recordingId": b.recording_id,
                    "videoId": b.video_id,
                    "bytesWritten": written,
                }))
            })
        }
    });

    s.on("stream", {
        let shared = shared.clone();
        move |ack: AckSender, TryData(body): TryData<StreamChunk>| {
            let pending = body.map_err(bad_request).and_then(|b| {
                shared
                    .tracks
                    .write_chunk(&b.recording_id, &b.video_id, b.chunk, b.offset)
            });
            reply(ack, async move {
                let written = settle(pending?).await?;
                Ok(json!({ "bytesWritten": written }))
            })
        }
    });

    s.on("stop-writing", {
        let shared = shared.clone();
        move |ack: AckSender, TryData(body): TryData<StopWriting>| {
            let pending = body
                .map_err(bad_request)
                .and_then(|b| shared.tracks.stop_writing(&b.recording_id, &b.video_id));
            reply(ack, async move {
                let closed = settle(pending?).await?;
                Ok(json!({ "size": closed.size, "sha256": closed.sha256 }))
            })
        }
    });

    s.on("process-recording", {
        let shared = shared.clone();
        move |s: SocketRef, ack: AckSender, TryData(body): TryData<ProcessRecording>| {
            let shared = shared.clone();
            let ctx = ctx.clone();
            reply(ack, async move {
                let b = body.map_err(bad_request)?;
                let width = b.width.unwrap_or(shared.settings.default_width);
                let height = b.height.unwrap_or(shared.settings.default_height);
                // Join first, so no update of the run is missed.
                s.join(update_room(&b.recording_id));
                let attempt = shared
                    .processor
                    .start(grant, &ctx, &b.recording_id, width, height)
                    .await?;
                Ok(json!({
                    "recordingId": b.recording_id,
                    "status": "processing",
                    "attempt": attempt,
                    "width": width,
                    "height": height,
                }))
            })
        }
    });
}

fn context(s: &SocketRef, grant: IngestGrant) -> CommandContext {
    let mut ctx = CommandContext::new(Actor {
        id: Some(grant.user_id.to_string()),
        roles: vec![],
    });
    ctx.client_ip = s
        .req_parts()
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    ctx
}

fn bad_request(e: impl std::fmt::Display) -> IngestError {
    IngestError::BadRequest(format!("malformed payload: {e}"))
}

async fn settle<T>(pending: Pending<T>) -> Result<T, IngestError> {
    pending.await.unwrap_or(Err(IngestError::UnknownTrack))
}

/// Acks with `{ ok: true, ...answer }` or `{ ok: false, status, error }`.
async fn reply(
    ack: AckSender,
    work: impl Future<Output = Result<Value, IngestError>> + Send + 'static,
) {
    let body = match work.await {
        Ok(mut answer) => {
            if let Value::Object(map) = &mut answer {
                map.insert("ok".into(), Value::Bool(true));
            }
            answer
        }
        Err(e) => json!({ "ok": false, "status": e.status(), "error": e.to_string() }),
    };
    // A client that sent no ack callback is fine.
    let _ = ack.send(&body);
}

fn update_room(recording_id: &str) -> String {
    format!("recording:{recording_id}")
}

async fn push_updates(
    io: SocketIo,
    mut updates: tokio::sync::broadcast::Receiver<ProcessingUpdate>,
) {
    loop {
        let update = match updates.recv().await {
            Ok(u) => u,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let event = match &update {
            ProcessingUpdate::Progress { .. } => "processing-progress",
            ProcessingUpdate::Stored { .. } => "recording-stored",
            ProcessingUpdate::Failed { .. } => "processing-failed",
        };
        let _ = io
            .to(update_room(update.recording_id()))
            .emit(event, &update)
            .await;
    }
}
