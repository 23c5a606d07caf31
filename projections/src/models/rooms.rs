//! The `rooms` read model.

use altegon_commands::store::RecordedEvent;
use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::{Projection, ProjectionError, TableDef, Target, api_time};

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

/// The room with this id.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<RoomRow>, ProjectionError> {
    Ok(sqlx::query_as(
        "SELECT id, owner_id, name, room_type, max_participants, is_private, p2p, created_at \
         FROM rooms WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
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
        event: &DomainEvent,
        _recorded: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        if let DomainEvent::RoomCreated(e) = event {
            let table = target.table("rooms");
            sqlx::query(&format!(
                "INSERT INTO {table} (id, owner_id, name, room_type, max_participants, is_private, p2p, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING"
            ))
            .bind(e.room_id.to_string())
            .bind(e.owner_id.to_string())
            .bind(&e.name)
            .bind(&e.room_type)
            .bind(e.max_participants.map(i64::from))
            .bind(i64::from(e.is_private))
            .bind(i64::from(e.p2p))
            .bind(api_time(e.created_at))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
