//! The event log: one [`EventStore`] trait and its backends.
//!
//! Commands append events to streams with an expected version (optimistic
//! concurrency); projections, the realtime relay and the CLI read the whole log in
//! global order, through catch-up subscriptions that deliver history and then live
//! events, never skipping and never repeating one.
//!
//! Every backend keeps a per-stream SHA-256 hash chain ([`chain`]) so that
//! `altegon-meet audit verify` can prove no stored event was changed or removed.
//!
//! Backends: [`sqlite`] (embedded default), [`postgres`], [`kurrent`]
//! (KurrentDB/EventStoreDB). All pass the one conformance suite in
//! `commands/tests/conformance.rs`.

pub mod chain;
pub mod kurrent;
pub mod postgres;
mod postgres_group;
pub mod sqlite;
mod subscription;
pub mod verify;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde_json::Value;
use uuid::Uuid;

/// A place in the global order of the log. Positions only grow; they need not be
/// dense. `0` is "before the first event".
pub type Position = u64;

/// Most events one append may carry.
pub const MAX_EVENTS_PER_APPEND: usize = 10_000;

/// Longest accepted stream name, in bytes.
pub const MAX_STREAM_NAME_BYTES: usize = 200;

/// What the appender believes about the stream; the append fails when it is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must exist.
    StreamExists,
    /// The stream's last event must have this version (versions start at 0).
    Exact(u64),
}

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique id (UUIDv7); appending the same ids again is a no-op.
    pub event_id: Uuid,
    /// The type name.
    pub event_type: String,
    /// The schema version of `data`.
    pub schema_version: u32,
    /// The event's fields.
    pub data: Value,
    /// Who, when, why: see `commands::metadata`.
    pub metadata: Value,
}

/// An event as stored, with its place in its stream and in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Unique id.
    pub event_id: Uuid,
    /// The stream it belongs to.
    pub stream_id: String,
    /// Its version in the stream, from 0.
    pub stream_version: u64,
    /// Its global position.
    pub position: Position,
    /// The type name.
    pub event_type: String,
    /// The schema version of `data`.
    pub schema_version: u32,
    /// The fields, as the exact JSON text stored.
    pub data: String,
    /// The metadata, as the exact JSON text stored.
    pub metadata: String,
    /// When the store wrote it.
    pub recorded_at: DateTime<Utc>,
    /// Hash of the previous event in the stream ([`chain::GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// Hash of this event, chained on `prev_hash`.
    pub hash: String,
}

impl RecordedEvent {
    /// The fields as JSON.
    pub fn data_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.data)
    }

    /// The metadata as JSON.
    pub fn metadata_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.metadata)
    }

    /// Recomputes the event's hash from its stored content.
    pub fn computed_hash(&self) -> String {
        chain::event_hash(&chain::HashInput {
            prev_hash: &self.prev_hash,
            stream_id: &self.stream_id,
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: &self.event_type,
            schema_version: self.schema_version,
            data: &self.data,
            metadata: &self.metadata,
        })
    }
}

/// The outcome of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// The stream's version after the append (its last event's version).
    pub stream_version: u64,
    /// Global position of the first appended event.
    pub first_position: Position,
    /// Global position of the last appended event: wait for projections to pass
    /// this to read your own write.
    pub last_position: Position,
}

/// Which way to read a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadDirection {
    /// Oldest first.
    Forwards,
    /// Newest first.
    Backwards,
}

/// Where a stream read starts (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFrom {
    /// The first event (forwards) or the last (backwards).
    Edge,
    /// This version.
    Version(u64),
}

/// Which events a subscription delivers. Empty lists mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Deliver events of streams starting with one of these.
    pub stream_prefixes: Vec<String>,
    /// Deliver events of these types.
    pub event_types: Vec<String>,
}

impl EventFilter {
    /// Every event.
    pub fn all() -> Self {
        Self::default()
    }

    /// Events of streams starting with `prefix`.
    pub fn stream_prefix(prefix: impl Into<String>) -> Self {
        Self {
            stream_prefixes: vec![prefix.into()],
            event_types: vec![],
        }
    }

    /// Also events of streams starting with `prefix`.
    pub fn or_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.stream_prefixes.push(prefix.into());
        self
    }

    /// Events of these types.
    pub fn event_types<I: IntoIterator<Item = S>, S: Into<String>>(types: I) -> Self {
        Self {
            stream_prefixes: vec![],
            event_types: types.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether `event` passes.
    pub fn matches(&self, event: &RecordedEvent) -> bool {
        (self.stream_prefixes.is_empty()
            || self
                .stream_prefixes
                .iter()
                .any(|p| event.stream_id.starts_with(p.as_str())))
            && (self.event_types.is_empty() || self.event_types.contains(&event.event_type))
    }
}

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStart {
    /// From the first event.
    Beginning,
    /// From the first event after this position.
    After(Position),
    /// Every event appended from now on. Where the log's readable end trails the
    /// newest commits (PostgreSQL while other transactions run), a few events
    /// appended just before may be delivered too; none appended later is missed.
    End,
}

/// Events in global order; ends with an error if the store fails.
pub type EventStream = BoxStream<'static, Result<RecordedEvent, StoreError>>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream was not at the expected version.
    #[error("stream {stream}: expected version {expected:?}, but it is at {actual}")]
    WrongExpectedVersion {
        /// The stream.
        stream: String,
        /// What the appender expected.
        expected: ExpectedVersion,
        /// What it is (`-1`: no stream).
        actual: i64,
    },
    /// Some of the event ids were stored before, but not as this same append.
    #[error("event ids were already used by a different append")]
    EventIdReused,
    /// The append was malformed (no events, too many, bad stream name).
    #[error("invalid append: {0}")]
    InvalidAppend(String),
    /// The backend failed or could not be reached.
    #[error("event store backend: {0}")]
    Backend(String),
    /// Stored data does not have the expected form.
    #[error("corrupt event data: {0}")]
    Corrupt(String),
    /// The store was closed: the process is stopping.
    #[error("the event store is closed")]
    Closed,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolClosed => StoreError::Closed,
            e => StoreError::Backend(e.to_string()),
        }
    }
}

/// The append-only event log.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// A short name of the backend, for logs and metrics.
    fn backend(&self) -> &'static str;

    /// Appends `events` to `stream` if it is at `expected`; all or nothing.
    async fn append_to_stream(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError>;

    /// Reads up to `max_count` events of one stream; an absent stream reads as empty.
    async fn read_stream(
        &self,
        stream: &str,
        direction: ReadDirection,
        from: StreamFrom,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Reads up to `max_count` events of the whole log with positions above `after`,
    /// in order. Only events whose place in the order is final are returned: a
    /// later read never finds a new event below the last one returned.
    async fn read_all(
        &self,
        after: Position,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The position of the last event `read_all` would return (0 when empty).
    async fn head_position(&self) -> Result<Position, StoreError>;

    /// History from `start`, then live events, filtered; ends when dropped.
    fn subscribe_to_all(&self, start: SubscriptionStart, filter: EventFilter) -> EventStream;

    /// Each stream's newest version and hash as the backend records them apart from
    /// the events, when it does (`None` otherwise). Audits compare them with the log
    /// to notice removed newest events.
    async fn recorded_stream_heads(&self) -> Result<Option<Vec<StreamHead>>, StoreError> {
        Ok(None)
    }

    /// Flushes and closes; further calls fail.
    async fn close(&self);
}

/// A stream's newest version and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHead {
    /// The stream.
    pub stream_id: String,
    /// Its newest version.
    pub version: u64,
    /// Its newest event's hash.
    pub hash: String,
}

/// A shared handle to whichever backend is configured.
pub type SharedEventStore = Arc<dyn EventStore>;

/// Checks what every backend refuses before touching storage.
pub(crate) fn validate_append(stream: &str, events: &[NewEvent]) -> Result<(), StoreError> {
    if stream.is_empty() || stream.len() > MAX_STREAM_NAME_BYTES {
        return Err(StoreError::InvalidAppend(format!(
            "stream name must be 1 to {MAX_STREAM_NAME_BYTES} bytes"
        )));
    }
    if events.is_empty() {
        return Err(StoreError::InvalidAppend("no events".into()));
    }
    if events.len() > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::InvalidAppend(format!(
            "at most {MAX_EVENTS_PER_APPEND} events per append"
        )));
    }
    Ok(())
}

/// Whether a stream at `actual` (-1: absent) satisfies `expected`.
pub(crate) fn version_matches(expected: ExpectedVersion, actual: i64) -> bool {
    match expected {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoStream => actual < 0,
        ExpectedVersion::StreamExists => actual >= 0,
        ExpectedVersion::Exact(v) => i64::try_from(v).is_ok_and(|v| v == actual),
    }
}

/// Decides whether stored rows `(event_id, stream, version, position)` found for the
/// ids of `events` are exactly an earlier identical append (then its result is
/// returned, making the retry a no-op) or a reuse of ids by another append.
pub(crate) fn match_earlier_append(
    stream: &str,
    events: &[NewEvent],
    rows: impl IntoIterator<Item = (Uuid, String, u64, Position)>,
) -> Result<AppendResult, StoreError> {
    let found: std::collections::HashMap<Uuid, (String, u64, Position)> = rows
        .into_iter()
        .map(|(id, s, v, p)| (id, (s, v, p)))
        .collect();
    let mut placed = Vec::with_capacity(events.len());
    for event in events {
        match found.get(&event.event_id) {
            Some((s, v, p)) if s == stream => placed.push((*v, *p)),
            _ => return Err(StoreError::EventIdReused),
        }
    }
    let consecutive = placed.windows(2).all(|w| w[1].0 == w[0].0 + 1);
    match (consecutive, placed.first(), placed.last()) {
        (true, Some(first), Some(last)) => Ok(AppendResult {
            stream_version: last.0,
            first_position: first.1,
            last_position: last.1,
        }),
        _ => Err(StoreError::EventIdReused),
    }
}

/// SQL stores positions and versions as signed 64-bit integers, never negative.
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The inverse of [`to_u64`], saturating for limits like "read everything".
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The columns every backend's SQL reads an event from.
pub(crate) const EVENT_COLUMNS: &str = "position, event_id, stream_id, stream_version, event_type, \
    schema_version, data, metadata, recorded_at, prev_hash, hash";

/// The SQL both SQL backends read a stream with (`$1` stream, `$2` first version,
/// `$3` limit; SQLite accepts `$n` too) and the first version to bind.
pub(crate) fn read_stream_sql(direction: ReadDirection, from: StreamFrom) -> (String, i64) {
    let (comparison, order, edge) = match direction {
        ReadDirection::Forwards => (">=", "ASC", 0),
        ReadDirection::Backwards => ("<=", "DESC", i64::MAX),
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version {comparison} $2 \
         ORDER BY stream_version {order} LIMIT $3"
    );
    let from = match from {
        StreamFrom::Version(v) => to_i64(v),
        StreamFrom::Edge => edge,
    };
    (sql, from)
}
