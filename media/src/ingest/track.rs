//! One writer task per open track: it owns the track's file and applies the
//! socket's operations in the order they arrived (the socket enqueues them before
//! any await), so chunks land in order without a lock around the file.
//!
//! A chunk is acknowledged once it is written; every checkpoint interval the file
//! is synced and `RecordingChunksWritten` recorded. A failed write cuts the file
//! back to its last complete chunk, so a full disk never leaves a torn chunk.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use altegon_commands::{CommandBus, CommandContext};
use altegon_domain::recording::ingest::{IngestCommand, track_id};
use altegon_domain::recording::{Recording, RecordingCommand};
use altegon_domain::validate::recording_id;
use bytes::Bytes;
use chrono::Utc;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, oneshot};

use super::{IngestError, IngestGrant, IngestSettings};

/// A finished track file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedTrack {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

type Reply<T> = oneshot::Sender<Result<T, IngestError>>;

enum TrackOp {
    /// Open the file (first operation of a new writer).
    Open(Reply<u64>),
    /// How many bytes the file has, after everything queued before.
    Position(Reply<u64>),
    Chunk {
        data: Bytes,
        offset: Option<u64>,
        reply: Reply<u64>,
    },
    Close(Reply<ClosedTrack>),
}

#[derive(Clone)]
struct TrackHandle {
    tx: mpsc::Sender<TrackOp>,
    room_id: altegon_domain::RoomId,
    generation: u64,
}

type Key = (String, String);

/// The open tracks of this server, and each recording's bytes on disk.
pub struct Tracks {
    settings: IngestSettings,
    bus: CommandBus,
    open: Mutex<HashMap<Key, TrackHandle>>,
    usage: Mutex<HashMap<String, Arc<AtomicU64>>>,
    generation: AtomicU64,
}

/// A pending answer from a track's writer.
pub type Pending<T> = oneshot::Receiver<Result<T, IngestError>>;

impl Tracks {
    /// An empty registry writing under `settings.dir`.
    pub fn new(settings: IngestSettings, bus: CommandBus) -> Arc<Self> {
        Arc::new(Self {
            settings,
            bus,
            open: Mutex::new(HashMap::new()),
            usage: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        })
    }

    /// The folder of a recording's files.
    pub fn recording_dir(&self, recording_id: &str) -> PathBuf {
        self.settings.dir.join(recording_id)
    }

    /// The file of one track.
    pub fn track_path(&self, recording_id: &str, track_id: &str) -> PathBuf {
        self.recording_dir(recording_id)
            .join(format!("{track_id}.webm"))
    }

    /// Opens a track's file, or finds the open one (a reconnecting client resumes
    /// it). The answer is the file's size: where the client continues. Must be
    /// called without awaiting in between calls to keep the order of operations.
    pub fn create_file(
        self: &Arc<Self>,
        recording: &str,
        track: &str,
        grant: IngestGrant,
        ctx: CommandContext,
    ) -> Result<Pending<u64>, IngestError> {
        let recording = recording_id(recording)?;
        let track = track_id(track)?;
        let (reply, answer) = oneshot::channel();
        let key = (recording.clone(), track.clone());
        let mut open = self.lock_open();
        if let Some(handle) = open.get(&key) {
            if handle.room_id != grant.room_id {
                return Err(altegon_domain::DomainError::Forbidden(
                    "the room token is for another room than the recording's",
                )
                .into());
            }
            handle
                .tx
                .try_send(TrackOp::Position(reply))
                .map_err(|_| IngestError::Busy)?;
            return Ok(answer);
        }
        let (tx, rx) = mpsc::channel(self.settings.max_queued_chunks.max(1) + 2);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let _ = tx.try_send(TrackOp::Open(reply));
        open.insert(
            key.clone(),
            TrackHandle {
                tx,
                room_id: grant.room_id,
                generation,
            },
        );
        drop(open);
        let writer = Writer {
            tracks: self.clone(),
            key,
            generation,
            grant,
            ctx,
            file: None,
            written: 0,
            chunks: 0,
            checkpointed: (0, 0),
            usage: self.recording_usage(&recording),
        };
        tokio::spawn(writer.run(rx));
        Ok(answer)
    }

    /// Queues a chunk for a track's file.
    pub fn write_chunk(
        &self,
        recording: &str,
        track: &str,
        data: Bytes,
        offset: Option<u64>,
    ) -> Result<Pending<u64>, IngestError> {
        if data.len() > self.settings.max_chunk_bytes {
            return Err(IngestError::TooLarge(format!(
                "a chunk may have at most {} bytes",
                self.settings.max_chunk_bytes
            )));
        }
        let (reply, answer) = oneshot::channel();
        self.send(
            recording,
            track,
            TrackOp::Chunk {
                data,
                offset,
                reply,
            },
        )?;
        Ok(answer)
    }

    /// Queues the end of a track's file.
    pub fn stop_writing(
        &self,
        recording: &str,
        track: &str,
    ) -> Result<Pending<ClosedTrack>, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.send(recording, track, TrackOp::Close(reply))?;
        Ok(answer)
    }

    fn send(&self, recording: &str, track: &str, op: TrackOp) -> Result<(), IngestError> {
        let open = self.lock_open();
        let handle = open
            .get(&(recording.to_owned(), track.to_owned()))
            .ok_or(IngestError::UnknownTrack)?;
        handle.tx.try_send(op).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::Busy,
            mpsc::error::TrySendError::Closed(_) => IngestError::UnknownTrack,
        })
    }

    /// Forgets a recording's disk usage once its files are gone.
    pub fn forget_recording(&self, recording: &str) {
        self.lock_usage().remove(recording);
    }

    fn recording_usage(&self, recording: &str) -> Arc<AtomicU64> {
        let mut usage = self.lock_usage();
        if let Some(u) = usage.get(recording) {
            return u.clone();
        }
        let on_disk = dir_size(&self.recording_dir(recording));
        let u = Arc::new(AtomicU64::new(on_disk));
        usage.insert(recording.to_owned(), u.clone());
        u
    }

    fn remove(&self, key: &Key, generation: u64) {
        let mut open = self.lock_open();
        if open.get(key).is_some_and(|h| h.generation == generation) {
            open.remove(key);
        }
    }

    fn lock_open(&self) -> MutexGuard<'_, HashMap<Key, TrackHandle>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_usage(&self) -> MutexGuard<'_, HashMap<String, Arc<AtomicU64>>> {
        self.usage.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

struct Writer {
    tracks: Arc<Tracks>,
    key: Key,
    generation: u64,
    grant: IngestGrant,
    ctx: CommandContext,
    file: Option<Arc<std::fs::File>>,
    written: u64,
    chunks: u64,
    checkpointed: (u64, u64),
    usage: Arc<AtomicU64>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<TrackOp>) {
        let settings = self.tracks.settings.clone();
        let mut checkpoint = tokio::time::interval(settings.checkpoint_interval);
        checkpoint.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_op = tokio::time::Instant::now();
        loop {
            let op = tokio::select! {
                op = rx.recv() => op,
                _ = checkpoint.tick() => {
                    self.checkpoint().await;
                    continue;
                }
                _ = tokio::time::sleep_until(last_op + settings.idle_timeout) => None,
            };
            let Some(op) = op else { break };
            last_op = tokio::time::Instant::now();
            match op {
                TrackOp::Open(reply) => {
                    let opened = self.open().await;
                    let failed = opened.is_err();
                    let _ = reply.send(opened);
                    if failed {
                        break;
                    }
                }
                TrackOp::Position(reply) => {
                    let _ = reply.send(Ok(self.written));
                }
                TrackOp::Chunk {
                    data,
                    offset,
                    reply,
                } => {
                    let _ = reply.send(self.append(data, offset).await);
                }
                TrackOp::Close(reply) => {
                    let closed = self.close().await;
                    let done = closed.is_ok();
                    let _ = reply.send(closed);
                    if done {
                        break;
                    }
                }
            }
        }
        // Leave the registry first so nothing new is queued, then answer what is.
        self.tracks.remove(&self.key, self.generation);
        rx.close();
        while let Ok(op) = rx.try_recv() {
            refuse(op);
        }
        if self.file.is_some() {
            self.checkpoint().await;
        }
    }

    async fn open(&mut self) -> Result<u64, IngestError> {
        let (recording, track) = self.key.clone();
        let command = RecordingCommand::Ingest(IngestCommand::OpenTrack {
            track_id: track.clone(),
            room_id: self.grant.room_id,
            user_id: self.grant.user_id,
            now: Utc::now(),
        });
        self.tracks
            .bus
            .execute::<Recording>(&self.ctx, &recording, &command)
            .await?;
        let state = self.tracks.bus.state::<Recording>(&recording).await?;
        if let Some(t) = state.ingest.tracks.get(&track) {
            self.chunks = t.chunks_total;
            self.checkpointed = (t.bytes_total, t.chunks_total);
        }
        let path = self.tracks.track_path(&recording, &track);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let file = blocking(move || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        })
        .await?;
        self.written = file.metadata()?.len();
        self.file = Some(Arc::new(file));
        Ok(self.written)
    }

    async fn append(&mut self, data: Bytes, offset: Option<u64>) -> Result<u64, IngestError> {
        let Some(file) = self.file.clone() else {
            return Err(IngestError::UnknownTrack);
        };
        let len = data.len() as u64;
        let data = match offset {
            // A repeat of bytes already written (a resend after a reconnect).
            Some(o) if o + len <= self.written => return Ok(self.written),
            Some(o) if o > self.written => {
                return Err(IngestError::OutOfOrder {
                    offset: o,
                    expected: self.written,
                });
            }
            Some(o) => data.slice(usize::try_from(self.written - o).unwrap_or(0)..),
            None => data,
        };
        let len = data.len() as u64;
        let limit = self.tracks.settings.max_recording_bytes;
        if self.usage.fetch_add(len, Ordering::SeqCst) + len > limit {
            self.usage.fetch_sub(len, Ordering::SeqCst);
            return Err(IngestError::TooLarge(format!(
                "a recording may take at most {limit} bytes on the recording server"
            )));
        }
        let writing = file.clone();
        if let Err(e) = blocking(move || (&*writing).write_all(&data)).await {
            self.usage.fetch_sub(len, Ordering::SeqCst);
            // Cut back to the last complete chunk; the client may resend this one.
            let written = self.written;
            if let Err(cut) = blocking(move || file.set_len(written)).await {
                tracing::error!(error = %cut, key = ?self.key, "cutting back a torn chunk failed");
            }
            return Err(e.into());
        }
        self.written += len;
        self.chunks += 1;
        Ok(self.written)
    }

    async fn checkpoint(&mut self) {
        let Some(file) = self.file.clone() else {
            return;
        };
        if self.checkpointed == (self.written, self.chunks) {
            return;
        }
        if let Err(e) = blocking(move || file.sync_data()).await {
            tracing::warn!(error = %e, key = ?self.key, "syncing a track file failed");
            return;
        }
        let (recording, track) = &self.key;
        let command = RecordingCommand::Ingest(IngestCommand::RecordChunks {
            track_id: track.clone(),
            bytes_total: self.written,
            chunks_total: self.chunks,
            now: Utc::now(),
        });
        match self
            .tracks
            .bus
            .execute::<Recording>(&self.ctx, recording, &command)
            .await
        {
            Ok(_) => self.checkpointed = (self.written, self.chunks),
            Err(e) => {
                tracing::warn!(error = %e, key = ?self.key, "recording a track checkpoint failed")
            }
        }
    }

    async fn close(&mut self) -> Result<ClosedTrack, IngestError> {
        let Some(file) = self.file.clone() else {
            return Err(IngestError::UnknownTrack);
        };
        blocking(move || file.sync_all()).await?;
        let (recording, track) = self.key.clone();
        let path = self.tracks.track_path(&recording, &track);
        let (size, sha256) = file_digest(&path).await?;
        let command = RecordingCommand::Ingest(IngestCommand::CloseTrack {
            track_id: track,
            room_id: self.grant.room_id,
            size,
            sha256: sha256.clone(),
            now: Utc::now(),
        });
        self.tracks
            .bus
            .execute::<Recording>(&self.ctx, &recording, &command)
            .await?;
        self.file = None;
        Ok(ClosedTrack { size, sha256 })
    }
}

/// Runs blocking file IO off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

fn refuse(op: TrackOp) {
    match op {
        TrackOp::Open(r) | TrackOp::Position(r) | TrackOp::Chunk { reply: r, .. } => {
            let _ = r.send(Err(IngestError::UnknownTrack));
        }
        TrackOp::Close(r) => {
            let _ = r.send(Err(IngestError::UnknownTrack));
        }
    }
}

/// Size and SHA-256 (hex) of a file, read in 256 KiB blocks.
pub async fn file_digest(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use altegon_commands::store::sqlite::SqliteEventStore;
    use altegon_commands::{Actor, CommandBus, CommandContext};

    use super::*;

    fn settings(dir: &Path, max_queued_chunks: usize) -> IngestSettings {
        IngestSettings {
            dir: dir.to_path_buf(),
            max_recording_bytes: 1 << 30,
            max_chunk_bytes: 1024,
            max_queued_chunks,
            checkpoint_interval: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            default_width: 1280,
            default_height: 720,
        }
    }

    async fn tracks(dir: &Path, max_queued_chunks: usize) -> Arc<Tracks> {
        let store = SqliteEventStore::open(&dir.join("events.db"))
            .await
            .unwrap();
        Tracks::new(
            settings(dir, max_queued_chunks),
            CommandBus::new(Arc::new(store)),
        )
    }

    fn grant() -> IngestGrant {
        IngestGrant {
            user_id: "68de7a9d8f40ff41c940c7fb".parse().unwrap(),
            room_id: "68affe24fabc0702c5d30c29".parse().unwrap(),
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_track_takes_a_bounded_number_of_unacknowledged_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let tracks = tracks(dir.path(), 2).await;
        let ctx = CommandContext::new(Actor::system());
        // Nothing runs the writer until this task yields, so every chunk queues.
        let _opened = tracks.create_file("rec_1", "cam", grant(), ctx).unwrap();
        let mut refused = 0;
        for _ in 0..10 {
            match tracks.write_chunk("rec_1", "cam", Bytes::from_static(b"abc"), None) {
                Ok(_) => {}
                Err(IngestError::Busy) => refused += 1,
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(refused, 7, "the queue holds the open and 3 chunks");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn oversized_chunks_and_unknown_tracks_are_refused_before_queueing() {
        let dir = tempfile::tempdir().unwrap();
        let tracks = tracks(dir.path(), 4).await;
        assert!(matches!(
            tracks.write_chunk("rec_1", "cam", Bytes::from(vec![0; 1025]), None),
            Err(IngestError::TooLarge(_))
        ));
        assert!(matches!(
            tracks.write_chunk("rec_1", "cam", Bytes::from_static(b"x"), None),
            Err(IngestError::UnknownTrack)
        ));
        assert!(matches!(
            tracks.create_file(
                "../etc",
                "cam",
                grant(),
                CommandContext::new(Actor::system())
            ),
            Err(IngestError::Rejected(_))
        ));
    }
}
