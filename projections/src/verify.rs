//! Auditors' tools on the read side: `verify` replays the log into scratch tables
//! and compares them row for row with the live read models (which must be a pure
//! function of the log); `replay_into` builds the read models as they stood at a
//! position or time into another, empty database.

use altegon_commands::store::{Position, SharedEventStore};
use sqlx::{AnyConnection, Connection};

use crate::db::ReadDb;
use crate::rebuild::{Until, apply_page, catch_up, fill};
use crate::schema::{self, Checkpoint};
use crate::{Projection, ProjectionError, RebuildProgress, Target};

/// How one table of a replay differs from the live one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDiff {
    /// The table.
    pub table: &'static str,
    /// Rows in the live table the replay did not produce.
    pub only_live: u64,
    /// Rows the replay produced that the live table lacks.
    pub only_replayed: u64,
}

/// What `verify` found for one projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The position both copies reflect.
    pub position: Position,
    /// Per table; all zero when the read model is what the log says.
    pub tables: Vec<TableDiff>,
}

impl Verification {
    /// Whether the live read model equals the replay.
    pub fn matches(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.only_live == 0 && t.only_replayed == 0)
    }
}

async fn count(conn: &mut AnyConnection, sql: &str) -> Result<u64, ProjectionError> {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Replays the log into scratch tables up to the live checkpoint and compares.
/// The live runner waits only for the final comparison, which holds the
/// checkpoint's lock; the scratch tables are dropped afterwards.
pub(crate) async fn verify(
    db: &ReadDb,
    store: &SharedEventStore,
    projection: &dyn Projection,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<Verification, ProjectionError> {
    let mut conn = db.pool().acquire().await?;
    let live = {
        let mut tx = conn.begin_with(db.begin_write()).await?;
        schema::ensure_live(&mut tx, projection).await?;
        schema::create_tables(&mut tx, projection, Target::VERIFY).await?;
        let live = schema::read_checkpoint(&mut tx, projection.name()).await?;
        tx.commit().await?;
        live.unwrap_or(Checkpoint {
            position: 0,
            version: projection.version(),
        })
    };
    if live.version != projection.version() {
        return Err(ProjectionError::VersionMismatch {
            name: projection.name(),
            stored: live.version,
            code: projection.version(),
        });
    }
    let (after, _) = fill(
        &mut conn,
        db,
        store,
        projection,
        Target::VERIFY,
        Until::Position(live.position),
        live.position,
        &mut progress,
    )
    .await?;

    let mut tx = conn.begin_with(db.begin_write()).await?;
    let now = schema::lock_checkpoint(&mut tx, projection.name())
        .await?
        .map_or(live.position, |c| c.position);
    catch_up(
        &mut tx,
        store,
        projection,
        Target::VERIFY,
        after,
        Until::Position(now),
    )
    .await?;
    let mut tables = Vec::new();
    for table in projection.tables() {
        let live = Target::LIVE.table(table.name);
        let replayed = Target::VERIFY.table(table.name);
        tables.push(TableDiff {
            table: table.name,
            only_live: count(
                &mut tx,
                &format!(
                    "SELECT COUNT(*) FROM (SELECT * FROM {live} EXCEPT SELECT * FROM {replayed}) d"
                ),
            )
            .await?,
            only_replayed: count(
                &mut tx,
                &format!(
                    "SELECT COUNT(*) FROM (SELECT * FROM {replayed} EXCEPT SELECT * FROM {live}) d"
                ),
            )
            .await?,
        });
        sqlx::query(&format!("DROP TABLE {replayed}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Verification {
        position: now,
        tables,
    })
}

/// Builds `projection`'s tables in `db` (an empty database) from the log up to
/// `until`; answers the position reached.
pub(crate) async fn replay_into(
    db: &ReadDb,
    store: &SharedEventStore,
    projection: &dyn Projection,
    until: Until,
    mut progress: impl FnMut(RebuildProgress),
) -> Result<Position, ProjectionError> {
    let mut conn = db.pool().acquire().await?;
    {
        let mut tx = conn.begin_with(db.begin_write()).await?;
        if schema::read_checkpoint(&mut tx, projection.name())
            .await?
            .is_some_and(|c| c.position > 0)
        {
            return Err(ProjectionError::TargetNotEmpty(projection.name()));
        }
        schema::create_tables(&mut tx, projection, Target::LIVE).await?;
        tx.commit().await?;
    }
    let head = match until {
        Until::Position(p) => p,
        _ => store.head_position().await?,
    };
    let mut after = 0;
    let mut applied = 0;
    loop {
        let mut tx = conn.begin_with(db.begin_write()).await?;
        let (position, n) =
            apply_page(&mut tx, store, projection, Target::LIVE, after, until).await?;
        if n > 0 {
            after = position;
            applied += n;
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
        if n == 0 {
            break;
        }
        progress(RebuildProgress {
            events: applied,
            position: after,
            head,
        });
    }
    Ok(after)
}
