//! Creating a projection's tables and keeping its checkpoint row.

use sqlx::AnyConnection;

use crate::{Projection, ProjectionError, Target};

/// Creates the projection's tables for `target`, replacing an earlier copy.
pub(crate) async fn create_tables(
    conn: &mut AnyConnection,
    projection: &dyn Projection,
    target: Target,
) -> Result<(), ProjectionError> {
    for table in projection.tables() {
        let name = target.table(table.name);
        sqlx::query(&format!("DROP TABLE IF EXISTS {name}"))
            .execute(&mut *conn)
            .await?;
        for statement in table.create {
            let ix = format!("{:016x}", rand::random::<u64>());
            let sql = statement.replace("{table}", &name).replace("{ix}", &ix);
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// A projection's stored checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub position: u64,
    pub version: u32,
}

/// Reads the checkpoint, first taking the row's write lock so that a runner's batch
/// and a rebuild's swap never interleave (a row lock on PostgreSQL, the database
/// write lock on SQLite).
pub(crate) async fn lock_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<Checkpoint>, ProjectionError> {
    sqlx::query("UPDATE projection_checkpoints SET name = name WHERE name = $1")
        .bind(name)
        .execute(&mut *conn)
        .await?;
    read_checkpoint(conn, name).await
}

/// Reads the checkpoint without locking.
pub(crate) async fn read_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<Checkpoint>, ProjectionError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT position, version FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(position, version)| Checkpoint {
        position: u64::try_from(position).unwrap_or(0),
        version: u32::try_from(version).unwrap_or(0),
    }))
}

/// Stores the checkpoint (inserting the row when missing).
pub(crate) async fn write_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
    checkpoint: Checkpoint,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, position, version, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, version = excluded.version, \
         updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(i64::try_from(checkpoint.position).unwrap_or(i64::MAX))
    .bind(i64::from(checkpoint.version))
    .bind(crate::api_time(chrono::Utc::now()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates the live tables and the checkpoint row of a projection never seen
/// before; does nothing when the row exists. Safe when processes race: the row's
/// insert decides who creates the tables.
pub(crate) async fn ensure_live(
    conn: &mut AnyConnection,
    projection: &dyn Projection,
) -> Result<(), ProjectionError> {
    let inserted = sqlx::query(
        "INSERT INTO projection_checkpoints (name, position, version, updated_at) VALUES ($1, 0, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(projection.name())
    .bind(i64::from(projection.version()))
    .bind(crate::api_time(chrono::Utc::now()))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        create_tables(conn, projection, Target::LIVE).await?;
    }
    Ok(())
}
