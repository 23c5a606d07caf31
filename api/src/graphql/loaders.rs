//! Batched reads for nested lists: a page of meetings asks for its recordings,
//! transcripts, notes and files with one query each, whatever the page size.
//! Every read of an operation is counted ([`ReadCounter`]) and the count is
//! returned in the response's `extensions.readQueries`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use altegon_projections::MAX_KEYS_PER_QUERY;
use altegon_projections::models::recordings::{self, RecordingRow};
use altegon_projections::models::storage::{self, StoredRecordingRow};
use altegon_projections::models::transcripts::{self, LineRow, SummaryRow};
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sqlx::AnyPool;

/// Read-model queries one operation ran.
#[derive(Debug, Clone, Default)]
pub struct ReadCounter(Arc<AtomicUsize>);

impl ReadCounter {
    /// Counts the statements a read over `keys` keys runs.
    pub fn add_batch(&self, keys: usize) {
        self.0
            .fetch_add(keys.div_ceil(MAX_KEYS_PER_QUERY).max(1), Ordering::Relaxed);
    }

    /// Counts one single-statement read.
    pub fn add_one(&self) {
        self.add_batch(1);
    }

    /// The count so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// The batched readers of one operation.
pub struct ReadModelLoader {
    pool: AnyPool,
    counter: ReadCounter,
}

/// The loader for an operation, sharing its counter.
/// Cached for the operation, so a list asked for twice (a meeting's recordings
/// and, through them, its files) is read once.
pub fn loader(pool: AnyPool, counter: ReadCounter) -> DataLoader<ReadModelLoader, HashMapCache> {
    DataLoader::with_cache(
        ReadModelLoader { pool, counter },
        tokio::spawn,
        HashMapCache::default(),
    )
    .max_batch_size(MAX_KEYS_PER_QUERY)
}

/// Loader failures, shared between the waiting resolvers.
pub type LoadError = Arc<altegon_projections::ProjectionError>;

/// A meeting's recordings: those naming the meeting and those in its list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordingsOfMeeting {
    /// The meeting.
    pub meeting_id: String,
    /// The recording ids the meeting lists.
    pub listed: Vec<String>,
}

impl Loader<RecordingsOfMeeting> for ReadModelLoader {
    type Value = Vec<RecordingRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[RecordingsOfMeeting],
    ) -> Result<HashMap<RecordingsOfMeeting, Self::Value>, Self::Error> {
        let meeting_ids: Vec<String> = keys.iter().map(|k| k.meeting_id.clone()).collect();
        let mut listed: Vec<String> = keys.iter().flat_map(|k| k.listed.clone()).collect();
        listed.sort();
        listed.dedup();
        self.counter.add_batch(meeting_ids.len());
        let mut rows = recordings::by_meetings(&self.pool, &meeting_ids).await?;
        if !listed.is_empty() {
            self.counter.add_batch(listed.len());
            rows.extend(recordings::by_ids(&self.pool, &listed).await?);
        }
        rows.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        Ok(keys
            .iter()
            .map(|key| {
                let mine = rows
                    .iter()
                    .filter(|r| {
                        r.meeting_id.as_deref() == Some(key.meeting_id.as_str())
                            || key.listed.contains(&r.id)
                    })
                    .cloned()
                    .collect();
                (key.clone(), mine)
            })
            .collect())
    }
}

/// A meeting's transcript, by meeting id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TranscriptOf(pub String);

impl Loader<TranscriptOf> for ReadModelLoader {
    type Value = Vec<LineRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[TranscriptOf],
    ) -> Result<HashMap<TranscriptOf, Self::Value>, Self::Error> {
        let ids: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        self.counter.add_batch(ids.len());
        // Every key gets an entry, so the operation's cache answers for it.
        let mut out: HashMap<TranscriptOf, Vec<LineRow>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for row in transcripts::transcripts_of(&self.pool, &ids).await? {
            out.entry(TranscriptOf(row.meeting_id.clone()))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}

/// A meeting's latest notes, by meeting id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SummaryOf(pub String);

impl Loader<SummaryOf> for ReadModelLoader {
    type Value = Option<SummaryRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[SummaryOf],
    ) -> Result<HashMap<SummaryOf, Self::Value>, Self::Error> {
        let ids: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        self.counter.add_batch(ids.len());
        let mut out: HashMap<SummaryOf, Option<SummaryRow>> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for row in transcripts::summaries_of(&self.pool, &ids).await? {
            out.insert(SummaryOf(row.id.clone()), Some(row));
        }
        Ok(out)
    }
}

/// A recording's stored files, by recording id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilesOf(pub String);

impl Loader<FilesOf> for ReadModelLoader {
    type Value = Vec<StoredRecordingRow>;
    type Error = LoadError;

    async fn load(&self, keys: &[FilesOf]) -> Result<HashMap<FilesOf, Self::Value>, Self::Error> {
        let ids: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        self.counter.add_batch(ids.len());
        let mut out: HashMap<FilesOf, Vec<StoredRecordingRow>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for row in storage::files_of_recordings(&self.pool, &ids).await? {
            out.entry(FilesOf(row.recording_id.clone()))
                .or_default()
                .push(row);
        }
        Ok(out)
    }
}
