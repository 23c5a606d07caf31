//! The `meetings` read model: what `GET /meetings/list/:userId` returns.

use altegon_commands::store::RecordedEvent;
use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::{Projection, ProjectionError, TableDef, Target, api_time};

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
    ],
}];

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
}

const COLUMNS: &str = "id, title, host_id, transcript_enabled, summary_generated, room_id, \
    recording_ids, created_at, updated_at";

/// Meetings hosted by `host_id`, newest first.
pub async fn by_host(
    pool: &AnyPool,
    host_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<MeetingRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM meetings WHERE host_id = $1 ORDER BY created_at DESC, id DESC \
         LIMIT $2 OFFSET $3"
    ))
    .bind(host_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?)
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
        let table = target.table("meetings");
        match event {
            DomainEvent::MeetingCreated(e) => {
                let at = api_time(e.created_at);
                sqlx::query(&format!(
                    "INSERT INTO {table} (id, title, host_id, transcript_enabled, summary_generated, \
                     room_id, recording_ids, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 0, NULL, '[]', $5, $5) ON CONFLICT (id) DO NOTHING"
                ))
                .bind(e.meeting_id.to_string())
                .bind(&e.title)
                .bind(e.host_id.to_string())
                .bind(i64::from(e.transcript_enabled))
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            DomainEvent::MeetingUpdated(e) => {
                let id = e.meeting_id.to_string();
                let Some(mut row) = sqlx::query_as::<_, MeetingRow>(&format!(
                    "SELECT {COLUMNS} FROM {table} WHERE id = $1"
                ))
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await?
                else {
                    return Ok(());
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
                let mut recordings = row.recording_list();
                if let Some(rec) = &e.recording_id
                    && !recordings.contains(rec)
                {
                    recordings.push(rec.clone());
                }
                sqlx::query(&format!(
                    "UPDATE {table} SET title = $2, transcript_enabled = $3, summary_generated = $4, \
                     room_id = $5, recording_ids = $6, updated_at = $7 WHERE id = $1"
                ))
                .bind(&id)
                .bind(&row.title)
                .bind(row.transcript_enabled)
                .bind(row.summary_generated)
                .bind(&row.room_id)
                .bind(serde_json::json!(recordings).to_string())
                .bind(api_time(e.updated_at))
                .execute(&mut *conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
