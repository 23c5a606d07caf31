//! Rebuilding a projection beside the live one: fill `{table}__rebuild` from the
//! start of the log, then, in one transaction holding the checkpoint's lock, apply
//! what arrived meanwhile, swap the tables by renaming, and move the checkpoint.
//! Readers use the old tables until that transaction commits; a runner's next batch
//! waits for it and continues from the new checkpoint.

use altegon_commands::pipeline::decode;
use altegon_commands::store::{Position, RecordedEvent, SharedEventStore};
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection};

use crate::db::ReadDb;
use crate::schema::{self, Checkpoint};
use crate::{Applied, Projection, ProjectionError, RebuildProgress, Target};

/// Events read and applied per transaction while filling.
const PAGE: usize = 2000;

/// Rebuilds `projection`; returns the position the swapped-in tables reflect.
pub(crate) async fn rebuild(
    db: &ReadDb,
    store: &SharedEventStore,
    projection: &dyn Projection,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<Position, ProjectionError> {
    let mut conn = db.pool().acquire().await?;
    {
        let mut tx = conn.begin_with(db.begin_write()).await?;
        schema::ensure_live(&mut tx, projection).await?;
        schema::create_tables(&mut tx, projection, Target::REBUILD).await?;
        tx.commit().await?;
    }
    let head = store.head_position().await?;
    let (after, filled) = fill(
        &mut conn,
        db,
        store,
        projection,
        Target::REBUILD,
        Until::Head,
        head,
        &mut progress,
    )
    .await?;

    let mut tx = conn.begin_with(db.begin_write()).await?;
    schema::lock_checkpoint(&mut tx, projection.name()).await?;
    let (after, caught_up) = catch_up(
        &mut tx,
        store,
        projection,
        Target::REBUILD,
        after,
        Until::Head,
    )
    .await?;
    let applied = filled + caught_up;
    for table in projection.tables() {
        let live = Target::LIVE.table(table.name);
        let fresh = Target::REBUILD.table(table.name);
        let old = format!("{live}__old");
        sqlx::query(&format!("DROP TABLE IF EXISTS {old}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {live} RENAME TO {old}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {fresh} RENAME TO {live}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("DROP TABLE {old}"))
            .execute(&mut *tx)
            .await?;
    }
    schema::write_checkpoint(
        &mut tx,
        projection.name(),
        Checkpoint {
            position: after,
            version: projection.version(),
        },
    )
    .await?;
    tx.commit().await?;
    progress(RebuildProgress {
        events: applied,
        position: after,
        head: head.max(after),
    });
    tracing::info!(
        projection = projection.name(),
        events = applied,
        position = after,
        "rebuilt"
    );
    Ok(after)
}

/// Where a replay of the log stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// At the log's end.
    Head,
    /// After the event at this position.
    Position(Position),
    /// After the last event recorded at or before this time.
    Time(DateTime<Utc>),
}

impl Until {
    fn includes(self, event: &RecordedEvent) -> bool {
        match self {
            Until::Head => true,
            Until::Position(p) => event.position <= p,
            Until::Time(t) => event.recorded_at <= t,
        }
    }
}

/// Fills the `target` tables from the start of the log as far as `until`, a page
/// per transaction, reporting progress against `head`; answers the last position
/// applied and how many events were.
#[allow(
    clippy::too_many_arguments,
    reason = "one call per tool, each naming what it fills and how far"
)]
pub(crate) async fn fill(
    conn: &mut PoolConnection<Any>,
    db: &ReadDb,
    store: &SharedEventStore,
    projection: &dyn Projection,
    target: Target,
    until: Until,
    head: Position,
    progress: &mut impl FnMut(RebuildProgress),
) -> Result<(Position, u64), ProjectionError> {
    let mut after = 0;
    let mut applied = 0;
    loop {
        let mut tx = conn.begin_with(db.begin_write()).await?;
        let (position, count) =
            apply_page(&mut tx, store, projection, target, after, until).await?;
        tx.commit().await?;
        if count == 0 {
            return Ok((after, applied));
        }
        after = position;
        applied += count;
        progress(RebuildProgress {
            events: applied,
            position: after,
            head,
        });
    }
}

/// Applies everything after `after` as far as `until` inside the caller's
/// transaction; answers the last position applied and how many events were.
pub(crate) async fn catch_up(
    tx: &mut AnyConnection,
    store: &SharedEventStore,
    projection: &dyn Projection,
    target: Target,
    mut after: Position,
    until: Until,
) -> Result<(Position, u64), ProjectionError> {
    let mut applied = 0;
    loop {
        let (position, count) = apply_page(tx, store, projection, target, after, until).await?;
        if count == 0 {
            return Ok((after, applied));
        }
        after = position;
        applied += count;
    }
}

/// Applies the next page of the log after `after` (as far as `until` reaches) to
/// the `target` tables; answers the last position applied and how many events
/// were (0 once `until` or the end is reached).
pub(crate) async fn apply_page(
    conn: &mut AnyConnection,
    store: &SharedEventStore,
    projection: &dyn Projection,
    target: Target,
    after: Position,
    until: Until,
) -> Result<(Position, u64), ProjectionError> {
    let mut page = store.read_all(after, PAGE).await?;
    if let Some(stop) = page.iter().position(|e| !until.includes(e)) {
        page.truncate(stop);
    }
    let batch = page
        .iter()
        .map(|recorded| {
            Ok(Applied {
                event: decode(recorded)?,
                recorded,
            })
        })
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    if !batch.is_empty() {
        projection.apply(conn, target, &batch).await?;
    }
    let position = page.last().map_or(after, |e| e.position);
    Ok((position, page.len() as u64))
}
