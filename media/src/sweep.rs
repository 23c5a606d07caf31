//! Finds and removes orphan blobs: bytes under `recordings/` or `documents/` that
//! no event records, left by a crash between storing and appending or by a failed
//! delete (see ADR 0006). Only blobs older than a grace period are touched, so an
//! upload whose event is still on its way is never taken for an orphan.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::blob::{BlobError, BlobStore};

/// The folders whose blobs events record.
pub const SWEPT_PREFIXES: [&str; 2] = ["recordings", "documents"];

/// What a sweep found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Blobs looked at.
    pub scanned: u64,
    /// Orphans found (removed unless it was a dry run), by location.
    pub orphans: Vec<String>,
    /// Bytes they hold.
    pub orphan_bytes: u64,
    /// Orphans younger than the grace period, left alone.
    pub too_recent: u64,
}

/// Lists the blobs under [`SWEPT_PREFIXES`] that are not in `referenced` (paths as
/// events record them) and were last written before `older_than`; deletes them
/// unless `dry_run`. `progress` is called after each blob.
pub async fn sweep_orphans(
    blobs: &BlobStore,
    referenced: &HashSet<String>,
    older_than: DateTime<Utc>,
    dry_run: bool,
    mut progress: impl FnMut(u64),
) -> Result<SweepReport, BlobError> {
    let known: HashSet<String> = referenced.iter().map(|p| BlobStore::location(p)).collect();
    let mut report = SweepReport::default();
    for prefix in SWEPT_PREFIXES {
        for blob in blobs.list(prefix).await? {
            report.scanned += 1;
            progress(report.scanned);
            if known.contains(&blob.location) {
                continue;
            }
            if blob.modified >= older_than {
                report.too_recent += 1;
                continue;
            }
            if !dry_run {
                blobs.delete_location(&blob.location).await?;
            }
            report.orphan_bytes += blob.size;
            report.orphans.push(blob.location);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::{BlobBackend, LocalUrlSigner};
    use bytes::Bytes;

    async fn put(store: &BlobStore, path: &str) {
        let body = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]);
        store.put_stream(path, body, 100).await.unwrap();
    }

    #[tokio::test]
    async fn only_old_unrecorded_blobs_under_the_swept_folders_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(
            BlobBackend::Local {
                root: dir.path().to_path_buf(),
            },
            LocalUrlSigner::new(&[1; 32], "http://127.0.0.1:1").unwrap(),
        )
        .await
        .unwrap();
        put(&store, "recordings/u/r/1/x/kept file.mp4").await;
        put(&store, "recordings/u/r/1/y/orphan.mp4").await;
        put(&store, "documents/r/r_doc.txt").await;
        put(&store, "documents/r/r_stray.txt").await;
        put(&store, "elsewhere/untouched.bin").await;
        let referenced: HashSet<String> = [
            "recordings/u/r/1/x/kept file.mp4".to_owned(),
            "documents/r/r_doc.txt".to_owned(),
        ]
        .into();

        let recent = sweep_orphans(
            &store,
            &referenced,
            Utc::now() - chrono::Duration::hours(1),
            false,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(recent.too_recent, 2);
        assert!(recent.orphans.is_empty());

        let future = Utc::now() + chrono::Duration::seconds(5);
        let dry = sweep_orphans(&store, &referenced, future, true, |_| {})
            .await
            .unwrap();
        assert_eq!(dry.scanned, 4);
        assert_eq!(dry.orphans.len(), 2);
        assert_eq!(dry.orphan_bytes, 6);
        assert_eq!(
            store.size("recordings/u/r/1/y/orphan.mp4").await.unwrap(),
            Some(3)
        );

        let swept = sweep_orphans(&store, &referenced, future, false, |_| {})
            .await
            .unwrap();
        assert_eq!(swept.orphans, dry.orphans);
        assert_eq!(
            store.size("recordings/u/r/1/y/orphan.mp4").await.unwrap(),
            None
        );
        assert_eq!(store.size("documents/r/r_stray.txt").await.unwrap(), None);
        assert_eq!(
            store
                .size("recordings/u/r/1/x/kept file.mp4")
                .await
                .unwrap(),
            Some(3)
        );
        assert_eq!(store.size("documents/r/r_doc.txt").await.unwrap(), Some(3));
        assert_eq!(
            store.size("elsewhere/untouched.bin").await.unwrap(),
            Some(3)
        );
    }
}
