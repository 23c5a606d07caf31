//! The storage read models: `stored_recordings` (one row per recording file in a
//! user's blob storage) and `storage_accounts` (usage, count and limit per user).
//! Usage is recomputed from the file rows of the users a batch touched, so it is
//! always the sum of what is stored.

use std::collections::{BTreeMap, HashMap};

use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, fetch_in, load_by_ids, placeholders, upsert, write_or_delete};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `storage_accounts` and `stored_recordings`.
pub struct StorageProjection;

const TABLES: &[TableDef] = &[
    TableDef {
        name: "stored_recordings",
        create: &[
            "CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                room_id TEXT NOT NULL,
                recording_id TEXT NOT NULL,
                file_name TEXT NOT NULL,
                file_size BIGINT NOT NULL,
                blob_path TEXT NOT NULL,
                uploaded_at TEXT NOT NULL
            )",
            "CREATE INDEX ix_{ix} ON {table} (user_id, uploaded_at)",
            "CREATE INDEX ix_{ix} ON {table} (recording_id)",
        ],
    },
    TableDef {
        name: "storage_accounts",
        create: &[
            "CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                total_usage BIGINT NOT NULL,
                storage_limit BIGINT,
                recordings_count BIGINT NOT NULL,
                updated_at TEXT NOT NULL
            )",
            "CREATE INDEX ix_{ix} ON {table} (total_usage)",
        ],
    },
];

const FILE_COLUMN_LIST: [&str; 8] = [
    "id",
    "user_id",
    "room_id",
    "recording_id",
    "file_name",
    "file_size",
    "blob_path",
    "uploaded_at",
];
const FILE_COLUMNS: &str =
    "id, user_id, room_id, recording_id, file_name, file_size, blob_path, uploaded_at";
const ACCOUNT_COLUMN_LIST: [&str; 5] = [
    "id",
    "total_usage",
    "storage_limit",
    "recordings_count",
    "updated_at",
];
const ACCOUNT_COLUMNS: &str = "id, total_usage, storage_limit, recordings_count, updated_at";

/// A recording file in a user's storage.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StoredRecordingRow {
    /// `{userId}/{recordingId}/{fileName}`.
    pub id: String,
    /// Whose storage.
    pub user_id: String,
    /// The recorded room.
    pub room_id: String,
    /// The client's recording id.
    pub recording_id: String,
    /// The file's name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: i64,
    /// Where the bytes are in the blob store.
    pub blob_path: String,
    /// When it was stored.
    pub uploaded_at: String,
}

/// A user's storage figures.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StorageAccountRow {
    /// The user.
    pub id: String,
    /// Bytes stored.
    pub total_usage: i64,
    /// Limit set by an administrator; `None` means the configured default.
    pub storage_limit: Option<i64>,
    /// Files stored.
    pub recordings_count: i64,
    /// Last change.
    pub updated_at: String,
}

/// The row id of a recording file.
pub fn file_id(user_id: &str, recording_id: &str, file_name: &str) -> String {
    format!("{user_id}/{recording_id}/{file_name}")
}

/// A user's figures, if anything was ever stored or limited.
pub async fn account(
    pool: &AnyPool,
    user_id: &str,
) -> Result<Option<StorageAccountRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM storage_accounts WHERE id = $1"
    ))
    .bind(user_id)
    .fetch_optional(pool)
    .await?)
}

/// A user's files, newest first.
pub async fn files(
    pool: &AnyPool,
    user_id: &str,
    limit: i64,
) -> Result<Vec<StoredRecordingRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FILE_COLUMNS} FROM stored_recordings WHERE user_id = $1 \
         ORDER BY uploaded_at DESC, id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A page of a user's files, newest first.
pub async fn files_page(
    pool: &AnyPool,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<StoredRecordingRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FILE_COLUMNS} FROM stored_recordings WHERE user_id = $1 \
         ORDER BY uploaded_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?)
}

/// The stored files of these recordings, oldest first.
pub async fn files_of_recordings(
    pool: &AnyPool,
    recording_ids: &[String],
) -> Result<Vec<StoredRecordingRow>, ProjectionError> {
    Ok(fetch_in(
        pool,
        &format!(
            "SELECT {FILE_COLUMNS} FROM stored_recordings WHERE recording_id IN ({{in}}) \
             ORDER BY uploaded_at, id"
        ),
        recording_ids,
    )
    .await?)
}

/// One file of a user's storage.
pub async fn file(
    pool: &AnyPool,
    user_id: &str,
    recording_id: &str,
    file_name: &str,
) -> Result<Option<StoredRecordingRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FILE_COLUMNS} FROM stored_recordings WHERE id = $1"
    ))
    .bind(file_id(user_id, recording_id, file_name))
    .fetch_optional(pool)
    .await?)
}

/// Every stored recording file's blob path.
pub async fn all_blob_paths(pool: &AnyPool) -> Result<Vec<String>, ProjectionError> {
    Ok(
        sqlx::query_scalar("SELECT blob_path FROM stored_recordings")
            .fetch_all(pool)
            .await?,
    )
}

/// Users whose usage is over their limit (`default_limit` when none is set),
/// furthest over first.
pub async fn exceeded(
    pool: &AnyPool,
    default_limit: i64,
) -> Result<Vec<StorageAccountRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM storage_accounts \
         WHERE total_usage > COALESCE(storage_limit, $1) \
         ORDER BY total_usage - COALESCE(storage_limit, $1) DESC, id"
    ))
    .bind(default_limit)
    .fetch_all(pool)
    .await?)
}

#[async_trait]
impl Projection for StorageProjection {
    fn name(&self) -> &'static str {
        "storage"
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
        let files_table = target.table("stored_recordings");
        let accounts_table = target.table("storage_accounts");
        // Per file id, the last word of the batch: a row to write or a removal.
        let mut files: BTreeMap<String, Option<Vec<Cell>>> = BTreeMap::new();
        let mut limits: HashMap<String, i64> = HashMap::new();
        let mut touched: BTreeMap<String, String> = BTreeMap::new();
        for applied in batch {
            match &applied.event {
                DomainEvent::RecordingFileUploaded(e) => {
                    let user = e.user_id.to_string();
                    let id = file_id(&user, &e.recording_id, &e.file_name);
                    let at = api_time(e.uploaded_at);
                    files.insert(
                        id.clone(),
                        Some(vec![
                            Cell::Text(id),
                            Cell::Text(user.clone()),
                            Cell::Text(e.room_id.to_string()),
                            Cell::Text(e.recording_id.clone()),
                            Cell::Text(e.file_name.clone()),
                            Cell::Int(size(e.file_size)),
                            Cell::Text(e.blob_path.clone()),
                            Cell::Text(at.clone()),
                        ]),
                    );
                    touched.insert(user, at);
                }
                DomainEvent::RecordingFileDeleted(e) => {
                    let user = e.user_id.to_string();
                    files.insert(file_id(&user, &e.recording_id, &e.file_name), None);
                    touched.insert(user, api_time(e.deleted_at));
                }
                DomainEvent::StorageLimitChanged(e) => {
                    let user = e.user_id.to_string();
                    limits.insert(user.clone(), size(e.storage_limit));
                    touched.insert(user, api_time(e.changed_at));
                }
                _ => {}
            }
        }
        if touched.is_empty() {
            return Ok(());
        }
        write_or_delete(conn, &files_table, &FILE_COLUMN_LIST, files).await?;

        let users: Vec<String> = touched.keys().cloned().collect();
        let existing: HashMap<String, StorageAccountRow> =
            load_by_ids::<StorageAccountRow>(conn, &accounts_table, ACCOUNT_COLUMNS, &users)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut totals: HashMap<String, (i64, i64)> = HashMap::new();
        for chunk in users.chunks(500) {
            let sql = format!(
                "SELECT user_id, CAST(SUM(file_size) AS BIGINT), COUNT(*) FROM {files_table} \
                 WHERE user_id IN ({}) GROUP BY user_id",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_as::<_, (String, i64, i64)>(&sql);
            for user in chunk {
                query = query.bind(user);
            }
            for (user, usage, count) in query.fetch_all(&mut *conn).await? {
                totals.insert(user, (usage, count));
            }
        }
        let rows = touched
            .into_iter()
            .map(|(user, at)| {
                let (usage, count) = totals.get(&user).copied().unwrap_or((0, 0));
                let limit = limits
                    .get(&user)
                    .copied()
                    .or_else(|| existing.get(&user).and_then(|r| r.storage_limit));
                vec![
                    Cell::Text(user),
                    Cell::Int(usage),
                    Cell::MaybeInt(limit),
                    Cell::Int(count),
                    Cell::Text(at),
                ]
            })
            .collect();
        upsert(conn, &accounts_table, &ACCOUNT_COLUMN_LIST, rows).await?;
        Ok(())
    }
}

/// Sizes are far below `i64::MAX`; saturate rather than wrap if one is not.
fn size(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}
