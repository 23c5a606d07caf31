//! The PostgreSQL event log.
//!
//! An append is one call of the SQL function `altegon_append_events` (see
//! `sql/postgres.sql`): it reads the stream's head without a lock, checks the
//! expected version and idempotency, chains the hashes and inserts the events (the
//! unique stream-version index settles two appenders racing for the same version),
//! in one round trip. Appends waiting at the same moment are written in one
//! transaction (`postgres_group`), so concurrent appenders share one commit.
//!
//! Positions come from transaction ids, and readers stop below the oldest running
//! transaction: an event whose transaction commits late can never appear behind a
//! position a subscriber has already passed (the sequence-gap problem). Appends in
//! this process wake its subscribers at once; others are seen by polling.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Postgres;
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use tokio::sync::watch;

use super::{
    AppendResult, EVENT_COLUMNS, EventFilter, EventStore, EventStream, ExpectedVersion, NewEvent,
    Position, ReadDirection, RecordedEvent, StoreError, StreamFrom, StreamHead, SubscriptionStart,
    read_stream_sql, subscription, to_i64, to_u64, validate_append,
};

use super::postgres_group::{GroupCommit, Written};

const SCHEMA: &str = include_str!("sql/postgres.sql");
/// Attempts of an unconditional append that keeps losing races for its stream.
const MAX_RACE_RETRIES: u32 = 20;
/// How often subscribers look for appends made by other processes.
const POLL: Duration = Duration::from_millis(100);

/// The PostgreSQL event store; clones share one pool.
#[derive(Clone)]
pub struct PostgresEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    head: watch::Sender<Position>,
    group: GroupCommit,
}

impl PostgresEventStore {
    /// Connects to `url` and creates the schema when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = crate::pool::pool_options::<Postgres>(max_connections)
            .connect(url)
            .await?;
        Self::with_pool(pool).await
    }

    /// Uses an existing pool; creates the schema when missing.
    pub async fn with_pool(pool: PgPool) -> Result<Self, StoreError> {
        let mut conn = pool.acquire().await?;
        // Serialize schema set-up between processes starting together.
        sqlx::query("SELECT pg_advisory_lock(hashtext('altegon_event_store_schema'))")
            .execute(&mut *conn)
            .await?;
        let created = sqlx::raw_sql(SCHEMA).execute(&mut *conn).await;
        sqlx::query("SELECT pg_advisory_unlock(hashtext('altegon_event_store_schema'))")
            .execute(&mut *conn)
            .await?;
        created?;
        let (head, _) = watch::channel(0);
        let group = GroupCommit::start(pool.clone());
        Ok(Self {
            inner: Arc::new(Inner { pool, head, group }),
        })
    }

    /// The pool, for callers that append inside their own transaction.
    pub fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// Appends inside the caller's transaction (or connection): the events become
    /// visible when it commits. Subscribers of this process are not woken; they see
    /// the events at their next poll. One attempt: a lost race for the stream's next
    /// version is reported as `WrongExpectedVersion` (inside a transaction, which
    /// the lost race aborts, as a database error).
    pub async fn append_in(
        conn: &mut PgConnection,
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult, StoreError> {
        let append = PreparedAppend::new(stream, expected, events)?;
        append.alone(conn).await
    }
}

/// An append in the columns the SQL functions take.
pub(super) struct PreparedAppend {
    pub(super) stream: String,
    pub(super) expected: ExpectedVersion,
    pub(super) expected_code: i64,
    pub(super) ids: Vec<uuid::Uuid>,
    pub(super) types: Vec<String>,
    pub(super) schema_versions: Vec<i32>,
    pub(super) data: Vec<String>,
    pub(super) metadata: Vec<String>,
}

/// What `altegon_append_events` answers: status, the stream's version, positions.
pub(super) type AppendRow = (String, i64, Option<i64>, Option<i64>);

impl PreparedAppend {
    fn new(
        stream: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<Self, StoreError> {
        validate_append(stream, events)?;
        // -1 any, -2 no stream, -3 stream exists, n exact (as the SQL function reads it).
        let expected_code: i64 = match expected {
            ExpectedVersion::Any => -1,
            ExpectedVersion::NoStream => -2,
            ExpectedVersion::StreamExists => -3,
            ExpectedVersion::Exact(v) => i64::try_from(v)
                .map_err(|_| StoreError::InvalidAppend("expected version out of range".into()))?,
        };
        let schema_versions = events
            .iter()
            .map(|e| i32::try_from(e.schema_version))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| StoreError::InvalidAppend("schema version out of range".into()))?;
        Ok(Self {
            stream: stream.to_owned(),
            expected,
            expected_code,
            ids: events.iter().map(|e| e.event_id).collect(),
            types: events.iter().map(|e| e.event_type.clone()).collect(),
            schema_versions,
            data: events.iter().map(|e| e.data.to_string()).collect(),
            metadata: events.iter().map(|e| e.metadata.to_string()).collect(),
        })
    }

    /// Appends in its own statement on `conn`; a race lost to another appender
    /// is settled by looking at what that one wrote.
    pub(super) async fn alone(&self, conn: &mut PgConnection) -> Result<AppendResult, StoreError> {
        let called =
            sqlx::query_as("SELECT * FROM altegon_append_events($1, $2, $3, $4, $5, $6, $7)")
                .bind(&self.stream)
                .bind(self.expected_code)
                .bind(&self.ids)
                .bind(&self.types)
                .bind(&self.schema_versions)
                .bind(&self.data)
                .bind(&self.metadata)
                .fetch_one(&mut *conn)
                .await;
        let row: AppendRow = match called {
            Ok(row) => row,
            // Another appender took the same version (or stored the same ids) first.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
                sqlx::query_as(
                    "SELECT * FROM altegon_earlier_append($1, $2, \
                     (SELECT COALESCE(max(version), -1) FROM event_streams WHERE stream_id = $1))",
                )
                .bind(&self.stream)
                .bind(&self.ids)
                .fetch_one(&mut *conn)
                .await?
            }
            Err(e) => return Err(e.into()),
        };
        self.result(row)
    }

    /// The append's result from its row.
    pub(super) fn result(
        &self,
        (status, current, first, last): AppendRow,
    ) -> Result<AppendResult, StoreError> {
        match (status.as_str(), first, last) {
            ("ok" | "duplicate", Some(first), Some(last)) => Ok(AppendResult {
                stream_version: to_u64(current),
                first_position: to_u64(first),
                last_position: to_u64(last),
            }),
            ("wrong_version", _, _) => Err(StoreError::WrongExpectedVersion {
                stream: self.stream.clone(),
                expected: self.expected,
                actual: current,
            }),
            ("id_reused", _, _) => Err(StoreError::EventIdReused),
            (other, _, _) => Err(StoreError::Backend(format!(
                "unexpected append status {other}"
            ))),
        }
    }
}

#[async_trait]
impl EventStore for PostgresEventStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn append_to_stream(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        let append = Arc::new(PreparedAppend::new(stream, expected, &events)?);
        let mut attempts = 0;
        let result = loop {
            attempts += 1;
            let outcome = match self.inner.group.write(append.clone()).await {
                Written::Done(result) => result,
                Written::Alone => {
                    let mut conn = self.inner.pool.acquire().await?;
                    append.alone(&mut conn).await
                }
            };
            match outcome {
                // Lost a race for the next version: without a version to hold to, try again.
                Err(StoreError::WrongExpectedVersion { actual, .. })
                    if attempts < MAX_RACE_RETRIES
                        && (expected == ExpectedVersion::Any
                            || (expected == ExpectedVersion::StreamExists && actual >= 0)) => {}
                other => break other?,
            }
        };
        self.inner.head.send_if_modified(|h| {
            let newer = result.last_position > *h;
            *h = (*h).max(result.last_position);
            newer
        });
        Ok(result)
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
            .fetch_all(&self.inner.pool)
            .await?;
        rows.iter().map(recorded_from_row).collect()
    }

    async fn read_all(
        &self,
        after: Position,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position < altegon_stable_bound() \
             ORDER BY position LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(to_i64(after))
            .bind(to_i64(max_count as u64))
            .fetch_all(&self.inner.pool)
            .await?;
        rows.iter().map(recorded_from_row).collect()
    }

    async fn head_position(&self) -> Result<Position, StoreError> {
        let head: Option<i64> = sqlx::query_scalar(
            "SELECT max(position) FROM events WHERE position < altegon_stable_bound()",
        )
        .fetch_one(&self.inner.pool)
        .await?;
        Ok(head.map_or(0, to_u64))
    }

    fn subscribe_to_all(&self, start: SubscriptionStart, filter: EventFilter) -> EventStream {
        subscription::spawn(
            self.clone(),
            start,
            filter,
            self.inner.head.subscribe(),
            POLL,
        )
    }

    async fn recorded_stream_heads(&self) -> Result<Option<Vec<StreamHead>>, StoreError> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT stream_id, version, last_hash FROM event_streams WHERE version >= 0 ORDER BY stream_id",
        )
        .fetch_all(&self.inner.pool)
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
        self.inner.pool.close().await;
    }
}

fn recorded_from_row(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let corrupt = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    Ok(RecordedEvent {
        position: to_u64(row.try_get("position").map_err(corrupt)?),
        event_id: row.try_get("event_id").map_err(corrupt)?,
        stream_id: row.try_get("stream_id").map_err(corrupt)?,
        stream_version: to_u64(row.try_get("stream_version").map_err(corrupt)?),
        event_type: row.try_get("event_type").map_err(corrupt)?,
        schema_version: u32::try_from(row.try_get::<i32, _>("schema_version").map_err(corrupt)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        data: row.try_get("data").map_err(corrupt)?,
        metadata: row.try_get("metadata").map_err(corrupt)?,
        recorded_at: row.try_get("recorded_at").map_err(corrupt)?,
        prev_hash: row.try_get("prev_hash").map_err(corrupt)?,
        hash: row.try_get("hash").map_err(corrupt)?,
    })
}
