//! The `recording_processing` read model: each recording's latest processing run
//! (`processing`, `processed`, `failed`, or `stored` once the MP4 is in its
//! owner's storage), with its progress. The recording server reads the unfinished
//! runs from it at start-up to pick them up again.

use std::collections::{BTreeSet, HashMap};

use altegon_domain::DomainEvent;
use altegon_domain::recording::ingest::processed_file_name;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `recording_processing`.
pub struct RecordingProcessingProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "recording_processing",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            room_id TEXT NOT NULL,
            room_owner_id TEXT NOT NULL,
            attempt BIGINT NOT NULL,
            status TEXT NOT NULL,
            percent BIGINT NOT NULL,
            file_name TEXT,
            duration_ms BIGINT,
            size BIGINT,
            reason TEXT,
            updated_at TEXT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (status)",
    ],
}];

const COLUMN_LIST: [&str; 11] = [
    "id",
    "room_id",
    "room_owner_id",
    "attempt",
    "status",
    "percent",
    "file_name",
    "duration_ms",
    "size",
    "reason",
    "updated_at",
];
const COLUMNS: &str = "id, room_id, room_owner_id, attempt, status, percent, file_name, \
    duration_ms, size, reason, updated_at";

/// A recording's latest processing run.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ProcessingRow {
    /// The client's recording id.
    pub id: String,
    /// The recorded room.
    pub room_id: String,
    /// Whose storage receives the MP4.
    pub room_owner_id: String,
    /// The run's number.
    pub attempt: i64,
    /// `processing`, `processed`, `failed` or `stored`.
    pub status: String,
    /// 0 to 100.
    pub percent: i64,
    /// The MP4's name once processed.
    pub file_name: Option<String>,
    /// Its length once processed.
    pub duration_ms: Option<i64>,
    /// Its size once processed.
    pub size: Option<i64>,
    /// Why the run failed.
    pub reason: Option<String>,
    /// When the row last changed.
    pub updated_at: String,
}

impl ProcessingRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.room_id),
            Cell::Text(self.room_owner_id),
            Cell::Int(self.attempt),
            Cell::Text(self.status),
            Cell::Int(self.percent),
            Cell::MaybeText(self.file_name),
            Cell::MaybeInt(self.duration_ms),
            Cell::MaybeInt(self.size),
            Cell::MaybeText(self.reason),
            Cell::Text(self.updated_at),
        ]
    }
}

/// The run of one recording, if it was ever processed.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<ProcessingRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM recording_processing WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Runs that are not finished: still processing, or processed but not stored.
pub async fn unfinished(pool: &AnyPool) -> Result<Vec<ProcessingRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM recording_processing \
         WHERE status IN ('processing', 'processed') ORDER BY updated_at"
    ))
    .fetch_all(pool)
    .await?)
}

fn touched_id(event: &DomainEvent) -> Option<&str> {
    match event {
        DomainEvent::RecordingProcessingStarted(e) => Some(&e.recording_id),
        DomainEvent::RecordingProcessingProgressed(e) => Some(&e.recording_id),
        DomainEvent::RecordingProcessed(e) => Some(&e.recording_id),
        DomainEvent::RecordingProcessingFailed(e) => Some(&e.recording_id),
        DomainEvent::RecordingFileUploaded(e) => Some(&e.recording_id),
        _ => None,
    }
}

#[async_trait]
impl Projection for RecordingProcessingProjection {
    fn name(&self) -> &'static str {
        "recording_processing"
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
        let table = target.table("recording_processing");
        let touched: Vec<String> = batch
            .iter()
            .filter_map(|a| touched_id(&a.event).map(str::to_owned))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if touched.is_empty() {
            return Ok(());
        }
        let mut rows: HashMap<String, ProcessingRow> =
            load_by_ids::<ProcessingRow>(conn, &table, COLUMNS, &touched)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut changed = BTreeSet::new();
        let same_run = |row: &ProcessingRow, attempt: u32| row.attempt == i64::from(attempt);
        for applied in batch {
            match &applied.event {
                DomainEvent::RecordingProcessingStarted(e) => {
                    rows.insert(
                        e.recording_id.clone(),
                        ProcessingRow {
                            id: e.recording_id.clone(),
                            room_id: e.room_id.to_string(),
                            room_owner_id: e.room_owner_id.to_string(),
                            attempt: i64::from(e.attempt),
                            status: "processing".into(),
                            percent: 0,
                            file_name: None,
                            duration_ms: None,
                            size: None,
                            reason: None,
                            updated_at: api_time(e.started_at),
                        },
                    );
                    changed.insert(e.recording_id.clone());
                }
                DomainEvent::RecordingProcessingProgressed(e) => {
                    if let Some(row) = rows
                        .get_mut(&e.recording_id)
                        .filter(|r| same_run(r, e.attempt) && r.status == "processing")
                    {
                        row.percent = i64::from(e.percent);
                        row.updated_at = api_time(e.reported_at);
                        changed.insert(e.recording_id.clone());
                    }
                }
                DomainEvent::RecordingProcessed(e) => {
                    if let Some(row) = rows
                        .get_mut(&e.recording_id)
                        .filter(|r| same_run(r, e.attempt))
                    {
                        row.status = "processed".into();
                        row.percent = 100;
                        row.file_name = Some(e.file_name.clone());
                        row.duration_ms = Some(i64::try_from(e.duration_ms).unwrap_or(i64::MAX));
                        row.size = Some(i64::try_from(e.size).unwrap_or(i64::MAX));
                        row.updated_at = api_time(e.processed_at);
                        changed.insert(e.recording_id.clone());
                    }
                }
                DomainEvent::RecordingProcessingFailed(e) => {
                    if let Some(row) = rows
                        .get_mut(&e.recording_id)
                        .filter(|r| same_run(r, e.attempt))
                    {
                        row.status = "failed".into();
                        row.reason = Some(e.reason.clone());
                        row.updated_at = api_time(e.failed_at);
                        changed.insert(e.recording_id.clone());
                    }
                }
                DomainEvent::RecordingFileUploaded(e) => {
                    if let Some(row) = rows.get_mut(&e.recording_id).filter(|r| {
                        r.status == "processed"
                            && e.file_name == processed_file_name(&e.recording_id)
                    }) {
                        row.status = "stored".into();
                        row.updated_at = api_time(e.uploaded_at);
                        changed.insert(e.recording_id.clone());
                    }
                }
                _ => {}
            }
        }
        let out: Vec<Vec<Cell>> = changed
            .into_iter()
            .filter_map(|id| rows.remove(&id))
            .map(ProcessingRow::cells)
            .collect();
        upsert(conn, &table, &COLUMN_LIST, out).await?;
        Ok(())
    }
}
