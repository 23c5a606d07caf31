//! The audit finds events changed or removed behind the store's back, on each SQL
//! backend, by editing the stored rows directly as an intruder would.

use altegon_commands::store::verify::{Problem, verify_log};
use altegon_commands::store::{ExpectedVersion, NewEvent, SharedEventStore};
use serde_json::json;
use uuid::Uuid;

mod support;
use support::{Backend, wait_for_position};

async fn fill(store: &SharedEventStore) {
    let mut last = 0;
    for stream in ["meeting-a", "meeting-b"] {
        let events = (0..5)
            .map(|n| NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Tested".into(),
                schema_version: 1,
                data: json!({ "n": n }),
                metadata: json!({}),
            })
            .collect();
        last = store
            .append_to_stream(stream, ExpectedVersion::NoStream, events)
            .await
            .unwrap()
            .last_position;
    }
    wait_for_position(store, last).await;
}

/// Runs `tamper` (SQL for this backend) and returns the problems found at meeting-a.
async fn findings_after(backend: Backend, tamper: &str) -> Vec<(u64, Problem)> {
    let store = backend.open().await;
    fill(&store).await;
    assert!(
        verify_log(store.as_ref(), |_, _| {})
            .await
            .unwrap()
            .is_clean()
    );
    store.close().await;
    backend.execute(tamper).await;
    let store = backend.open().await;
    let head = store.head_position().await.unwrap();
    wait_for_position(&store, head).await;
    let report = verify_log(store.as_ref(), |_, _| {}).await.unwrap();
    assert!(report.heads_checked);
    assert!(
        report.findings.iter().all(|f| f.stream_id == "meeting-a"),
        "{:?}",
        report.findings
    );
    let found = report
        .findings
        .iter()
        .map(|f| (f.version, f.problem.clone()))
        .collect();
    backend.cleanup(store).await;
    found
}

macro_rules! on_sql_backends {
    ($($name:ident: $sql:expr => $expected:expr;)*) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test]
            async fn $name() {
                assert_eq!(findings_after(Backend::sqlite(), $sql).await, $expected);
            })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test]
            async fn $name() {
                assert_eq!(findings_after(Backend::postgres().await, $sql).await, $expected);
            })*
        }
    };
}

on_sql_backends! {
    a_changed_event_is_reported_at_its_version:
        "UPDATE events SET data = '{\"n\":99}' WHERE stream_id = 'meeting-a' AND stream_version = 2"
        => vec![(2, Problem::Changed)];
    a_removed_event_is_reported_at_its_version:
        "DELETE FROM events WHERE stream_id = 'meeting-a' AND stream_version = 1"
        => vec![(2, Problem::Missing { from: 1, to: 1 })];
    a_removed_newest_event_is_reported:
        "DELETE FROM events WHERE stream_id = 'meeting-a' AND stream_version = 4"
        => vec![(4, Problem::Missing { from: 4, to: 4 })];
    an_event_rewritten_with_a_fresh_hash_breaks_the_next_link:
        "UPDATE events SET hash = 'f00d' WHERE stream_id = 'meeting-a' AND stream_version = 3"
        => vec![(3, Problem::Changed), (4, Problem::LinkBroken)];
}
