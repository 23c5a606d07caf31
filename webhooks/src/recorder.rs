//! Records attempt outcomes for every worker in shared transactions (group
//! commit): a worker hands its round's outcomes over and waits for the commit, and
//! whatever arrived meanwhile from other endpoints goes into the same transaction.
//! On SQLite, where each commit is a disk sync, this turns one transaction per
//! endpoint round into one per moment.

use altegon_projections::ReadDb;
use tokio::sync::{mpsc, oneshot};

use crate::WebhookError;
use crate::store::{self, AttemptRecord};

/// Rounds committed together at most.
const MAX_ROUNDS_PER_COMMIT: usize = 256;

type Job = (Vec<AttemptRecord>, oneshot::Sender<Result<(), String>>);

pub(crate) struct Recorder {
    jobs: mpsc::Sender<Job>,
}

impl Recorder {
    /// Starts the writer task; it ends when the recorder is dropped.
    pub(crate) fn spawn(db: ReadDb) -> Self {
        let (jobs, mut queue) = mpsc::channel::<Job>(1024);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_ROUNDS_PER_COMMIT);
            while queue.recv_many(&mut batch, MAX_ROUNDS_PER_COMMIT).await > 0 {
                let records: Vec<AttemptRecord> = batch
                    .iter()
                    .flat_map(|(records, _)| records.iter().cloned())
                    .collect();
                let result = store::record_attempts(db.pool(), db.begin_write(), &records)
                    .await
                    .map_err(|e| e.to_string());
                for (_, done) in batch.drain(..) {
                    let _ = done.send(result.clone());
                }
            }
        });
        Self { jobs }
    }

    /// Records `records` and waits until they are committed.
    pub(crate) async fn record(&self, records: Vec<AttemptRecord>) -> Result<(), WebhookError> {
        let (done, committed) = oneshot::channel();
        let closed = || WebhookError::Database(sqlx::Error::PoolClosed);
        self.jobs
            .send((records, done))
            .await
            .map_err(|_| closed())?;
        committed
            .await
            .map_err(|_| closed())?
            .map_err(|e| WebhookError::Database(sqlx::Error::Protocol(e)))
    }
}
