//! The `room_files` read model: documents shared in rooms.

use std::collections::BTreeMap;

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, write_or_delete};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `room_files`.
pub struct RoomFilesProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "room_files",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            file_name TEXT NOT NULL,
            original_name TEXT NOT NULL,
            size BIGINT NOT NULL,
            path TEXT NOT NULL,
            upload_date TEXT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (room_id)",
    ],
}];

const COLUMN_LIST: [&str; 7] = [
    "id",
    "room_id",
    "file_name",
    "original_name",
    "size",
    "path",
    "upload_date",
];
const COLUMNS: &str = "id, room_id, file_name, original_name, size, path, upload_date";

/// A file shared in a room.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RoomFileRow {
    /// `{roomId}/{fileName}`.
    pub id: String,
    /// The room.
    pub room_id: String,
    /// Stored name, `{roomId}_{originalName}`.
    pub file_name: String,
    /// The uploader's name for it.
    pub original_name: String,
    /// Size in bytes.
    pub size: i64,
    /// `documents/{roomId}/{fileName}`.
    pub path: String,
    /// When it was uploaded.
    pub upload_date: String,
}

fn row_id(room_id: &str, file_name: &str) -> String {
    format!("{room_id}/{file_name}")
}

/// The file of `room_id` stored as `file_name`.
pub async fn by_name(
    pool: &AnyPool,
    room_id: &str,
    file_name: &str,
) -> Result<Option<RoomFileRow>, ProjectionError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM room_files WHERE id = $1"))
            .bind(row_id(room_id, file_name))
            .fetch_optional(pool)
            .await?,
    )
}

/// Every room file's blob path.
pub async fn all_paths(pool: &AnyPool) -> Result<Vec<String>, ProjectionError> {
    Ok(sqlx::query_scalar("SELECT path FROM room_files")
        .fetch_all(pool)
        .await?)
}

/// Every file of a room, by name.
pub async fn by_room(pool: &AnyPool, room_id: &str) -> Result<Vec<RoomFileRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM room_files WHERE room_id = $1 ORDER BY file_name"
    ))
    .bind(room_id)
    .fetch_all(pool)
    .await?)
}

#[async_trait]
impl Projection for RoomFilesProjection {
    fn name(&self) -> &'static str {
        "room_files"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &'static [TableDef] {
        TABLES
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        target: Target,
        batch: &[Applied<'_>],
    ) -> Result<(), ProjectionError> {
        let table = target.table("room_files");
        let mut rows: BTreeMap<String, Option<Vec<Cell>>> = BTreeMap::new();
        for applied in batch {
            match &applied.event {
                DomainEvent::RoomFileUploaded(e) => {
                    let room = e.room_id.to_string();
                    let id = row_id(&room, &e.file_name);
                    rows.insert(
                        id.clone(),
                        Some(vec![
                            Cell::Text(id),
                            Cell::Text(room),
                            Cell::Text(e.file_name.clone()),
                            Cell::Text(e.original_name.clone()),
                            Cell::Int(i64::try_from(e.size).unwrap_or(i64::MAX)),
                            Cell::Text(e.path.clone()),
                            Cell::Text(api_time(e.uploaded_at)),
                        ]),
                    );
                }
                DomainEvent::RoomFilesDeleted(e) => {
                    let room = e.room_id.to_string();
                    for name in &e.file_names {
                        rows.insert(row_id(&room, name), None);
                    }
                }
                _ => {}
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        write_or_delete(conn, &table, &COLUMN_LIST, rows).await?;
        Ok(())
    }
}
