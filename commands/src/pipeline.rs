//! The command pipeline: load stream → fold → decide → append with the expected
//! version; on a concurrent write, reload and decide again (bounded), then give up
//! with [`CommandError::Conflict`].
//!
//! With an `Idempotency-Key`, a command whose events are already in the stream (a
//! retry of a request that landed) returns the earlier outcome instead of deciding
//! again; [`CommandBus::claim_id`] makes retried creates target the same new id.

use std::fmt::Display;

use altegon_domain::idempotency::{Claim, IdempotencyClaim};
use altegon_domain::{Aggregate, DomainError, DomainEvent, ObjectId};
use chrono::Utc;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::metadata::{CommandContext, EventMetadata};
use crate::store::{
    ExpectedVersion, NewEvent, Position, ReadDirection, RecordedEvent, SharedEventStore,
    StoreError, StreamFrom,
};

/// Attempts per command before a conflict is reported.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// Events read per page when loading a stream.
const LOAD_PAGE: usize = 1000;

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A business rule refused it.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// Other writers kept changing the stream; the caller may retry.
    #[error("{stream} kept changing during {attempts} attempts")]
    Conflict {
        /// The contended stream.
        stream: String,
        /// How often it was tried.
        attempts: u32,
    },
    /// The event store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event could not be read back.
    #[error("stored event {event_id} cannot be read: {reason}")]
    Corrupt {
        /// The event.
        event_id: Uuid,
        /// Why.
        reason: String,
    },
    /// Work outside the store failed (e.g. password hashing).
    #[error("{0}")]
    Internal(String),
}

/// What a command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The stream written.
    pub stream: String,
    /// The events this command added (or, for a replayed retry, had added).
    pub events: Vec<DomainEvent>,
    /// The stream's version afterwards (`None`: the stream does not exist).
    pub stream_version: Option<u64>,
    /// The global position to wait for before reading this command's effects.
    pub position: Position,
    /// True when this was a retry of a command that had already landed.
    pub replayed: bool,
}

/// Runs commands against the event store.
#[derive(Clone)]
pub struct CommandBus {
    store: SharedEventStore,
    max_attempts: u32,
}

impl CommandBus {
    /// A bus over `store` with the default retry bound.
    pub fn new(store: SharedEventStore) -> Self {
        Self {
            store,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The store commands are appended to.
    pub fn store(&self) -> &SharedEventStore {
        &self.store
    }

    /// Runs `command` against the aggregate `A` with id `id`.
    #[tracing::instrument(skip_all, fields(stream), err(level = "debug"))]
    pub async fn execute<A: Aggregate>(
        &self,
        ctx: &CommandContext,
        id: impl Display,
        command: &A::Command,
    ) -> Result<Outcome, CommandError> {
        let stream = A::stream_name(id);
        tracing::Span::current().record("stream", stream.as_str());
        for _ in 0..self.max_attempts {
            let history = self.load(&stream).await?;
            if let Some(earlier) = earlier_outcome(ctx, &stream, &history)? {
                return Ok(earlier);
            }
            let past = decode_all(&history)?;
            let state = A::fold(&past);
            let new_events = A::decide(&state, command)?;
            let last = history.last();
            if new_events.is_empty() {
                return Ok(Outcome {
                    stream,
                    events: vec![],
                    stream_version: last.map(|e| e.stream_version),
                    position: last.map_or(0, |e| e.position),
                    replayed: false,
                });
            }
            let expected = last.map_or(ExpectedVersion::NoStream, |e| {
                ExpectedVersion::Exact(e.stream_version)
            });
            let metadata = ctx.event_metadata(Utc::now());
            let to_append = to_new_events(&new_events, &metadata)?;
            match self
                .store
                .append_to_stream(&stream, expected, to_append)
                .await
            {
                Ok(result) => {
                    metrics::counter!("altegon_events_appended_total")
                        .increment(new_events.len() as u64);
                    return Ok(Outcome {
                        stream,
                        events: new_events,
                        stream_version: Some(result.stream_version),
                        position: result.last_position,
                        replayed: false,
                    });
                }
                Err(StoreError::WrongExpectedVersion { .. }) => {
                    tokio::time::sleep(std::time::Duration::from_millis(rand::random_range(0..5)))
                        .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(CommandError::Conflict {
            stream,
            attempts: self.max_attempts,
        })
    }

    /// Runs a command whose rules do not depend on the stream's past (transcript
    /// lines, chat messages): decides against the empty state and appends without
    /// loading the stream or checking its version, so a long stream costs nothing.
    pub async fn append_independent<A: Aggregate>(
        &self,
        ctx: &CommandContext,
        id: impl Display,
        command: &A::Command,
    ) -> Result<Outcome, CommandError> {
        let stream = A::stream_name(id);
        let new_events = A::decide(&A::State::default(), command)?;
        if new_events.is_empty() {
            return Ok(Outcome {
                stream,
                events: vec![],
                stream_version: None,
                position: 0,
                replayed: false,
            });
        }
        let to_append = to_new_events(&new_events, &ctx.event_metadata(Utc::now()))?;
        let result = self
            .store
            .append_to_stream(&stream, ExpectedVersion::Any, to_append)
            .await?;
        metrics::counter!("altegon_events_appended_total").increment(new_events.len() as u64);
        Ok(Outcome {
            stream,
            events: new_events,
            stream_version: Some(result.stream_version),
            position: result.last_position,
            replayed: false,
        })
    }

    /// The id a create command should use: `proposed` normally; with an
    /// `Idempotency-Key`, the id the key was first used with, so a retried create
    /// does not make a second thing.
    pub async fn claim_id<A: Aggregate>(
        &self,
        ctx: &CommandContext,
        proposed: ObjectId,
    ) -> Result<ObjectId, CommandError> {
        let Some(key) = &ctx.idempotency_key else {
            return Ok(proposed);
        };
        let claim_key = claim_stream_key(ctx.actor.id.as_deref().unwrap_or(""), key);
        let claim = Claim {
            target_stream: A::stream_name(proposed),
            now: Utc::now(),
        };
        // The claim itself is not keyed: its decide is already idempotent.
        let plain = CommandContext {
            idempotency_key: None,
            request_digest: None,
            ..ctx.clone()
        };
        self.execute::<IdempotencyClaim>(&plain, &claim_key, &claim)
            .await?;
        let history = self
            .load(&IdempotencyClaim::stream_name(&claim_key))
            .await?;
        let state = IdempotencyClaim::fold(&decode_all(&history)?);
        let bound = state.target_stream.unwrap_or(claim.target_stream);
        let prefix = format!("{}-", A::STREAM_PREFIX);
        bound
            .strip_prefix(&prefix)
            .and_then(|id| id.parse().ok())
            .ok_or(CommandError::Rejected(DomainError::Conflict(
                "the Idempotency-Key was already used for a different kind of request",
            )))
    }

    /// Every event of `stream`, oldest first.
    pub async fn load(&self, stream: &str) -> Result<Vec<RecordedEvent>, CommandError> {
        let mut events = Vec::new();
        loop {
            let from = events.last().map_or(StreamFrom::Edge, |e: &RecordedEvent| {
                StreamFrom::Version(e.stream_version + 1)
            });
            let page = self
                .store
                .read_stream(stream, ReadDirection::Forwards, from, LOAD_PAGE)
                .await?;
            let done = page.len() < LOAD_PAGE;
            events.extend(page);
            if done {
                return Ok(events);
            }
        }
    }

    /// Loads and folds an aggregate without deciding anything.
    pub async fn state<A: Aggregate>(&self, id: impl Display) -> Result<A::State, CommandError> {
        let history = self.load(&A::stream_name(id)).await?;
        Ok(A::fold(&decode_all(&history)?))
    }
}

/// The key of the idempotency stream for `actor` and `key`.
fn claim_stream_key(actor: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(actor.as_bytes());
    h.update(b"\n");
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

/// Reads stored events back as domain events.
pub fn decode_all(history: &[RecordedEvent]) -> Result<Vec<DomainEvent>, CommandError> {
    history.iter().map(decode).collect()
}

/// Reads one stored event back as a domain event.
pub fn decode(event: &RecordedEvent) -> Result<DomainEvent, CommandError> {
    let corrupt = |reason: String| CommandError::Corrupt {
        event_id: event.event_id,
        reason,
    };
    let data = event.data_json().map_err(|e| corrupt(e.to_string()))?;
    DomainEvent::decode(&event.event_type, event.schema_version, data)
        .map_err(|e| corrupt(e.to_string()))
}

fn to_new_events(
    events: &[DomainEvent],
    metadata: &EventMetadata,
) -> Result<Vec<NewEvent>, CommandError> {
    let metadata =
        serde_json::to_value(metadata).map_err(|e| CommandError::Internal(e.to_string()))?;
    Ok(events
        .iter()
        .map(|event| {
            let encoded = event.encode();
            NewEvent {
                event_id: Uuid::now_v7(),
                event_type: encoded.event_type.to_owned(),
                schema_version: encoded.schema_version,
                data: encoded.data,
                metadata: metadata.clone(),
            }
        })
        .collect())
}

/// When the context carries an `Idempotency-Key` that this actor already used on
/// this stream, the outcome of that earlier command.
fn earlier_outcome(
    ctx: &CommandContext,
    stream: &str,
    history: &[RecordedEvent],
) -> Result<Option<Outcome>, CommandError> {
    let Some(key) = &ctx.idempotency_key else {
        return Ok(None);
    };
    let mut earlier: Vec<&RecordedEvent> = Vec::new();
    for event in history {
        let Ok(meta) = serde_json::from_str::<EventMetadata>(&event.metadata) else {
            continue;
        };
        if meta.idempotency_key.as_ref() == Some(key) && meta.actor_id == ctx.actor.id {
            if let (Some(then), Some(now)) = (&meta.request_digest, &ctx.request_digest)
                && then != now
            {
                return Err(CommandError::Rejected(DomainError::Conflict(
                    "the Idempotency-Key was already used with a different request",
                )));
            }
            earlier.push(event);
        }
    }
    let Some(last) = earlier.last() else {
        return Ok(None);
    };
    let events = earlier
        .iter()
        .map(|e| decode(e))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Outcome {
        stream: stream.to_owned(),
        events,
        stream_version: history.last().map(|e| e.stream_version),
        position: last.position,
        replayed: true,
    }))
}
