//! The `meetings` read model: what `GET /meetings/list/:userId` returns.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, ColumnIndex, Decode, FromRow, Row};

use crate::db::{ReadDb, Rows};
use crate::sql::{Cell, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `meetings`.
pub struct MeetingsProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "meetings",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            host_id TEXT NOT NULL,
            transcript_enabled BIGINT NOT NULL,
            summary_generated BIGINT NOT NULL,
            room_id TEXT,
            recording_ids TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (host_id, created_at)",
        "CREATE INDEX ix_{ix} ON {table} (room_id, created_at)",
    ],
}];

const COLUMN_LIST: [&str; 9] = [
    "id",
    "title",
    "host_id",
    "transcript_enabled",
    "summary_generated",
    "room_id",
    "recording_ids",
    "created_at",
    "updated_at",
];

const COLUMNS: &str = "id, title, host_id, transcript_enabled, summary_generated, room_id, \
    recording_ids, created_at, updated_at";

/// A meeting as the read model holds it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct MeetingRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Host's id.
    pub host_id: String,
    /// 1 when transcription is on.
    pub transcript_enabled: i64,
    /// 1 when a summary was generated.
    pub summary_generated: i64,
    /// Room, when set.
    pub room_id: Option<String>,
    /// Recording ids as a JSON array.
    pub recording_ids: String,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl MeetingRow {
    /// The recording ids as a list.
    pub fn recording_list(&self) -> Vec<String> {
        serde_json::from_str(&self.recording_ids).unwrap_or_default()
    }

    fn add_recording(&mut self, recording_id: &str) {
        let mut recordings = self.recording_list();
        if !recordings.iter().any(|r| r == recording_id) {
            recordings.push(recording_id.to_owned());
            self.recording_ids = serde_json::json!(recordings).to_string();
        }
    }

    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.title),
            Cell::Text(self.host_id),
            Cell::Int(self.transcript_enabled),
            Cell::Int(self.summary_generated),
            Cell::MaybeText(self.room_id),
            Cell::Text(self.recording_ids),
            Cell::Text(self.created_at),
            Cell::Text(self.updated_at),
        ]
    }
}

/// A meeting borrowed from a result row of [`by_host`]: a list is serialized from
/// these without a copy of each text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeetingRef<'r> {
    /// Id.
    pub id: &'r str,
    /// Title.
    pub title: &'r str,
    /// Host's id.
    pub host_id: &'r str,
    /// 1 when transcription is on.
    pub transcript_enabled: i64,
    /// 1 when a summary was generated.
    pub summary_generated: i64,
    /// Room, when set.
    pub room_id: Option<&'r str>,
    /// Recording ids as a JSON array.
    pub recording_ids: &'r str,
    /// Creation time.
    pub created_at: &'r str,
}

/// By position in `COLUMNS` rather than by name, and without asking the row
/// whether each column's type fits (these are the columns `TABLES` creates): a
/// list decodes a thousand values, and those look-ups were a fifth of its work.
impl<'r, R> FromRow<'r, R> for MeetingRef<'r>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database>,
    i64: Decode<'r, R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(MeetingRef {
            id: row.try_get_unchecked(0)?,
            title: row.try_get_unchecked(1)?,
            host_id: row.try_get_unchecked(2)?,
            transcript_enabled: row.try_get_unchecked(3)?,
            summary_generated: row.try_get_unchecked(4)?,
            room_id: row.try_get_unchecked(5)?,
            recording_ids: row.try_get_unchecked(6)?,
            created_at: row.try_get_unchecked(7)?,
        })
    }
}

impl<'r> From<&'r MeetingRow> for MeetingRef<'r> {
    fn from(row: &'r MeetingRow) -> Self {
        MeetingRef {
            id: &row.id,
            title: &row.title,
            host_id: &row.host_id,
            transcript_enabled: row.transcript_enabled,
            summary_generated: row.summary_generated,
            room_id: row.room_id.as_deref(),
            recording_ids: &row.recording_ids,
            created_at: &row.created_at,
        }
    }
}

static BY_HOST: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM meetings WHERE host_id = $1 ORDER BY created_at DESC, id DESC \
         LIMIT $2 OFFSET $3"
    )
});

/// Meetings hosted by `host_id`, newest first; decode them as [`MeetingRow`] or
/// [`MeetingRef`].
pub async fn by_host(
    db: &ReadDb,
    host_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Rows, ProjectionError> {
    Ok(match db.pg_reads() {
        Some(pg) => Rows::Pg(
            pg.fetch_all(sqlx::query(&BY_HOST).bind(host_id).bind(limit).bind(offset))
                .await?,
        ),
        None => Rows::Any(
            sqlx::query(&BY_HOST)
                .bind(host_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(db.pool())
                .await?,
        ),
    })
}

/// The most recent meeting held in `room_id`, if any.
pub async fn latest_in_room(
    pool: &AnyPool,
    room_id: &str,
) -> Result<Option<String>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM meetings WHERE room_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(room_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// The meeting with this id.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<MeetingRow>, ProjectionError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM meetings WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

#[async_trait]
impl Projection for MeetingsProjection {
    fn name(&self) -> &'static str {
        "meetings"
    }

    /// 2: summaries set `summary_generated`; 3: recordings started for a meeting
    /// join its `recordingIds`.
    fn version(&self) -> u32 {
        3
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
        let table = target.table("meetings");
        let touched: Vec<String> = batch
            .iter()
            .filter_map(|a| match &a.event {
                DomainEvent::MeetingCreated(e) => Some(e.meeting_id.to_string()),
                DomainEvent::MeetingUpdated(e) => Some(e.meeting_id.to_string()),
                DomainEvent::MeetingSummaryGenerated(e) => Some(e.meeting_id.to_string()),
                DomainEvent::RecordingStarted(e) => e.meeting_id.map(|m| m.to_string()),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if touched.is_empty() {
            return Ok(());
        }
        let mut rows: HashMap<String, MeetingRow> =
            load_by_ids::<MeetingRow>(conn, &table, COLUMNS, &touched)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut changed = BTreeMap::new();
        for applied in batch {
            match &applied.event {
                DomainEvent::MeetingCreated(e) => {
                    let id = e.meeting_id.to_string();
                    if rows.contains_key(&id) {
                        continue;
                    }
                    let at = api_time(e.created_at);
                    rows.insert(
                        id.clone(),
                        MeetingRow {
                            id: id.clone(),
                            title: e.title.clone(),
                            host_id: e.host_id.to_string(),
                            transcript_enabled: i64::from(e.transcript_enabled),
                            summary_generated: 0,
                            room_id: None,
                            recording_ids: "[]".into(),
                            created_at: at.clone(),
                            updated_at: at,
                        },
                    );
                    changed.insert(id, ());
                }
                DomainEvent::MeetingUpdated(e) => {
                    let id = e.meeting_id.to_string();
                    let Some(row) = rows.get_mut(&id) else {
                        continue;
                    };
                    if let Some(t) = &e.title {
                        row.title = t.clone();
                    }
                    if let Some(v) = e.transcript_enabled {
                        row.transcript_enabled = i64::from(v);
                    }
                    if let Some(v) = e.summary_generated {
                        row.summary_generated = i64::from(v);
                    }
                    if let Some(room) = e.room_id {
                        row.room_id = Some(room.to_string());
                    }
                    if let Some(rec) = &e.recording_id {
                        row.add_recording(rec);
                    }
                    row.updated_at = api_time(e.updated_at);
                    changed.insert(id, ());
                }
                DomainEvent::RecordingStarted(e) => {
                    let Some(id) = e.meeting_id.map(|m| m.to_string()) else {
                        continue;
                    };
                    let Some(row) = rows.get_mut(&id) else {
                        continue;
                    };
                    row.add_recording(&e.recording_id);
                    row.updated_at = api_time(e.started_at);
                    changed.insert(id, ());
                }
                DomainEvent::MeetingSummaryGenerated(e) => {
                    let id = e.meeting_id.to_string();
                    let Some(row) = rows.get_mut(&id) else {
                        continue;
                    };
                    row.summary_generated = 1;
                    row.updated_at = api_time(e.generated_at);
                    changed.insert(id, ());
                }
                _ => {}
            }
        }
        let out = changed
            .into_keys()
            .filter_map(|id| rows.remove(&id))
            .map(MeetingRow::cells)
            .collect();
        upsert(conn, &table, &COLUMN_LIST, out).await?;
        Ok(())
    }
}
