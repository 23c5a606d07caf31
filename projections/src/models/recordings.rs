//! The `recordings` read model: what `GET /recordings/list` returns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, fetch_in, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `recordings`.
pub struct RecordingsProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "recordings",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            record_id TEXT NOT NULL,
            room_id TEXT NOT NULL,
            room_owner_id TEXT NOT NULL,
            meeting_id TEXT,
            host_name TEXT NOT NULL,
            stream_id TEXT NOT NULL,
            video_type TEXT NOT NULL,
            start_status TEXT NOT NULL,
            stopped BIGINT NOT NULL,
            start_time TEXT NOT NULL,
            end_time TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (room_owner_id, created_at)",
        "CREATE INDEX ix_{ix} ON {table} (created_at)",
        "CREATE INDEX ix_{ix} ON {table} (meeting_id)",
    ],
}];

const COLUMN_LIST: [&str; 14] = [
    "id",
    "record_id",
    "room_id",
    "room_owner_id",
    "meeting_id",
    "host_name",
    "stream_id",
    "video_type",
    "start_status",
    "stopped",
    "start_time",
    "end_time",
    "created_at",
    "updated_at",
];

const COLUMNS: &str = "id, record_id, room_id, room_owner_id, meeting_id, host_name, stream_id, \
    video_type, start_status, stopped, start_time, end_time, created_at, updated_at";

/// A recording as the read model holds it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RecordingRow {
    /// The client's recording id.
    pub id: String,
    /// The record's 24-hex id.
    pub record_id: String,
    /// The recorded room.
    pub room_id: String,
    /// The room's owner.
    pub room_owner_id: String,
    /// The meeting, when known.
    pub meeting_id: Option<String>,
    /// Who asked for the recording.
    pub host_name: String,
    /// The recorded stream.
    pub stream_id: String,
    /// Kind of media.
    pub video_type: String,
    /// The status reported at start.
    pub start_status: String,
    /// 1 once stopped.
    pub stopped: i64,
    /// Start per the client.
    pub start_time: String,
    /// End per the client, once stopped.
    pub end_time: Option<String>,
    /// When started.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl RecordingRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.record_id),
            Cell::Text(self.room_id),
            Cell::Text(self.room_owner_id),
            Cell::MaybeText(self.meeting_id),
            Cell::Text(self.host_name),
            Cell::Text(self.stream_id),
            Cell::Text(self.video_type),
            Cell::Text(self.start_status),
            Cell::Int(self.stopped),
            Cell::Text(self.start_time),
            Cell::MaybeText(self.end_time),
            Cell::Text(self.created_at),
            Cell::Text(self.updated_at),
        ]
    }
}

/// Recordings of rooms owned by `owner` (all recordings when `None`), newest first.
pub async fn list(
    pool: &AnyPool,
    owner: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<RecordingRow>, ProjectionError> {
    let rows = match owner {
        Some(owner) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM recordings WHERE room_owner_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
            ))
            .bind(owner)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM recordings ORDER BY created_at DESC, id DESC \
                 LIMIT $1 OFFSET $2"
            ))
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows)
}

/// The recordings with these client ids, in no particular order.
pub async fn by_ids(pool: &AnyPool, ids: &[String]) -> Result<Vec<RecordingRow>, ProjectionError> {
    Ok(fetch_in(
        pool,
        &format!("SELECT {COLUMNS} FROM recordings WHERE id IN ({{in}})"),
        ids,
    )
    .await?)
}

/// The recordings that name one of these meetings, in no particular order.
pub async fn by_meetings(
    pool: &AnyPool,
    meeting_ids: &[String],
) -> Result<Vec<RecordingRow>, ProjectionError> {
    Ok(fetch_in(
        pool,
        &format!("SELECT {COLUMNS} FROM recordings WHERE meeting_id IN ({{in}})"),
        meeting_ids,
    )
    .await?)
}

/// The recording with this client id.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<RecordingRow>, ProjectionError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM recordings WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

#[async_trait]
impl Projection for RecordingsProjection {
    fn name(&self) -> &'static str {
        "recordings"
    }

    fn version(&self) -> u32 {
        2
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
        let table = target.table("recordings");
        let touched: Vec<String> = batch
            .iter()
            .filter_map(|a| match &a.event {
                DomainEvent::RecordingStarted(e) => Some(e.recording_id.clone()),
                DomainEvent::RecordingStopped(e) => Some(e.recording_id.clone()),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if touched.is_empty() {
            return Ok(());
        }
        let mut rows: HashMap<String, RecordingRow> =
            load_by_ids::<RecordingRow>(conn, &table, COLUMNS, &touched)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut changed = BTreeMap::new();
        for applied in batch {
            match &applied.event {
                DomainEvent::RecordingStarted(e) => {
                    if rows.contains_key(&e.recording_id) {
                        continue;
                    }
                    let at = api_time(e.started_at);
                    rows.insert(
                        e.recording_id.clone(),
                        RecordingRow {
                            id: e.recording_id.clone(),
                            record_id: e.record_id.to_string(),
                            room_id: e.room_id.to_string(),
                            room_owner_id: e.room_owner_id.to_string(),
                            meeting_id: e.meeting_id.map(|m| m.to_string()),
                            host_name: e.user_name.clone(),
                            stream_id: e.stream_id.clone(),
                            video_type: e.video_type.clone(),
                            start_status: e.status.clone(),
                            stopped: 0,
                            start_time: api_time(e.start_time),
                            end_time: None,
                            created_at: at.clone(),
                            updated_at: at,
                        },
                    );
                    changed.insert(e.recording_id.clone(), ());
                }
                DomainEvent::RecordingStopped(e) => {
                    let Some(row) = rows.get_mut(&e.recording_id) else {
                        continue;
                    };
                    row.stopped = 1;
                    row.end_time = Some(api_time(e.end_time));
                    row.updated_at = api_time(e.stopped_at);
                    changed.insert(e.recording_id.clone(), ());
                }
                _ => {}
            }
        }
        let out = changed
            .into_keys()
            .filter_map(|id| rows.remove(&id))
            .map(RecordingRow::cells)
            .collect();
        upsert(conn, &table, &COLUMN_LIST, out).await?;
        Ok(())
    }
}
