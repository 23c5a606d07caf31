//! The `transcripts`, `chat_messages` and `summaries` read models: a meeting's
//! lines in order, its chat, and its latest notes. Text is kept exactly as the
//! events hold it: transcript lines and summaries stay encrypted at rest.

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, fetch_in, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `transcripts`, `chat_messages` and `summaries`.
pub struct TranscriptsProjection;

const TABLES: &[TableDef] = &[
    TableDef {
        name: "transcripts",
        create: &[
            "CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                meeting_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                message TEXT NOT NULL,
                is_encrypted BIGINT NOT NULL,
                created_at TEXT NOT NULL,
                position BIGINT NOT NULL
            )",
            "CREATE INDEX ix_{ix} ON {table} (meeting_id, position)",
        ],
    },
    TableDef {
        name: "chat_messages",
        create: &[
            "CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                meeting_id TEXT NOT NULL,
                user_name TEXT NOT NULL,
                message TEXT NOT NULL,
                created_at TEXT NOT NULL,
                position BIGINT NOT NULL
            )",
            "CREATE INDEX ix_{ix} ON {table} (meeting_id, position)",
        ],
    },
    TableDef {
        name: "summaries",
        create: &["CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                summary TEXT NOT NULL,
                summarizer TEXT NOT NULL,
                lines BIGINT NOT NULL,
                generated_at TEXT NOT NULL
            )"],
    },
];

/// A transcript line or chat message as stored.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LineRow {
    /// Id.
    pub id: String,
    /// The meeting.
    pub meeting_id: String,
    /// Speaker or sender.
    pub user_name: String,
    /// Text as stored (ciphertext for encrypted lines).
    pub message: String,
    /// Arrival time.
    pub created_at: String,
}

/// A meeting's latest notes, as stored (encrypted).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SummaryRow {
    /// The meeting's id.
    pub id: String,
    /// The encrypted notes.
    pub summary: String,
    /// Which summarizer wrote them.
    pub summarizer: String,
    /// Transcript lines covered.
    pub lines: i64,
    /// When.
    pub generated_at: String,
}

/// A meeting's transcript lines, in the order they arrived.
pub async fn transcript(pool: &AnyPool, meeting_id: &str) -> Result<Vec<LineRow>, ProjectionError> {
    Ok(sqlx::query_as(
        "SELECT id, meeting_id, user_name, message, created_at FROM transcripts \
         WHERE meeting_id = $1 ORDER BY position",
    )
    .bind(meeting_id)
    .fetch_all(pool)
    .await?)
}

/// A meeting's chat messages, in the order they were posted.
pub async fn chat(pool: &AnyPool, meeting_id: &str) -> Result<Vec<LineRow>, ProjectionError> {
    Ok(sqlx::query_as(
        "SELECT id, meeting_id, user_name, message, created_at FROM chat_messages \
         WHERE meeting_id = $1 ORDER BY position",
    )
    .bind(meeting_id)
    .fetch_all(pool)
    .await?)
}

/// The transcript lines of these meetings, each meeting's in arrival order.
pub async fn transcripts_of(
    pool: &AnyPool,
    meeting_ids: &[String],
) -> Result<Vec<LineRow>, ProjectionError> {
    Ok(fetch_in(
        pool,
        "SELECT id, meeting_id, user_name, message, created_at FROM transcripts \
         WHERE meeting_id IN ({in}) ORDER BY meeting_id, position",
        meeting_ids,
    )
    .await?)
}

/// The latest notes of these meetings (those that have any).
pub async fn summaries_of(
    pool: &AnyPool,
    meeting_ids: &[String],
) -> Result<Vec<SummaryRow>, ProjectionError> {
    Ok(fetch_in(
        pool,
        "SELECT id, summary, summarizer, lines, generated_at FROM summaries WHERE id IN ({in})",
        meeting_ids,
    )
    .await?)
}

/// A meeting's latest notes.
pub async fn summary(
    pool: &AnyPool,
    meeting_id: &str,
) -> Result<Option<SummaryRow>, ProjectionError> {
    Ok(sqlx::query_as(
        "SELECT id, summary, summarizer, lines, generated_at FROM summaries WHERE id = $1",
    )
    .bind(meeting_id)
    .fetch_optional(pool)
    .await?)
}

const LINE_COLUMNS: [&str; 7] = [
    "id",
    "meeting_id",
    "user_name",
    "message",
    "is_encrypted",
    "created_at",
    "position",
];
const CHAT_COLUMNS: [&str; 6] = [
    "id",
    "meeting_id",
    "user_name",
    "message",
    "created_at",
    "position",
];
const SUMMARY_COLUMNS: [&str; 5] = ["id", "summary", "summarizer", "lines", "generated_at"];

#[async_trait]
impl Projection for TranscriptsProjection {
    fn name(&self) -> &'static str {
        "transcripts"
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
        let mut lines = Vec::new();
        let mut chat = Vec::new();
        let mut summaries = std::collections::BTreeMap::new();
        for applied in batch {
            let position = i64::try_from(applied.recorded.position).unwrap_or(i64::MAX);
            match &applied.event {
                // Lines and messages never change: replays rewrite the same values.
                DomainEvent::TranscriptLineAdded(e) => lines.push(vec![
                    Cell::Text(e.line_id.to_string()),
                    Cell::Text(e.meeting_id.to_string()),
                    Cell::Text(e.user_name.clone()),
                    Cell::Text(e.message.clone()),
                    Cell::Int(i64::from(e.is_encrypted)),
                    Cell::Text(api_time(e.added_at)),
                    Cell::Int(position),
                ]),
                DomainEvent::ChatMessagePosted(e) => chat.push(vec![
                    Cell::Text(e.message_id.to_string()),
                    Cell::Text(e.meeting_id.to_string()),
                    Cell::Text(e.user_name.clone()),
                    Cell::Text(e.message.clone()),
                    Cell::Text(api_time(e.posted_at)),
                    Cell::Int(position),
                ]),
                // The latest notes win.
                DomainEvent::MeetingSummaryGenerated(e) => {
                    summaries.insert(
                        e.meeting_id.to_string(),
                        vec![
                            Cell::Text(e.meeting_id.to_string()),
                            Cell::Text(e.summary.clone()),
                            Cell::Text(e.summarizer.clone()),
                            Cell::Int(i64::from(e.lines)),
                            Cell::Text(api_time(e.generated_at)),
                        ],
                    );
                }
                _ => {}
            }
        }
        upsert(conn, &target.table("transcripts"), &LINE_COLUMNS, lines).await?;
        upsert(conn, &target.table("chat_messages"), &CHAT_COLUMNS, chat).await?;
        upsert(
            conn,
            &target.table("summaries"),
            &SUMMARY_COLUMNS,
            summaries.into_values().collect(),
        )
        .await?;
        Ok(())
    }
}
