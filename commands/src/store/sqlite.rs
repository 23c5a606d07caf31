//! The embedded event log: one SQLite file in WAL mode.
//!
//! All appends go through one writer task. It takes every append that is waiting,
//! writes them in one `BEGIN IMMEDIATE` transaction and commits once (group
//! commit), so many concurrent appenders share one fsync. Reads use a separate pool
//! of connections; WAL lets them run beside the writer. Positions are assigned by
//! the writer while it holds the write lock, so they commit in order and
//! `read_all` never needs to wait for a gap.
//!
//! One server process should own the file; other processes (the CLI's `events tail`,
//! `audit verify`) may read it at the same time and see new events by polling.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Connection, Row};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::chain::{self, HashInput};
use super::{
    AppendResult, EVENT_COLUMNS, EventFilter, EventStore, EventStream, ExpectedVersion, NewEvent,
    Position, ReadDirection, RecordedEvent, StoreError, StreamFrom, StreamHead, SubscriptionStart,
    read_stream_sql, subscription, to_i64, to_u64, validate_append, version_matches,
};

const SCHEMA: &str = include_str!("sql/sqlite.sql");
/// Appends written in one transaction at most.
const MAX_BATCH: usize = 512;
/// Rows per multi-row `INSERT` (11 parameters each, under SQLite's limit).
const ROWS_PER_INSERT: usize = 500;
/// How often subscribers look for appends made by other processes.
const POLL: Duration = Duration::from_millis(250);

/// The SQLite event store; clones share one writer.
#[derive(Clone)]
pub struct SqliteEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    reader: SqlitePool,
    writer: Mutex<Option<mpsc::Sender<AppendRequest>>>,
    writer_task: Mutex<Option<JoinHandle<()>>>,
    head: watch::Receiver<Position>,
}

struct AppendRequest {
    stream: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<AppendResult, StoreError>>,
}

/// One append's outcome inside a batch: a refusal leaves the batch intact.
type Outcome = Result<AppendResult, StoreError>;

impl SqliteEventStore {
    /// Opens (or creates) the log at `path`.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30));
        let mut writer = SqliteConnection::connect_with(&options).await?;
        sqlx::raw_sql(SCHEMA).execute(&mut writer).await?;
        let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&mut writer)
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let (head_tx, head_rx) = watch::channel(to_u64(head));
        let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
        let task = tokio::spawn(run_writer(writer, rx, head_tx));
        Ok(Self {
            inner: Arc::new(Inner {
                reader,
                writer: Mutex::new(Some(tx)),
                writer_task: Mutex::new(Some(task)),
                head: head_rx,
            }),
        })
    }

    fn sender(&self) -> Option<mpsc::Sender<AppendRequest>> {
        self.inner.writer.lock().ok().and_then(|w| w.clone())
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn append_to_stream(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        validate_append(stream, &events)?;
        let closed = || StoreError::Backend("the event store is closed".into());
        let sender = self.sender().ok_or_else(closed)?;
        let (reply, answer) = oneshot::channel();
        let request = AppendRequest {
            stream: stream.to_owned(),
            expected,
            events,
            reply,
        };
        sender.send(request).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    async fn read_stream(
        &self,
        stream: &str,
        direction: ReadDirection,
        from: StreamFrom,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let (sql, from) = read_stream_sql(direction, from);
        let rows = sqlx::query(&sql)
            .bind(stream)
            .bind(from)
            .bind(to_i64(max_count as u64))
            .fetch_all(&self.inner.reader)
            .await?;
        rows.iter().map(recorded_from_row).collect()
    }

    async fn read_all(
        &self,
        after: Position,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(to_i64(after))
            .bind(to_i64(max_count as u64))
            .fetch_all(&self.inner.reader)
            .await?;
        rows.iter().map(recorded_from_row).collect()
    }

    async fn head_position(&self) -> Result<Position, StoreError> {
        let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&self.inner.reader)
            .await?;
        Ok(to_u64(head))
    }

    fn subscribe_to_all(&self, start: SubscriptionStart, filter: EventFilter) -> EventStream {
        subscription::spawn(self.clone(), start, filter, self.inner.head.clone(), POLL)
    }

    async fn recorded_stream_heads(&self) -> Result<Option<Vec<StreamHead>>, StoreError> {
        let rows: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT stream_id, version, last_hash FROM streams ORDER BY stream_id")
                .fetch_all(&self.inner.reader)
                .await?;
        Ok(Some(
            rows.into_iter()
                .map(|(stream_id, version, hash)| StreamHead {
                    stream_id,
                    version: to_u64(version),
                    hash,
                })
                .collect(),
        ))
    }

    async fn close(&self) {
        let sender = self.inner.writer.lock().ok().and_then(|mut w| w.take());
        drop(sender);
        let task = self
            .inner
            .writer_task
            .lock()
            .ok()
            .and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
        self.inner.reader.close().await;
    }
}

/// The writer loop: gathers waiting appends into one transaction.
async fn run_writer(
    conn: SqliteConnection,
    mut requests: mpsc::Receiver<AppendRequest>,
    head: watch::Sender<Position>,
) {
    let mut writer = Writer {
        conn,
        heads: HashMap::new(),
        data_version: None,
    };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Every append waiting, up to MAX_BATCH; none only once the store is gone.
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes = match writer.write_batch(&batch, false).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                // A retried append (event ids already stored) or a database error:
                // redo each append alone, checking ids, so one cannot fail the others.
                tracing::debug!(error = %e, size = batch.len(), "group commit failed; retrying appends one by one");
                writer.abandon().await;
                let mut outcomes = Vec::with_capacity(batch.len());
                for request in &batch {
                    let outcome = match writer
                        .write_batch(std::slice::from_ref(request), true)
                        .await
                    {
                        Ok(mut single) => single.pop().unwrap_or_else(|| {
                            Err(StoreError::Backend("append produced no outcome".into()))
                        }),
                        Err(e) => {
                            writer.abandon().await;
                            Err(StoreError::from(e))
                        }
                    };
                    outcomes.push(outcome);
                }
                outcomes
            }
        };
        let mut newest = None;
        for (request, outcome) in batch.drain(..).zip(outcomes) {
            if let Ok(result) = &outcome {
                newest = newest.max(Some(result.last_position));
            }
            let _ = request.reply.send(outcome);
        }
        if let Some(p) = newest {
            head.send_if_modified(|h| {
                let newer = p > *h;
                *h = (*h).max(p);
                newer
            });
        }
    }
    let _ = writer.conn.close().await;
}

/// The one writing connection and what it remembers of stream heads. The cache
/// is dropped whenever another connection has committed (`PRAGMA data_version`).
struct Writer {
    conn: SqliteConnection,
    heads: HashMap<String, (i64, String)>,
    data_version: Option<i64>,
}

/// One row of the `events` table, ready to insert.
struct EventRow {
    position: i64,
    event_id: Uuid,
    stream: String,
    version: i64,
    event_type: String,
    schema_version: i64,
    data: String,
    metadata: String,
    prev_hash: String,
    hash: String,
}

impl Writer {
    async fn abandon(&mut self) {
        let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
        self.heads.clear();
        self.data_version = None;
    }

    /// Whether the append's first event id is already stored.
    async fn stored(&mut self, request: &AppendRequest) -> Result<bool, sqlx::Error> {
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT position FROM events WHERE event_id = ?")
                .bind(request.events[0].event_id)
                .fetch_optional(&mut self.conn)
                .await?;
        Ok(seen.is_some())
    }

    /// The stream's newest version and hash (-1 and the genesis hash when absent).
    async fn head(&mut self, stream: &str) -> Result<(i64, String), sqlx::Error> {
        if let Some(head) = self.heads.get(stream) {
            return Ok(head.clone());
        }
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT stream_version, hash FROM events WHERE stream_id = ? \
             ORDER BY stream_version DESC LIMIT 1",
        )
        .bind(stream)
        .fetch_optional(&mut self.conn)
        .await?;
        Ok(row.unwrap_or_else(|| (-1, chain::GENESIS_HASH.to_owned())))
    }

    /// Writes a batch in one transaction with one multi-row insert. The outer error
    /// is a database failure (the transaction is then abandoned); inner errors are
    /// refusals of single appends. Event ids are checked against earlier appends
    /// only when `check_ids`; otherwise a reused id fails the insert.
    async fn write_batch(
        &mut self,
        batch: &[AppendRequest],
        check_ids: bool,
    ) -> Result<Vec<Outcome>, sqlx::Error> {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut self.conn)
            .await?;
        let data_version: i64 = sqlx::query_scalar("PRAGMA data_version")
            .fetch_one(&mut self.conn)
            .await?;
        if self.data_version != Some(data_version) {
            self.heads.clear();
            self.data_version = Some(data_version);
        }
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
            .fetch_one(&mut self.conn)
            .await?;
        let mut next_position = last + 1;
        let mut rows = Vec::new();
        let mut touched: HashMap<String, (i64, String)> = HashMap::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        for request in batch {
            if check_ids && self.stored(request).await? {
                outcomes.push(earlier_append(&mut self.conn, request).await?);
                continue;
            }
            let (actual, mut prev_hash) = match touched.get(&request.stream) {
                Some(head) => head.clone(),
                None => self.head(&request.stream).await?,
            };
            if !version_matches(request.expected, actual) {
                // A retry of an append that landed also looks like a stale version.
                if !check_ids && self.stored(request).await? {
                    outcomes.push(earlier_append(&mut self.conn, request).await?);
                    continue;
                }
                outcomes.push(Err(StoreError::WrongExpectedVersion {
                    stream: request.stream.clone(),
                    expected: request.expected,
                    actual,
                }));
                continue;
            }
            let first_position = next_position;
            let mut version = actual;
            for event in &request.events {
                version += 1;
                let data = event.data.to_string();
                let metadata = event.metadata.to_string();
                let hash = chain::event_hash(&HashInput {
                    prev_hash: &prev_hash,
                    stream_id: &request.stream,
                    stream_version: to_u64(version),
                    event_id: event.event_id,
                    event_type: &event.event_type,
                    schema_version: event.schema_version,
                    data: &data,
                    metadata: &metadata,
                });
                rows.push(EventRow {
                    position: next_position,
                    event_id: event.event_id,
                    stream: request.stream.clone(),
                    version,
                    event_type: event.event_type.clone(),
                    schema_version: i64::from(event.schema_version),
                    data,
                    metadata,
                    prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                    hash,
                });
                next_position += 1;
            }
            touched.insert(request.stream.clone(), (version, prev_hash));
            outcomes.push(Ok(AppendResult {
                stream_version: to_u64(version),
                first_position: to_u64(first_position),
                last_position: to_u64(next_position - 1),
            }));
        }
        self.insert(&rows, &touched).await?;
        sqlx::query("COMMIT").execute(&mut self.conn).await?;
        self.heads.extend(touched);
        Ok(outcomes)
    }

    async fn insert(
        &mut self,
        rows: &[EventRow],
        heads: &HashMap<String, (i64, String)>,
    ) -> Result<(), sqlx::Error> {
        let recorded_at = Utc::now();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO events (position, event_id, stream_id, stream_version, event_type, \
                 schema_version, data, metadata, recorded_at, prev_hash, hash) VALUES {values}"
            );
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(row.position)
                    .bind(row.event_id)
                    .bind(&row.stream)
                    .bind(row.version)
                    .bind(&row.event_type)
                    .bind(row.schema_version)
                    .bind(&row.data)
                    .bind(&row.metadata)
                    .bind(recorded_at)
                    .bind(&row.prev_hash)
                    .bind(&row.hash);
            }
            query.execute(&mut self.conn).await?;
        }
        let heads: Vec<_> = heads.iter().collect();
        for chunk in heads.chunks(ROWS_PER_INSERT) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "INSERT INTO streams (stream_id, version, last_hash) VALUES {values} \
                 ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, \
                 last_hash = excluded.last_hash"
            );
            let mut query = sqlx::query(&sql);
            for (stream, (version, hash)) in chunk {
                query = query
                    .bind(stream.as_str())
                    .bind(*version)
                    .bind(hash.as_str());
            }
            query.execute(&mut self.conn).await?;
        }
        Ok(())
    }
}

/// The result of the earlier append of the same events, when this is a retry of it.
async fn earlier_append(
    conn: &mut SqliteConnection,
    request: &AppendRequest,
) -> Result<Outcome, sqlx::Error> {
    let placeholders = vec!["?"; request.events.len()].join(", ");
    let sql = format!(
        "SELECT event_id, stream_id, stream_version, position FROM events WHERE event_id IN ({placeholders})"
    );
    let mut query = sqlx::query_as::<_, (Uuid, String, i64, i64)>(&sql);
    for event in &request.events {
        query = query.bind(event.event_id);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(super::match_earlier_append(
        &request.stream,
        &request.events,
        rows.into_iter()
            .map(|(id, stream, version, position)| (id, stream, to_u64(version), to_u64(position))),
    ))
}

fn recorded_from_row(row: &SqliteRow) -> Result<RecordedEvent, StoreError> {
    let corrupt = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    Ok(RecordedEvent {
        position: to_u64(row.try_get("position").map_err(corrupt)?),
        event_id: row.try_get("event_id").map_err(corrupt)?,
        stream_id: row.try_get("stream_id").map_err(corrupt)?,
        stream_version: to_u64(row.try_get("stream_version").map_err(corrupt)?),
        event_type: row.try_get("event_type").map_err(corrupt)?,
        schema_version: u32::try_from(row.try_get::<i64, _>("schema_version").map_err(corrupt)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        data: row.try_get("data").map_err(corrupt)?,
        metadata: row.try_get("metadata").map_err(corrupt)?,
        recorded_at: row.try_get("recorded_at").map_err(corrupt)?,
        prev_hash: row.try_get("prev_hash").map_err(corrupt)?,
        hash: row.try_get("hash").map_err(corrupt)?,
    })
}
