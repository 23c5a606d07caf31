//! Group commit for the PostgreSQL event log. Appends that wait at the same
//! moment are written together: one call of `altegon_append_batch`, one
//! transaction, one commit (and one WAL flush) for all of them, instead of one
//! each. A few writer tasks take turns at the queue, so a batch forms while the
//! others are writing (an append that finds nobody else waiting is written by
//! itself, as before). Each append keeps its own outcome: one that loses a race
//! inside a batch (or whose batch failed as a whole) is written alone afterwards
//! by its caller.

use std::sync::Arc;

use sqlx::postgres::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::postgres::{AppendRow, PreparedAppend};
use super::{AppendResult, StoreError};

/// Most appends in one batch: below the 64 subtransactions PostgreSQL tracks
/// per transaction without slowing every snapshot.
const MAX_BATCH: usize = 32;

/// Writer tasks, each with a connection of the pool while it writes.
const WRITERS: usize = 4;

/// Appends waiting to be written.
const QUEUE: usize = 1_024;

/// How an append in the queue came out.
pub(super) enum Written {
    /// Written (or refused: a version conflict, ids reused).
    Done(Result<AppendResult, StoreError>),
    /// Not written: the caller writes it alone (it lost a race for its stream
    /// inside the batch, or the batch failed as a whole).
    Alone,
}

struct Queued {
    append: Arc<PreparedAppend>,
    reply: oneshot::Sender<Written>,
}

/// The queue in front of the writer tasks; they end when it is dropped.
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Queued>,
}

impl GroupCommit {
    pub(super) fn start(pool: PgPool) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        let waiting = Arc::new(Mutex::new(waiting));
        for _ in 0..WRITERS {
            tokio::spawn(write_batches(pool.clone(), waiting.clone()));
        }
        Self { queue }
    }

    /// Queues `append` and waits for its turn.
    pub(super) async fn write(&self, append: Arc<PreparedAppend>) -> Written {
        let (reply, answer) = oneshot::channel();
        if self.queue.send(Queued { append, reply }).await.is_err() {
            return Written::Alone;
        }
        answer.await.unwrap_or(Written::Alone)
    }
}

async fn write_batches(pool: PgPool, waiting: Arc<Mutex<mpsc::Receiver<Queued>>>) {
    loop {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        // Every append waiting, up to MAX_BATCH; none only once the store is gone.
        if waiting.lock().await.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        if let [queued] = batch.as_slice() {
            let written = match pool.acquire().await {
                Ok(mut conn) => Written::Done(queued.append.alone(&mut conn).await),
                Err(e) => Written::Done(Err(e.into())),
            };
            if let Some(queued) = batch.pop() {
                let _ = queued.reply.send(written);
            }
            continue;
        }
        match write_batch(&pool, &batch).await {
            Ok(rows) if rows.len() == batch.len() => {
                for (queued, row) in batch.into_iter().zip(rows) {
                    let written = if row.0 == "race" {
                        Written::Alone
                    } else {
                        Written::Done(queued.append.result(row))
                    };
                    let _ = queued.reply.send(written);
                }
            }
            outcome => {
                if let Err(e) = outcome {
                    tracing::warn!(error = %e, appends = batch.len(), "a batch of appends failed; writing each alone");
                }
                for queued in batch {
                    let _ = queued.reply.send(Written::Alone);
                }
            }
        }
    }
}

/// A row of `altegon_append_batch`: as [`AppendRow`], with no version for a race.
type BatchRow = (String, Option<i64>, Option<i64>, Option<i64>);

/// One statement (its own transaction) for the whole batch.
async fn write_batch(pool: &PgPool, batch: &[Queued]) -> Result<Vec<AppendRow>, StoreError> {
    let appends = || batch.iter().map(|q| &q.append);
    let streams: Vec<&str> = appends().map(|a| a.stream.as_str()).collect();
    let expected: Vec<i64> = appends().map(|a| a.expected_code).collect();
    let counts = appends()
        .map(|a| i32::try_from(a.ids.len()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| StoreError::InvalidAppend("too many events in one append".into()))?;
    let ids: Vec<uuid::Uuid> = appends().flat_map(|a| a.ids.iter().copied()).collect();
    let types: Vec<&str> = appends()
        .flat_map(|a| a.types.iter().map(String::as_str))
        .collect();
    let schema_versions: Vec<i32> = appends()
        .flat_map(|a| a.schema_versions.iter().copied())
        .collect();
    let data: Vec<&str> = appends()
        .flat_map(|a| a.data.iter().map(String::as_str))
        .collect();
    let metadata: Vec<&str> = appends()
        .flat_map(|a| a.metadata.iter().map(String::as_str))
        .collect();
    let rows: Vec<BatchRow> =
        sqlx::query_as("SELECT * FROM altegon_append_batch($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&streams)
            .bind(&expected)
            .bind(&counts)
            .bind(&ids)
            .bind(&types)
            .bind(&schema_versions)
            .bind(&data)
            .bind(&metadata)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(status, current, first, last)| (status, current.unwrap_or(-1), first, last))
        .collect())
}
