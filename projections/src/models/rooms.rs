//! The `rooms` read model.

use std::collections::HashSet;

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `rooms`.
pub struct RoomsProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "rooms",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            owner_id TEXT NOT NULL,
            name TEXT NOT NULL,
            room_type TEXT NOT NULL,
            max_participants BIGINT,
            is_private BIGINT NOT NULL,
            p2p BIGINT NOT NULL,
            created_at TEXT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (owner_id, created_at)",
    ],
}];

/// A room as the read model holds it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RoomRow {
    /// Id.
    pub id: String,
    /// Owner's id.
    pub owner_id: String,
    /// Display name.
    pub name: String,
    /// Kind of room.
    pub room_type: String,
    /// Participant bound, if any.
    pub max_participants: Option<i64>,
    /// 1 when private.
    pub is_private: i64,
    /// 1 for peer-to-peer media.
    pub p2p: i64,
    /// Creation time.
    pub created_at: String,
}

const COLUMNS: &str =
    "id, owner_id, name, room_type, max_participants, is_private, p2p, created_at";

/// The room with this id.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<RoomRow>, ProjectionError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM rooms WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Rooms owned by `owner_id` (every room when `None`), newest first.
pub async fn by_owner(
    pool: &AnyPool,
    owner_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<RoomRow>, ProjectionError> {
    let rows =
        match owner_id {
            Some(owner) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM rooms WHERE owner_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(owner)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?
            }
            None => sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM rooms ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
            ))
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?,
        };
    Ok(rows)
}

#[async_trait]
impl Projection for RoomsProjection {
    fn name(&self) -> &'static str {
        "rooms"
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
        let table = target.table("rooms");
        let created: Vec<_> = batch
            .iter()
            .filter_map(|a| match &a.event {
                DomainEvent::RoomCreated(e) => Some(e),
                _ => None,
            })
            .collect();
        if created.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = created.iter().map(|e| e.room_id.to_string()).collect();
        // A room is written once: rows already there (a replay) stay as they are.
        let existing: HashSet<String> = load_by_ids::<(String,)>(conn, &table, "id", &ids)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        let mut seen = HashSet::new();
        let rows = created
            .into_iter()
            .filter(|e| {
                let id = e.room_id.to_string();
                !existing.contains(&id) && seen.insert(id)
            })
            .map(|e| {
                vec![
                    Cell::Text(e.room_id.to_string()),
                    Cell::Text(e.owner_id.to_string()),
                    Cell::Text(e.name.clone()),
                    Cell::Text(e.room_type.clone()),
                    Cell::MaybeInt(e.max_participants.map(i64::from)),
                    Cell::Int(i64::from(e.is_private)),
                    Cell::Int(i64::from(e.p2p)),
                    Cell::Text(api_time(e.created_at)),
                ]
            })
            .collect();
        upsert(conn, &table, &COLUMN_LIST, rows).await?;
        Ok(())
    }
}

const COLUMN_LIST: [&str; 8] = [
    "id",
    "owner_id",
    "name",
    "room_type",
    "max_participants",
    "is_private",
    "p2p",
    "created_at",
];
