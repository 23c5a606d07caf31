//! The `room_streams` read model: the media streams published in each room
//! through the SFU, how many subscribed to them, and when they ran. Fed by the
//! Room aggregate's stream events, which the room socket's signaling records.

use std::collections::BTreeMap;

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `room_streams`.
pub struct RoomStreamsProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "room_streams",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            published_at TEXT NOT NULL,
            unpublished_at TEXT,
            subscribers BIGINT NOT NULL,
            peak_subscribers BIGINT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (room_id, published_at)",
    ],
}];

const COLUMN_LIST: [&str; 7] = [
    "id",
    "room_id",
    "owner_id",
    "published_at",
    "unpublished_at",
    "subscribers",
    "peak_subscribers",
];
const COLUMNS: &str =
    "id, room_id, owner_id, published_at, unpublished_at, subscribers, peak_subscribers";

/// A stream as the read model holds it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RoomStreamRow {
    /// The stream's id, as the room's sockets name it.
    pub id: String,
    /// The room.
    pub room_id: String,
    /// The publishing account.
    pub owner_id: String,
    /// When its media connection came up.
    pub published_at: String,
    /// When it ended; `None` while live.
    pub unpublished_at: Option<String>,
    /// Subscribers now (0 once ended).
    pub subscribers: i64,
    /// Most subscribers it had at once.
    pub peak_subscribers: i64,
}

impl RoomStreamRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.room_id),
            Cell::Text(self.owner_id),
            Cell::Text(self.published_at),
            Cell::MaybeText(self.unpublished_at),
            Cell::Int(self.subscribers),
            Cell::Int(self.peak_subscribers),
        ]
    }
}

/// The streams of a room, newest first.
pub async fn by_room(pool: &AnyPool, room_id: &str) -> Result<Vec<RoomStreamRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM room_streams WHERE room_id = $1 \
         ORDER BY published_at DESC, id DESC"
    ))
    .bind(room_id)
    .fetch_all(pool)
    .await?)
}

/// The stream an event is about.
fn stream_of(event: &DomainEvent) -> Option<&str> {
    match event {
        DomainEvent::RoomStreamPublished(e) => Some(&e.stream_id),
        DomainEvent::RoomStreamSubscribersCounted(e) => Some(&e.stream_id),
        DomainEvent::RoomStreamUnpublished(e) => Some(&e.stream_id),
        _ => None,
    }
}

#[async_trait]
impl Projection for RoomStreamsProjection {
    fn name(&self) -> &'static str {
        "room_streams"
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
        let table = target.table("room_streams");
        let mut ids: Vec<String> = batch
            .iter()
            .filter_map(|a| stream_of(&a.event).map(str::to_owned))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        ids.sort_unstable();
        ids.dedup();
        // Rows of earlier batches, then this batch's events in order.
        let mut rows: BTreeMap<String, RoomStreamRow> =
            load_by_ids::<RoomStreamRow>(conn, &table, COLUMNS, &ids)
                .await?
                .into_iter()
                .map(|row| (row.id.clone(), row))
                .collect();
        for applied in batch {
            match &applied.event {
                DomainEvent::RoomStreamPublished(e) => {
                    rows.entry(e.stream_id.clone())
                        .or_insert_with(|| RoomStreamRow {
                            id: e.stream_id.clone(),
                            room_id: e.room_id.to_string(),
                            owner_id: e.owner_id.to_string(),
                            published_at: api_time(e.published_at),
                            unpublished_at: None,
                            subscribers: 0,
                            peak_subscribers: 0,
                        });
                }
                DomainEvent::RoomStreamSubscribersCounted(e) => {
                    if let Some(row) = rows.get_mut(&e.stream_id) {
                        row.subscribers = i64::from(e.subscribers);
                        row.peak_subscribers = row.peak_subscribers.max(row.subscribers);
                    }
                }
                DomainEvent::RoomStreamUnpublished(e) => {
                    if let Some(row) = rows.get_mut(&e.stream_id) {
                        row.unpublished_at = Some(api_time(e.unpublished_at));
                        row.subscribers = 0;
                    }
                }
                _ => {}
            }
        }
        let rows = rows.into_values().map(RoomStreamRow::cells).collect();
        upsert(conn, &table, &COLUMN_LIST, rows).await?;
        Ok(())
    }
}
