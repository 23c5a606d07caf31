//! Runs the projections: one runner task per projection, read-your-writes waits,
//! status, and rebuilds.
//!
//! A runner takes its projection's lock (a PostgreSQL advisory lock, so that of two
//! server processes on one database only one projects; SQLite read models belong to
//! one process), rebuilds when the stored version differs from the code's, then
//! follows the log from its checkpoint. Each batch is applied in one transaction
//! that first locks and re-reads the checkpoint, skips what it already covers, and
//! writes the new checkpoint: exactly once, whoever applies it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use altegon_commands::pipeline::decode;
use altegon_commands::store::{
    EventFilter, Position, RecordedEvent, SharedEventStore, SubscriptionStart,
};
use futures::StreamExt;
use sqlx::AnyConnection;
use sqlx::Connection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db::{ReadDb, sleep_or_stop};
use crate::schema::{self, Checkpoint};
use crate::{Applied, Projection, ProjectionError, Target};

/// Events applied per transaction at most.
const BATCH: usize = 500;
/// How often a waiting reader re-reads checkpoints written by other processes.
const WAIT_POLL: Duration = Duration::from_millis(20);
/// How often a standby runner tries to take its projection's lock.
const LOCK_RETRY: Duration = Duration::from_secs(1);

/// A projection's progress, for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionStatus {
    /// The projection.
    pub name: &'static str,
    /// The version its tables hold (0: not created yet).
    pub stored_version: u32,
    /// The version this build writes.
    pub code_version: u32,
    /// The last position applied.
    pub position: Position,
    /// Events in the log after that position (counted up to a cap).
    pub lag_events: u64,
    /// True when `lag_events` reached the cap.
    pub lag_capped: bool,
}

/// Progress of a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildProgress {
    /// Events applied so far.
    pub events: u64,
    /// The position reached.
    pub position: Position,
    /// The log's end when the rebuild began.
    pub head: Position,
}

/// The read side of one process.
#[derive(Clone)]
pub struct ProjectionEngine {
    inner: Arc<Inner>,
}

struct Inner {
    db: ReadDb,
    store: SharedEventStore,
    projections: Vec<Arc<dyn Projection>>,
    positions: watch::Sender<BTreeMap<&'static str, Position>>,
}

impl ProjectionEngine {
    /// An engine for `projections` over the log `store` and the database `db`.
    pub fn new(db: ReadDb, store: SharedEventStore, projections: Vec<Arc<dyn Projection>>) -> Self {
        let (positions, _) = watch::channel(projections.iter().map(|p| (p.name(), 0)).collect());
        Self {
            inner: Arc::new(Inner {
                db,
                store,
                projections,
                positions,
            }),
        }
    }

    /// The read-model database.
    pub fn db(&self) -> &ReadDb {
        &self.inner.db
    }

    /// Runs migrations and creates the tables of projections never seen before.
    pub async fn prepare(&self) -> Result<(), ProjectionError> {
        self.inner.db.migrate().await?;
        for projection in &self.inner.projections {
            let mut tx = self
                .inner
                .db
                .pool()
                .begin_with(self.inner.db.begin_write())
                .await?;
            schema::ensure_live(&mut tx, projection.as_ref()).await?;
            tx.commit().await?;
        }
        self.refresh_positions().await?;
        Ok(())
    }

    /// Starts one runner per projection; they stop when `shutdown` turns true.
    pub fn spawn_runners(&self, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        self.inner
            .projections
            .iter()
            .map(|p| {
                let engine = self.clone();
                let projection = p.clone();
                let shutdown = shutdown.clone();
                tokio::spawn(async move { engine.run(projection, shutdown).await })
            })
            .collect()
    }

    /// Waits until every projection has applied the log up to `position`, re-reading
    /// checkpoints that other processes write. Past `timeout`: `NotYetVisible`.
    pub async fn wait_for(
        &self,
        position: Position,
        timeout: Duration,
    ) -> Result<(), ProjectionError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.inner.positions.subscribe();
        loop {
            let reached = changes.borrow_and_update().values().all(|p| *p >= position);
            if reached {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ProjectionError::NotYetVisible { position });
            }
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep(WAIT_POLL) => { self.refresh_positions().await?; }
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Each projection's progress, counting lag up to 100,000 events.
    pub async fn status(&self) -> Result<Vec<ProjectionStatus>, ProjectionError> {
        self.status_capped(100_000).await
    }

    /// Each projection's progress, counting lag up to `cap` events.
    pub async fn status_capped(&self, cap: u64) -> Result<Vec<ProjectionStatus>, ProjectionError> {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let mut conn = self.inner.db.pool().acquire().await?;
        let mut out = Vec::new();
        for projection in &self.inner.projections {
            let checkpoint = schema::read_checkpoint(&mut conn, projection.name()).await?;
            let position = checkpoint.map_or(0, |c| c.position);
            let lag = self.inner.store.read_all(position, cap).await?.len();
            out.push(ProjectionStatus {
                name: projection.name(),
                stored_version: checkpoint.map_or(0, |c| c.version),
                code_version: projection.version(),
                position,
                lag_events: lag as u64,
                lag_capped: lag == cap,
            });
        }
        Ok(out)
    }

    /// The projections' names.
    pub fn names(&self) -> Vec<&'static str> {
        self.inner.projections.iter().map(|p| p.name()).collect()
    }

    /// Rebuilds the named projection (all when `None`, side by side) into fresh
    /// tables and swaps them in; queries keep reading the old tables until each
    /// swap commits.
    pub async fn rebuild(
        &self,
        name: Option<&str>,
        progress: impl Fn(&str, RebuildProgress) + Sync,
    ) -> Result<(), ProjectionError> {
        let chosen = self.chosen(name)?;
        let progress = &progress;
        let rebuilds = chosen.into_iter().map(|projection| async move {
            let name = projection.name();
            let position = crate::rebuild::rebuild(
                &self.inner.db,
                &self.inner.store,
                projection.as_ref(),
                |p| progress(name, p),
            )
            .await?;
            self.publish(name, position);
            Ok::<_, ProjectionError>(())
        });
        futures::future::try_join_all(rebuilds).await?;
        Ok(())
    }

    /// Replays the log into scratch tables and compares them with the live read
    /// models, for the named projection (all when `None`, one after another).
    pub async fn verify(
        &self,
        name: Option<&str>,
        progress: impl Fn(&str, RebuildProgress) + Sync,
    ) -> Result<Vec<(&'static str, crate::Verification)>, ProjectionError> {
        let mut found = Vec::new();
        for projection in self.chosen(name)? {
            let name = projection.name();
            let verification = crate::verify::verify(
                &self.inner.db,
                &self.inner.store,
                projection.as_ref(),
                |p| progress(name, p),
            )
            .await?;
            found.push((name, verification));
        }
        Ok(found)
    }

    /// Builds every read model in `target` (an empty database whose migrations
    /// ran) from the log up to `until`; answers the position reached.
    pub async fn replay_into(
        &self,
        target: &ReadDb,
        until: crate::Until,
        progress: impl Fn(&str, RebuildProgress) + Sync,
    ) -> Result<Position, ProjectionError> {
        let mut reached = 0;
        for projection in &self.inner.projections {
            let name = projection.name();
            reached = crate::verify::replay_into(
                target,
                &self.inner.store,
                projection.as_ref(),
                until,
                |p| progress(name, p),
            )
            .await?;
        }
        Ok(reached)
    }

    fn chosen(&self, name: Option<&str>) -> Result<Vec<Arc<dyn Projection>>, ProjectionError> {
        match name {
            None => Ok(self.inner.projections.clone()),
            Some(n) => {
                Ok(vec![self.projection(n).ok_or_else(|| {
                    ProjectionError::UnknownProjection(n.to_owned())
                })?])
            }
        }
    }

    fn projection(&self, name: &str) -> Option<Arc<dyn Projection>> {
        self.inner
            .projections
            .iter()
            .find(|p| p.name() == name)
            .cloned()
    }

    fn publish(&self, name: &'static str, position: Position) {
        self.inner.positions.send_if_modified(|map| {
            let slot = map.entry(name).or_insert(0);
            let newer = position > *slot;
            *slot = (*slot).max(position);
            newer
        });
        metrics::gauge!("altegon_projection_position", "projection" => name).set(position as f64);
    }

    async fn refresh_positions(&self) -> Result<(), ProjectionError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, position FROM projection_checkpoints")
                .fetch_all(self.inner.db.pool())
                .await?;
        for (name, position) in rows {
            if let Some(p) = self.projection(&name) {
                self.publish(p.name(), u64::try_from(position).unwrap_or(0));
            }
        }
        Ok(())
    }

    /// One runner: take the lock, catch up, follow; restart after failures.
    async fn run(&self, projection: Arc<dyn Projection>, mut shutdown: watch::Receiver<bool>) {
        let name = projection.name();
        let mut backoff = Duration::from_millis(100);
        while !*shutdown.borrow() {
            let lock = match self.take_lock(name, &mut shutdown).await {
                Ok(Some(lock)) => lock,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(projection = name, error = %e, "cannot take projection lock");
                    sleep_or_stop(LOCK_RETRY, &mut shutdown).await;
                    continue;
                }
            };
            let followed = self.follow(projection.as_ref(), &mut shutdown).await;
            if let Some(conn) = lock {
                let _ = conn.close().await;
            }
            match followed {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(projection = name, error = %e, "projection runner failed; restarting");
                    sleep_or_stop(backoff, &mut shutdown).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// Holds the projection's lock (see [`ReadDb::hold_advisory_lock`]).
    async fn take_lock(
        &self,
        name: &str,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Option<Option<AnyConnection>>, ProjectionError> {
        let key = format!("altegon_projection:{name}");
        let lock = self
            .inner
            .db
            .hold_advisory_lock(&key, LOCK_RETRY, shutdown)
            .await?;
        if matches!(lock, Some(Some(_))) {
            tracing::info!(projection = name, "projection runner active");
        }
        Ok(lock)
    }

    async fn follow(
        &self,
        projection: &dyn Projection,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectionError> {
        let name = projection.name();
        let mut checkpoint = {
            let mut conn = self.inner.db.pool().acquire().await?;
            schema::read_checkpoint(&mut conn, name).await?
        };
        if checkpoint.map(|c| c.version) != Some(projection.version()) {
            tracing::info!(projection = name, "stored version differs; rebuilding");
            let position =
                crate::rebuild::rebuild(&self.inner.db, &self.inner.store, projection, |_| {})
                    .await?;
            checkpoint = Some(Checkpoint {
                position,
                version: projection.version(),
            });
        }
        let start = checkpoint.map_or(0, |c| c.position);
        self.publish(name, start);
        let mut batches = self
            .inner
            .store
            .subscribe_to_all(SubscriptionStart::After(start), EventFilter::all())
            .ready_chunks(BATCH);
        loop {
            tokio::select! {
                batch = batches.next() => {
                    let Some(batch) = batch else { return Ok(()) };
                    let events = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
                    let position = self.apply_batch(projection, &events).await?;
                    self.publish(name, position);
                }
                _ = shutdown.changed() => {
                    if *shutdown.borrow() { return Ok(()) }
                }
            }
        }
    }

    /// Applies a batch and the checkpoint in one transaction; returns the checkpoint.
    async fn apply_batch(
        &self,
        projection: &dyn Projection,
        events: &[RecordedEvent],
    ) -> Result<Position, ProjectionError> {
        let mut conn = self.inner.db.pool().acquire().await?;
        let mut tx = conn.begin_with(self.inner.db.begin_write()).await?;
        let checkpoint = schema::lock_checkpoint(&mut tx, projection.name())
            .await?
            .unwrap_or(Checkpoint {
                position: 0,
                version: projection.version(),
            });
        let batch = events
            .iter()
            .filter(|e| e.position > checkpoint.position)
            .map(|recorded| {
                Ok(Applied {
                    event: decode(recorded)?,
                    recorded,
                })
            })
            .collect::<Result<Vec<_>, ProjectionError>>()?;
        let position = batch
            .last()
            .map_or(checkpoint.position, |a| a.recorded.position);
        if !batch.is_empty() {
            projection.apply(&mut tx, Target::LIVE, &batch).await?;
        }
        if position > checkpoint.position {
            schema::write_checkpoint(
                &mut tx,
                projection.name(),
                Checkpoint {
                    position,
                    version: checkpoint.version,
                },
            )
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("altegon_projection_events_total", "projection" => projection.name())
            .increment(events.len() as u64);
        Ok(position)
    }
}
