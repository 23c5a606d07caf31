//! The KurrentDB (formerly EventStoreDB) backend: the cluster backend of the event
//! log, for deployments that run a replicated KurrentDB instead of the embedded
//! SQLite file or PostgreSQL.
//!
//! No KurrentDB/EventStoreDB server can be installed on the machines this project is
//! developed and tested on; this backend compiles always and its conformance tests
//! run only where `KURRENTDB_URL` points at a real server.
//!
//! How our model maps onto Kurrent's:
//!
//! - A stream is the Kurrent stream of the same name; our stream version is its
//!   stream revision (both count from 0).
//! - Our global [`Position`] is the event's commit position in `$all`. Events not
//!   written in explicit transactions (we never use them) each have their own.
//! - The event's data is our `data` JSON text, byte for byte, with the JSON content
//!   type; its type and id are ours. Kurrent's custom metadata holds the rest as a
//!   JSON object `{"schemaVersion", "metadata", "prevHash", "hash", "recordedAt"}`,
//!   with `metadata` kept as a string so that the exact text that was hashed
//!   survives the round trip (and `recordedAt` because Kurrent's own timestamp
//!   reaches the client with whole seconds only).
//! - System events (in `$` streams, or of `$` types) are never returned. Every
//!   other event must have been written by this backend: the database is this
//!   log's alone, and a foreign event reads as [`StoreError::Corrupt`].
//!
//! Kurrent knows nothing of our hash chain, so the append computes it: it reads the
//! stream's last event, chains the new events onto its hash, and appends with that
//! exact revision as the expected one. If another writer got in between, Kurrent
//! refuses the append and we read again and retry.
//!
//! Requirements: KurrentDB, or EventStoreDB 22.6 or later (older servers do not
//! report `$all` positions on stream reads), reached with the default node
//! preference (the leader).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, EventData, ReadAllOptions, ReadStreamOptions,
    ResolvedEvent, StreamPosition, StreamState, SubscribeToAllOptions, SubscriptionFilter,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use super::chain::{self, HashInput};
use super::{
    AppendResult, EventFilter, EventStore, EventStream, ExpectedVersion, NewEvent, Position,
    ReadDirection, RecordedEvent, StoreError, StreamFrom, SubscriptionStart, match_earlier_append,
    validate_append, version_matches,
};

/// How often an append re-reads the stream after losing a race to another writer.
const MAX_APPEND_ATTEMPTS: usize = 20;
/// Fewest latest events of a stream searched for the ids of a repeated append.
const IDEMPOTENCY_WINDOW: usize = 100;
/// Events buffered for a slow subscriber before the subscription waits.
const BUFFER: usize = 1024;

/// The KurrentDB event store. Clones share one connection.
#[derive(Clone)]
pub struct KurrentEventStore {
    client: Client,
    /// Set by [`EventStore::close`]; subscriptions watch it.
    closed: Arc<watch::Sender<bool>>,
}

/// What we keep in Kurrent's custom metadata of each event.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredMetadata {
    schema_version: u32,
    /// Our metadata as the exact JSON text that was hashed.
    metadata: String,
    prev_hash: String,
    hash: String,
    recorded_at: DateTime<Utc>,
}

impl KurrentEventStore {
    /// Connects to the server or cluster at `url` (`kurrentdb://…` or `esdb://…`,
    /// with `+discover` for DNS discovery) and checks that it answers.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the string does not parse, when called outside
    /// a Tokio runtime, or when no node answers.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let settings = url.parse::<ClientSettings>().map_err(|e| {
            // The error's own text repeats the whole string, password included.
            let why = e
                .error()
                .map_or_else(|| e.message().to_owned(), ToString::to_string);
            StoreError::Backend(format!("invalid KurrentDB connection string: {why}"))
        })?;
        // `Client::new` would panic outside a runtime; this way it is an error.
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| StoreError::Backend(format!("KurrentDB client: {e}")))?;
        let client = Client::with_runtime_handle(runtime, settings)
            .map_err(|e| StoreError::Backend(format!("KurrentDB client: {e:#}")))?;
        // The client connects lazily; fail here rather than at the first append.
        client.server_info().await.map_err(backend)?;
        Ok(Self {
            client,
            closed: Arc::new(watch::channel(false).0),
        })
    }

    fn check_open(&self) -> Result<(), StoreError> {
        if *self.closed.borrow() {
            Err(closed_error())
        } else {
            Ok(())
        }
    }

    /// Reads one stream with `options`; an absent or deleted stream reads as empty.
    async fn read_with(
        &self,
        stream: &str,
        options: &ReadStreamOptions,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut read = match self.client.read_stream(stream, options).await {
            Ok(read) => read,
            Err(kurrentdb::Error::ResourceNotFound | kurrentdb::Error::ResourceDeleted) => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(backend(e)),
        };
        let mut events = Vec::new();
        loop {
            match read.next().await {
                Ok(Some(event)) => events.push(to_recorded(&event)?),
                Ok(None) => return Ok(events),
                Err(kurrentdb::Error::ResourceNotFound | kurrentdb::Error::ResourceDeleted) => {
                    return Ok(events);
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    /// Reads up to `max` non-system events of `$all` beyond `cursor`: after it
    /// forwards, before it backwards (`None`: from the start or the end).
    async fn scan_all(
        &self,
        backwards: bool,
        mut cursor: Option<Position>,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut out = Vec::new();
        while out.len() < max {
            // One more than needed: a read from a position may return the event at
            // that position again, and each full page must move the cursor.
            let want = (max - out.len()).saturating_add(1);
            let from = match cursor {
                Some(p) => StreamPosition::Position(kurrent_position(p)),
                None if backwards => StreamPosition::End,
                None => StreamPosition::Start,
            };
            let options = ReadAllOptions::default()
                .position(from)
                .filter(SubscriptionFilter::on_stream_name().exclude_system_events())
                .max_count(want);
            let options = if backwards {
                options.backwards()
            } else {
                options.forwards()
            };
            let mut read = self.client.read_all(&options).await.map_err(backend)?;
            let mut seen = 0;
            while let Some(event) = read.next().await.map_err(backend)? {
                seen += 1;
                let Some(raw) = event.event.as_ref() else {
                    continue;
                };
                let p = raw.position.commit;
                let beyond = cursor.is_none_or(|c| if backwards { p < c } else { p > c });
                if !beyond {
                    continue;
                }
                cursor = Some(p);
                if !is_system(raw) && out.len() < max {
                    out.push(to_recorded(&event)?);
                }
            }
            // A short page means the end of the log.
            if seen < want {
                break;
            }
        }
        Ok(out)
    }

    /// The result of an earlier append of the same events, if the stream's latest
    /// events (`tail`, newest first) hold any of their ids.
    fn earlier_append(
        stream: &str,
        events: &[NewEvent],
        tail: &[RecordedEvent],
    ) -> Option<Result<AppendResult, StoreError>> {
        let rows: Vec<_> = tail
            .iter()
            .filter(|stored| events.iter().any(|e| e.event_id == stored.event_id))
            .map(|e| {
                (
                    e.event_id,
                    e.stream_id.clone(),
                    e.stream_version,
                    e.position,
                )
            })
            .collect();
        (!rows.is_empty()).then(|| match_earlier_append(stream, events, rows))
    }

    /// The global position of the event at `version` of `stream`, which must have
    /// the id `event_id` (read back from the leader right after appending it).
    async fn position_of(
        &self,
        stream: &str,
        version: u64,
        event_id: uuid::Uuid,
    ) -> Result<Position, StoreError> {
        let options = ReadStreamOptions::default()
            .position(StreamPosition::Position(version))
            .forwards()
            .max_count(1)
            .requires_leader(true);
        match self.read_with(stream, &options).await?.first() {
            Some(e) if e.stream_version == version && e.event_id == event_id => Ok(e.position),
            _ => Err(StoreError::Backend(format!(
                "appended event {event_id} not found at {stream}@{version}"
            ))),
        }
    }
}

#[async_trait]
impl EventStore for KurrentEventStore {
    fn backend(&self) -> &'static str {
        "kurrentdb"
    }

    async fn append_to_stream(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        validate_append(stream, &events)?;
        // Kurrent reserves these for its own streams and events; ours would vanish
        // from `read_all` and subscriptions, which skip system events.
        if stream.starts_with('$') || events.iter().any(|e| e.event_type.starts_with('$')) {
            return Err(StoreError::InvalidAppend(
                "stream names and event types starting with '$' are reserved by KurrentDB".into(),
            ));
        }
        self.check_open()?;
        // The exact texts that are hashed and stored.
        let texts = events
            .iter()
            .map(|e| {
                Ok((
                    serde_json::to_string(&e.data)?,
                    serde_json::to_string(&e.metadata)?,
                ))
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| StoreError::InvalidAppend(e.to_string()))?;
        let tail_options = ReadStreamOptions::default()
            .position(StreamPosition::End)
            .backwards()
            .max_count(events.len().max(IDEMPOTENCY_WINDOW))
            .requires_leader(true);

        for attempt in 1..=MAX_APPEND_ATTEMPTS {
            let tail = self.read_with(stream, &tail_options).await?;
            if let Some(earlier) = Self::earlier_append(stream, &events, &tail) {
                return earlier;
            }
            let last = tail.first();
            let actual = last.map_or(-1, |e| i64::try_from(e.stream_version).unwrap_or(i64::MAX));
            if !version_matches(expected, actual) {
                return Err(StoreError::WrongExpectedVersion {
                    stream: stream.to_owned(),
                    expected,
                    actual,
                });
            }

            let first_version = last.map_or(0, |e| e.stream_version + 1);
            let mut prev_hash =
                last.map_or_else(|| chain::GENESIS_HASH.to_owned(), |e| e.hash.clone());
            let recorded_at = Utc::now();
            let mut proposed = Vec::with_capacity(events.len());
            for (i, (event, (data, metadata))) in events.iter().zip(&texts).enumerate() {
                let hash = chain::event_hash(&HashInput {
                    prev_hash: &prev_hash,
                    stream_id: stream,
                    stream_version: first_version + i as u64,
                    event_id: event.event_id,
                    event_type: &event.event_type,
                    schema_version: event.schema_version,
                    data,
                    metadata,
                });
                let stored = StoredMetadata {
                    schema_version: event.schema_version,
                    metadata: metadata.clone(),
                    prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                    hash,
                    recorded_at,
                };
                // `EventData::json` serializes `data` again, with the same serde_json
                // call that produced the hashed text, so the bytes are identical.
                let data = EventData::json(&event.event_type, &event.data)
                    .and_then(|d| d.metadata_as_json(&stored))
                    .map_err(|e| StoreError::InvalidAppend(e.to_string()))?
                    .id(event.event_id);
                proposed.push(data);
            }

            let state = last.map_or(StreamState::NoStream, |e| {
                StreamState::StreamRevision(e.stream_version)
            });
            let options = AppendToStreamOptions::default().stream_state(state);
            match self
                .client
                .append_to_stream(stream, &options, proposed)
                .await
            {
                Ok(_) => {
                    let last_version = first_version + events.len() as u64 - 1;
                    let first_position = self
                        .position_of(stream, first_version, events[0].event_id)
                        .await?;
                    let last_position = match events.last() {
                        Some(e) if events.len() > 1 => {
                            self.position_of(stream, last_version, e.event_id).await?
                        }
                        _ => first_position,
                    };
                    return Ok(AppendResult {
                        stream_version: last_version,
                        first_position,
                        last_position,
                    });
                }
                // Someone appended since we read. Reading again settles it for every
                // `expected`: an exact version or "no stream" now fails the check
                // above with the actual version (unless that someone was this same
                // append, retried, which is then found as the earlier append); "any"
                // and "exists" chain onto the new last event.
                Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => {
                    tracing::debug!(stream, attempt, %current, "lost an append race; re-reading the stream");
                }
                Err(e) => return Err(backend(e)),
            }
        }
        Err(StoreError::Backend(format!(
            "stream {stream}: gave up after {MAX_APPEND_ATTEMPTS} appends lost to concurrent writers"
        )))
    }

    async fn read_stream(
        &self,
        stream: &str,
        direction: ReadDirection,
        from: StreamFrom,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.check_open()?;
        if max_count == 0 {
            return Ok(Vec::new());
        }
        let position = match (from, direction) {
            (StreamFrom::Version(v), _) => StreamPosition::Position(v),
            (StreamFrom::Edge, ReadDirection::Forwards) => StreamPosition::Start,
            (StreamFrom::Edge, ReadDirection::Backwards) => StreamPosition::End,
        };
        // `position` sets a direction for the edges, so the direction comes after.
        let options = ReadStreamOptions::default()
            .position(position)
            .max_count(max_count);
        let options = match direction {
            ReadDirection::Forwards => options.forwards(),
            ReadDirection::Backwards => options.backwards(),
        };
        self.read_with(stream, &options).await
    }

    async fn read_all(
        &self,
        after: Position,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.check_open()?;
        self.scan_all(false, Some(after), max_count).await
    }

    async fn head_position(&self) -> Result<Position, StoreError> {
        self.check_open()?;
        let last = self.scan_all(true, None, 1).await?;
        Ok(last.first().map_or(0, |e| e.position))
    }

    fn subscribe_to_all(&self, start: SubscriptionStart, filter: EventFilter) -> EventStream {
        let (tx, rx) = mpsc::channel(BUFFER);
        let store = self.clone();
        tokio::spawn(async move {
            // The client has `unreachable!`s on unexpected server messages: a panic
            // must end the stream with an error, not as if it were complete.
            let feeder = tokio::spawn(feed(store, start, filter, tx.clone()));
            if feeder.await.is_err() {
                let failed = StoreError::Backend("the KurrentDB subscription task failed".into());
                let _ = tx.send(Err(failed)).await;
            }
        });
        ReceiverStream::new(rx).boxed()
    }

    async fn close(&self) {
        // The client has no close of its own; its connection ends with its last clone.
        self.closed.send_replace(true);
    }
}

/// Runs one subscription, sending its events to `tx` until the receiver is dropped,
/// the store is closed or the subscription fails.
async fn feed(
    store: KurrentEventStore,
    start: SubscriptionStart,
    filter: EventFilter,
    tx: mpsc::Sender<Result<RecordedEvent, StoreError>>,
) {
    let mut closed = store.closed.subscribe();
    if *closed.borrow_and_update() {
        let _ = tx.send(Err(closed_error())).await;
        return;
    }
    let (from, mut last) = match start {
        SubscriptionStart::Beginning | SubscriptionStart::After(0) => (StreamPosition::Start, 0),
        SubscriptionStart::After(p) => (StreamPosition::Position(kurrent_position(p)), p),
        SubscriptionStart::End => (StreamPosition::End, 0),
    };
    let options = SubscribeToAllOptions::default()
        .position(from)
        .filter(server_filter(&filter));
    let mut subscription = store.client.subscribe_to_all(&options).await;
    loop {
        let next = tokio::select! {
            next = subscription.next() => next,
            () = tx.closed() => return,
            _ = closed.changed() => Err(kurrentdb::Error::ConnectionClosed),
        };
        let event = match next {
            Ok(event) => event,
            Err(e) => {
                let e = if *closed.borrow() {
                    closed_error()
                } else {
                    backend(e)
                };
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let Some(raw) = event.event.as_ref() else {
            continue;
        };
        // Subscriptions from a position exclude it already; this also guards
        // against the server ever repeating an event.
        if is_system(raw) || raw.position.commit <= last {
            continue;
        }
        last = raw.position.commit;
        let item = to_recorded(&event);
        let failed = item.is_err();
        if item.as_ref().is_ok_and(|e| !filter.matches(e)) {
            continue;
        }
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}

/// The server-side part of `filter`: Kurrent filters on one kind only, by prefix, so
/// stream prefixes win over event types and our side applies the whole filter again
/// (event types must match exactly, not by prefix).
fn server_filter(filter: &EventFilter) -> SubscriptionFilter {
    if !filter.stream_prefixes.is_empty() {
        filter.stream_prefixes.iter().fold(
            SubscriptionFilter::on_stream_name(),
            SubscriptionFilter::add_prefix,
        )
    } else if !filter.event_types.is_empty() {
        filter.event_types.iter().fold(
            SubscriptionFilter::on_event_type(),
            SubscriptionFilter::add_prefix,
        )
    } else {
        SubscriptionFilter::on_stream_name().exclude_system_events()
    }
}

/// Our event from Kurrent's, checking the stored form.
fn to_recorded(event: &ResolvedEvent) -> Result<RecordedEvent, StoreError> {
    let raw = event
        .event
        .as_ref()
        .ok_or_else(|| StoreError::Corrupt("a read returned a link without its event".into()))?;
    let at = || format!("{}@{}", raw.stream_id(), raw.revision);
    // Servers before EventStoreDB 22.6 send this instead of the position on stream reads.
    if raw.position.commit == u64::MAX {
        return Err(StoreError::Backend(format!(
            "the server reported no $all position for {}; KurrentDB or EventStoreDB 22.6+ is required",
            at()
        )));
    }
    let data = std::str::from_utf8(&raw.data)
        .map_err(|e| StoreError::Corrupt(format!("{}: data is not UTF-8: {e}", at())))?;
    let stored: StoredMetadata = serde_json::from_slice(&raw.custom_metadata)
        .map_err(|e| StoreError::Corrupt(format!("{}: custom metadata: {e}", at())))?;
    Ok(RecordedEvent {
        event_id: raw.id,
        stream_id: raw.stream_id().to_owned(),
        stream_version: raw.revision,
        position: raw.position.commit,
        event_type: raw.event_type.clone(),
        schema_version: stored.schema_version,
        data: data.to_owned(),
        metadata: stored.metadata,
        recorded_at: stored.recorded_at,
        prev_hash: stored.prev_hash,
        hash: stored.hash,
    })
}

/// Kurrent's own events (`$stats-…`, `$$…` metadata streams, `$>` links, …).
fn is_system(event: &kurrentdb::RecordedEvent) -> bool {
    event.stream_id().starts_with('$') || event.event_type.starts_with('$')
}

/// The `$all` position of the event whose commit position is `p`.
fn kurrent_position(p: Position) -> kurrentdb::Position {
    kurrentdb::Position {
        commit: p,
        prepare: p,
    }
}

fn backend(e: kurrentdb::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn closed_error() -> StoreError {
    StoreError::Backend("the event store is closed".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_metadata_keeps_the_exact_texts() {
        let stored = StoredMetadata {
            schema_version: 2,
            metadata: r#"{"z":1,"a":"x"}"#.into(),
            prev_hash: chain::GENESIS_HASH.into(),
            hash: "ab".into(),
            recorded_at: DateTime::parse_from_rfc3339("2025-01-02T03:04:05.123456789Z")
                .unwrap()
                .to_utc(),
        };
        let json = serde_json::to_value(&stored).unwrap();
        assert_eq!(json["schemaVersion"], 2);
        assert_eq!(json["metadata"], r#"{"z":1,"a":"x"}"#);
        assert_eq!(json["prevHash"], chain::GENESIS_HASH);
        assert_eq!(json["hash"], "ab");
        assert!(json["recordedAt"].is_string());
        let back: StoredMetadata = serde_json::from_value(json).unwrap();
        assert_eq!(back.metadata, stored.metadata);
        assert_eq!(back.recorded_at, stored.recorded_at);
    }

    #[tokio::test]
    async fn a_bad_connection_string_fails_without_showing_the_password() {
        for url in [
            "postgres://admin:s3cret@localhost:2113",
            "kurrentdb://admin:s3cret@localhost:notaport",
        ] {
            match KurrentEventStore::connect(url).await {
                Err(StoreError::Backend(msg)) => assert!(!msg.contains("s3cret"), "{msg}"),
                Err(e) => panic!("unexpected error {e}"),
                Ok(_) => panic!("{url} was accepted"),
            }
        }
    }

    #[tokio::test]
    async fn connecting_to_no_server_fails_promptly() {
        let started = std::time::Instant::now();
        let result = KurrentEventStore::connect("kurrentdb://127.0.0.1:1?tls=false").await;
        assert!(matches!(result, Err(StoreError::Backend(_))));
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }
}
