//! The GraphQL object types, read from read-model rows. Field names follow the
//! REST shapes; nested lists of a meeting and a recording load through the
//! operation's [`loaders`](super::loaders).

use altegon_domain::storage::StorageUsage;
use altegon_projections::models::meetings::MeetingRow;
use altegon_projections::models::recordings::RecordingRow;
use altegon_projections::models::room_streams::RoomStreamRow;
use altegon_projections::models::rooms::RoomRow;
use altegon_projections::models::storage::StoredRecordingRow;
use altegon_projections::models::transcripts::{LineRow, SummaryRow};
use altegon_projections::models::users::UserRow;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{ComplexObject, Context, ID, Json, Lookahead, Object, SimpleObject};
use serde_json::Value;

use super::caller::app;
use super::loaders::{
    FilesOf, LoadError, ReadModelLoader, RecordingsOfMeeting, SummaryOf, TranscriptOf,
};
use crate::error::Error;
use crate::routes::transcripts::readable;
use crate::state::AppState;

/// A size in bytes, or a count that may pass 32 bits: a JSON number.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct ByteCount(pub u64);
async_graphql::scalar!(
    ByteCount,
    "ByteCount",
    "A size in bytes: a JSON number that may exceed 32 bits."
);

/// Loader failures are logged; the client hears the service is unavailable.
pub fn load_failed(e: LoadError) -> async_graphql::Error {
    tracing::error!(error = %e, "read model query failed");
    async_graphql::ErrorExtensions::extend(&Error::Unavailable { retry_after: 1 })
}

fn loader<'a>(ctx: &Context<'a>) -> &'a DataLoader<ReadModelLoader, HashMapCache> {
    ctx.data_unchecked::<DataLoader<ReadModelLoader, HashMapCache>>()
}

/// An account (never its password hash).
#[derive(SimpleObject)]
pub struct User {
    /// Id.
    pub id: ID,
    /// Email as entered.
    pub email: String,
    /// First name.
    pub f_name: String,
    /// Last name.
    pub l_name: String,
    /// Contact number.
    pub phone_number: String,
    /// Country.
    pub country: String,
    /// `user`, and `admin` for administrators.
    pub roles: Vec<String>,
    /// Registration time.
    pub created_at: String,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        let roles = row.role_list();
        Self {
            id: ID(row.id),
            email: row.email,
            f_name: row.f_name,
            l_name: row.l_name,
            phone_number: row.phone_number,
            country: row.country,
            roles,
            created_at: row.created_at,
        }
    }
}

/// A room.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Room {
    /// Id.
    pub id: ID,
    /// The owning account.
    pub owner_id: ID,
    /// Display name.
    pub name: String,
    /// Kind of room, e.g. `meeting`.
    #[graphql(name = "type")]
    pub room_type: String,
    /// Participant bound, if any.
    pub max_participants: Option<i64>,
    /// Private rooms are open to their owner only.
    pub is_private: bool,
    /// Peer-to-peer media instead of the SFU.
    pub p2p: bool,
    /// Creation time.
    pub created_at: String,
}

#[ComplexObject]
impl Room {
    /// The media streams published in this room through the SFU, newest first.
    async fn streams(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RoomStream>> {
        use super::errors::OrGraphql;
        super::query::count_read(ctx);
        let rows =
            altegon_projections::models::room_streams::by_room(app(ctx).read_pool(), &self.id)
                .await
                .gql()?;
        Ok(rows.into_iter().map(RoomStream::from).collect())
    }
}

/// A media stream a participant published in a room.
#[derive(SimpleObject)]
pub struct RoomStream {
    /// The stream's id, as the room's sockets name it.
    pub id: ID,
    /// The publishing account.
    pub owner_id: ID,
    /// When its media connection came up.
    pub published_at: String,
    /// When it ended; null while live.
    pub unpublished_at: Option<String>,
    /// Subscribers now (0 once ended).
    pub subscribers: i64,
    /// Most subscribers it had at once.
    pub peak_subscribers: i64,
}

impl From<RoomStreamRow> for RoomStream {
    fn from(row: RoomStreamRow) -> Self {
        Self {
            id: ID(row.id),
            owner_id: ID(row.owner_id),
            published_at: row.published_at,
            unpublished_at: row.unpublished_at,
            subscribers: row.subscribers,
            peak_subscribers: row.peak_subscribers,
        }
    }
}

impl From<RoomRow> for Room {
    fn from(row: RoomRow) -> Self {
        Self {
            id: ID(row.id),
            owner_id: ID(row.owner_id),
            name: row.name,
            room_type: row.room_type,
            max_participants: row.max_participants,
            is_private: row.is_private != 0,
            p2p: row.p2p != 0,
            created_at: row.created_at,
        }
    }
}

/// Reads what the selection `node` asks of a page of meetings in one batch per
/// kind, so that each meeting's nested fields are answered from the cache: the
/// cost of a page does not grow with its size.
pub async fn prime_meetings(
    ctx: &Context<'_>,
    rows: &[MeetingRow],
    node: &Lookahead<'_>,
) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    let files = node.field("files").exists();
    if node.field("recordings").exists() || files {
        let keys = rows.iter().map(|r| RecordingsOfMeeting {
            meeting_id: r.id.clone(),
            listed: r.recording_list(),
        });
        let found = loader.load_many(keys).await.map_err(load_failed)?;
        if files || node.field("recordings").field("files").exists() {
            let recordings: Vec<RecordingRow> = found.into_values().flatten().collect();
            prime_recordings(ctx, &recordings).await?;
        }
    }
    if node.field("transcript").exists() {
        let keys = rows.iter().map(|r| TranscriptOf(r.id.clone()));
        loader.load_many(keys).await.map_err(load_failed)?;
    }
    if node.field("summary").exists() {
        let keys = rows.iter().map(|r| SummaryOf(r.id.clone()));
        loader.load_many(keys).await.map_err(load_failed)?;
    }
    Ok(())
}

/// Reads the files of a page of recordings in one batch.
pub async fn prime_recordings(
    ctx: &Context<'_>,
    rows: &[RecordingRow],
) -> async_graphql::Result<()> {
    if !rows.is_empty() {
        let keys = rows.iter().map(|r| FilesOf(r.id.clone()));
        loader(ctx).load_many(keys).await.map_err(load_failed)?;
    }
    Ok(())
}

/// A meeting with its recordings, transcript, notes and files.
pub struct Meeting(pub MeetingRow);

#[Object]
impl Meeting {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// The hosting account.
    async fn host_id(&self) -> ID {
        ID(self.0.host_id.clone())
    }

    /// Whether live transcription is on.
    async fn transcript_enabled(&self) -> bool {
        self.0.transcript_enabled != 0
    }

    /// Whether notes were generated.
    async fn summary_generated(&self) -> bool {
        self.0.summary_generated != 0
    }

    /// The room it takes place in, once known.
    async fn room_id(&self) -> Option<ID> {
        self.0.room_id.clone().map(ID)
    }

    /// Recording ids added to the meeting.
    async fn recording_ids(&self) -> Vec<String> {
        self.0.recording_list()
    }

    /// Creation time.
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }

    /// The meeting's recordings, oldest first.
    async fn recordings(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Recording>> {
        let key = RecordingsOfMeeting {
            meeting_id: self.0.id.clone(),
            listed: self.0.recording_list(),
        };
        let rows = loader(ctx).load_one(key).await.map_err(load_failed)?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Recording)
            .collect())
    }

    /// The transcript, in arrival order, decrypted.
    async fn transcript(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TranscriptLine>> {
        let rows = loader(ctx)
            .load_one(TranscriptOf(self.0.id.clone()))
            .await
            .map_err(load_failed)?;
        let state = app(ctx);
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| TranscriptLine::read(state, row))
            .collect())
    }

    /// The latest notes, when generated.
    async fn summary(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MeetingSummary>> {
        let row = loader(ctx)
            .load_one(SummaryOf(self.0.id.clone()))
            .await
            .map_err(load_failed)?;
        Ok(row.flatten().map(|row| MeetingSummary::read(app(ctx), row)))
    }

    /// The stored files of the meeting's recordings.
    async fn files(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StoredFile>> {
        let mut files = Vec::new();
        for recording in self.recordings(ctx).await? {
            files.extend(recording.files(ctx).await?);
        }
        Ok(files)
    }
}

/// A recording.
pub struct Recording(pub RecordingRow);

#[Object]
impl Recording {
    /// The record's id (`_id` in REST).
    async fn id(&self) -> ID {
        ID(self.0.record_id.clone())
    }

    /// The client's recording id.
    async fn recording_id(&self) -> &str {
        &self.0.id
    }

    /// The recorded room.
    async fn room_id(&self) -> ID {
        ID(self.0.room_id.clone())
    }

    /// The meeting, when known.
    async fn meeting_id(&self) -> Option<ID> {
        self.0.meeting_id.clone().map(ID)
    }

    /// Who asked for the recording.
    async fn host_name(&self) -> &str {
        &self.0.host_name
    }

    /// True once stopped (as REST's `status`).
    async fn status(&self) -> bool {
        self.0.stopped != 0
    }

    /// The recorded stream.
    async fn stream_id(&self) -> &str {
        &self.0.stream_id
    }

    /// Kind of media.
    async fn video_type(&self) -> &str {
        &self.0.video_type
    }

    /// Start per the client.
    async fn start_time(&self) -> &str {
        &self.0.start_time
    }

    /// End per the client, once stopped.
    async fn end_time(&self) -> Option<&str> {
        self.0.end_time.as_deref()
    }

    /// When started.
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }

    /// Last change.
    async fn updated_at(&self) -> &str {
        &self.0.updated_at
    }

    /// The stored files of this recording.
    async fn files(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StoredFile>> {
        let rows = loader(ctx)
            .load_one(FilesOf(self.0.id.clone()))
            .await
            .map_err(load_failed)?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(StoredFile::from)
            .collect())
    }
}

/// A transcript line.
#[derive(SimpleObject)]
pub struct TranscriptLine {
    /// Id.
    pub id: ID,
    /// Speaker.
    pub user_name: String,
    /// What was said.
    pub message: String,
    /// Arrival time.
    pub created_at: String,
}

impl TranscriptLine {
    /// The line as the host reads it.
    pub fn read(state: &AppState, row: LineRow) -> Self {
        Self {
            id: ID(row.id),
            user_name: row.user_name,
            message: readable(state, &row.message),
            created_at: row.created_at,
        }
    }
}

/// A meeting's notes.
#[derive(SimpleObject)]
pub struct MeetingSummary {
    /// The summary paragraph.
    pub summary: String,
    /// The structured notes (REST's `notes`), when stored as such.
    pub notes: Option<Json<Value>>,
    /// Which summarizer wrote them.
    pub summarizer: String,
    /// Transcript lines covered.
    pub lines: i64,
    /// When.
    pub generated_at: String,
}

impl MeetingSummary {
    /// The notes as the host reads them.
    pub fn read(state: &AppState, row: SummaryRow) -> Self {
        let text = readable(state, &row.summary);
        let notes = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_object);
        let summary = notes
            .as_ref()
            .and_then(|n| n.get("summary"))
            .and_then(Value::as_str)
            .map_or_else(|| text.clone(), str::to_owned);
        Self {
            summary,
            notes: notes.map(Json),
            summarizer: row.summarizer,
            lines: row.lines,
            generated_at: row.generated_at,
        }
    }
}

/// A recording file in a user's storage.
#[derive(SimpleObject)]
pub struct StoredFile {
    /// The recording.
    pub recording_id: String,
    /// The recorded room.
    pub room_id: ID,
    /// The owner of the storage.
    pub user_id: ID,
    /// The file's name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: ByteCount,
    /// When stored.
    pub uploaded_at: String,
}

impl From<StoredRecordingRow> for StoredFile {
    fn from(row: StoredRecordingRow) -> Self {
        Self {
            recording_id: row.recording_id,
            room_id: ID(row.room_id),
            user_id: ID(row.user_id),
            file_name: row.file_name,
            file_size: ByteCount(row.file_size.max(0) as u64),
            uploaded_at: row.uploaded_at,
        }
    }
}

/// A storage warning.
#[derive(SimpleObject)]
pub struct StorageWarning {
    /// `usage` or `limit_exceeded`.
    #[graphql(name = "type")]
    pub kind: String,
    /// What to tell the user.
    pub message: String,
}

/// A user's storage figures (REST's storage-info).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct StorageInfo {
    /// Whose storage.
    pub user_id: ID,
    /// Bytes stored.
    pub total_usage: ByteCount,
    /// Bytes allowed.
    pub storage_limit: ByteCount,
    /// Bytes still free.
    pub available_storage: ByteCount,
    /// Whether usage passed the limit.
    pub is_limit_exceeded: bool,
    /// Bytes over the limit.
    pub exceed_amount: ByteCount,
    /// Usage as a percentage of the limit.
    pub usage_percentage: u64,
    /// Files stored.
    pub recordings_count: ByteCount,
    /// Warnings at 75 %, 90 % and past the limit.
    pub warnings: Vec<StorageWarning>,
}

impl StorageInfo {
    /// The figures of `user_id`.
    pub fn new(user_id: &str, u: &StorageUsage) -> Self {
        Self {
            user_id: ID(user_id.to_owned()),
            total_usage: ByteCount(u.total_usage),
            storage_limit: ByteCount(u.storage_limit),
            available_storage: ByteCount(u.available()),
            is_limit_exceeded: u.is_limit_exceeded(),
            exceed_amount: ByteCount(u.exceed_amount()),
            usage_percentage: u.usage_percentage(),
            recordings_count: ByteCount(u.recordings_count),
            warnings: u
                .warnings()
                .into_iter()
                .map(|w| StorageWarning {
                    kind: w.kind.to_owned(),
                    message: w.message,
                })
                .collect(),
        }
    }
}

#[ComplexObject]
impl StorageInfo {
    /// The user's stored files, newest first.
    #[graphql(complexity = "super::page::complexity(first, child_complexity)")]
    async fn files(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<async_graphql::connection::Connection<String, StoredFile>> {
        use super::errors::OrGraphql;
        let page = super::page::Page::new(first, after.as_deref()).gql()?;
        super::query::count_read(ctx);
        let rows = altegon_projections::models::storage::files_page(
            app(ctx).read_pool(),
            &self.user_id,
            page.fetch(),
            page.offset,
        )
        .await
        .gql()?;
        Ok(page.connection(rows.into_iter().map(StoredFile::from).collect()))
    }
}

/// Day and domain with their session count.
#[derive(SimpleObject)]
pub struct DomainCount {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Domain.
    pub domain: String,
    /// Sessions.
    pub count: i64,
}

/// A session type with its count.
#[derive(SimpleObject)]
pub struct TypeCount {
    /// Session type.
    pub session_type: String,
    /// Sessions.
    pub total_sessions: i64,
}

/// A location with its session count.
#[derive(SimpleObject)]
pub struct LocationCount {
    /// City.
    pub city: String,
    /// Region.
    pub region: String,
    /// ISO country code.
    pub country: String,
    /// Country name.
    pub country_name: String,
    /// Sessions.
    pub count: i64,
}

/// A city with its sessions and participants.
#[derive(SimpleObject)]
pub struct CityCount {
    /// City.
    pub city: String,
    /// Sessions.
    pub total_sessions: i64,
    /// Participants over those sessions.
    pub total_participants: i64,
}

/// An event of the log, as subscriptions deliver it.
#[derive(SimpleObject)]
pub struct LogEvent {
    /// Its global position: pass it as `after` to resume after it.
    pub position: String,
    /// Its stream.
    pub stream_id: String,
    /// Its type, e.g. `MeetingUpdated`.
    #[graphql(name = "type")]
    pub event_type: String,
    /// Its schema version.
    pub schema_version: i32,
    /// When it was recorded.
    pub recorded_at: String,
    /// Its fields (text of transcript lines and chat decrypted).
    pub data: Json<Value>,
}

/// What login answers.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// The access token.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The account.
    pub user: User,
}

/// A room access token for the realtime socket.
#[derive(SimpleObject)]
pub struct RoomToken {
    /// The token.
    pub token: String,
    /// The room.
    pub room_id: ID,
    /// The holder.
    pub user_id: ID,
    /// What it allows.
    pub grants: Vec<String>,
    /// When it expires.
    pub expires_at: Option<String>,
}

/// A time-limited, read-only download URL.
#[derive(SimpleObject)]
pub struct SignedUrl {
    /// The URL.
    pub url: String,
    /// When it stops working.
    pub expires_at: String,
    /// Always `r`.
    pub permissions: String,
}

/// A file shared in a room.
#[derive(SimpleObject)]
pub struct RoomFile {
    /// Stored name, `{roomId}_{originalName}`.
    pub file_name: String,
    /// The uploader's name for it.
    pub original_name: String,
    /// Size in bytes.
    pub size: ByteCount,
    /// When it was uploaded.
    pub upload_date: String,
}

impl From<altegon_projections::models::room_files::RoomFileRow> for RoomFile {
    fn from(row: altegon_projections::models::room_files::RoomFileRow) -> Self {
        Self {
            file_name: row.file_name,
            original_name: row.original_name,
            size: ByteCount(row.size.max(0) as u64),
            upload_date: row.upload_date,
        }
    }
}

/// An audit entry: who asked for what, from where, and what came of it.
#[derive(SimpleObject)]
pub struct AuditEntry {
    /// The entry's event id.
    pub id: ID,
    /// The caller, when signed in.
    pub actor_id: Option<ID>,
    /// Method and route, e.g. `DELETE /room/{room_id}/files`.
    pub action: String,
    /// The request's path.
    pub resource: String,
    /// `allowed`, `denied` or `failed`.
    pub outcome: String,
    /// The HTTP status answered.
    pub status: i64,
    /// The client's address.
    pub ip: Option<String>,
    /// The request's id.
    pub request_id: String,
    /// When.
    pub at: String,
}

impl From<altegon_projections::models::audit::AuditRow> for AuditEntry {
    fn from(r: altegon_projections::models::audit::AuditRow) -> Self {
        Self {
            id: ID(r.id),
            actor_id: r.actor_id.map(ID),
            action: r.action,
            resource: r.resource,
            outcome: r.outcome,
            status: r.status,
            ip: r.ip,
            request_id: r.request_id,
            at: r.at,
        }
    }
}
