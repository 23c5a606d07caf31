//! One conformance suite for every event store backend: SQLite (always), PostgreSQL
//! (a fresh database per test on the server at `ALTEGON_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), and KurrentDB when
//! `KURRENTDB_URL` is set.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use altegon_commands::store::kurrent::KurrentEventStore;
use altegon_commands::store::postgres::PostgresEventStore;
use altegon_commands::store::sqlite::SqliteEventStore;
use altegon_commands::store::verify::verify_log;
use altegon_commands::store::{
    EventFilter, EventStore, ExpectedVersion, NewEvent, ReadDirection, RecordedEvent,
    SharedEventStore, StoreError, StreamFrom, SubscriptionStart, chain,
};
use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

mod support;
use support::{Backend, PgDatabase, wait_for_position};

fn event(kind: &str, n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: kind.to_owned(),
        schema_version: 1,
        data: json!({ "n": n, "text": "hello \"world\" ✓" }),
        metadata: json!({ "actorId": "tester", "requestId": Uuid::now_v7().to_string() }),
    }
}

async fn append(
    store: &SharedEventStore,
    stream: &str,
    n: u64,
) -> altegon_commands::store::AppendResult {
    store
        .append_to_stream(stream, ExpectedVersion::Any, vec![event("Tested", n)])
        .await
        .expect("append")
}

/// The whole log, once everything up to `through` is readable.
async fn all_events_through(store: &SharedEventStore, through: u64) -> Vec<RecordedEvent> {
    wait_for_position(store, through).await;
    all_events(store).await
}

async fn all_events(store: &SharedEventStore) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    loop {
        let after = out.last().map_or(0, |e| e.position);
        let page = store.read_all(after, 100).await.expect("read_all");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// Collects `count` events from a subscription, failing after 30 s.
async fn collect(
    stream: &mut altegon_commands::store::EventStream,
    count: usize,
) -> Vec<RecordedEvent> {
    let mut got = Vec::with_capacity(count);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.len() < count {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(e))) => got.push(e),
            Ok(Some(Err(e))) => panic!("subscription failed: {e}"),
            Ok(None) => panic!("subscription ended after {} events", got.len()),
            Err(_) => panic!("only {} of {count} events arrived", got.len()),
        }
    }
    got
}

fn assert_strictly_increasing(events: &[RecordedEvent]) {
    for w in events.windows(2) {
        assert!(
            w[0].position < w[1].position,
            "positions out of order: {} then {}",
            w[0].position,
            w[1].position
        );
    }
}

/// Every stream's hash chain links and every hash matches its content.
fn assert_chains_verify(events: &[RecordedEvent]) {
    let mut heads: std::collections::HashMap<&str, (u64, &str)> = Default::default();
    for e in events {
        assert_eq!(
            e.hash,
            e.computed_hash(),
            "hash of {}@{}",
            e.stream_id,
            e.stream_version
        );
        match heads.get(e.stream_id.as_str()) {
            None => {
                assert_eq!(e.stream_version, 0);
                assert_eq!(e.prev_hash, chain::GENESIS_HASH);
            }
            Some((v, h)) => {
                assert_eq!(e.stream_version, v + 1);
                assert_eq!(e.prev_hash, *h);
            }
        }
        heads.insert(&e.stream_id, (e.stream_version, &e.hash));
    }
}

async fn expected_version_conflicts(backend: Backend) {
    let store = backend.open().await;
    let s = format!("conf-{}", Uuid::now_v7());
    let r = store
        .append_to_stream(&s, ExpectedVersion::StreamExists, vec![event("A", 0)])
        .await;
    assert!(
        matches!(r, Err(StoreError::WrongExpectedVersion { actual: -1, .. })),
        "{r:?}"
    );
    let r = store
        .append_to_stream(&s, ExpectedVersion::Exact(0), vec![event("A", 0)])
        .await;
    assert!(
        matches!(r, Err(StoreError::WrongExpectedVersion { actual: -1, .. })),
        "{r:?}"
    );

    let first = store
        .append_to_stream(
            &s,
            ExpectedVersion::NoStream,
            vec![event("A", 0), event("A", 1)],
        )
        .await
        .unwrap();
    assert_eq!(first.stream_version, 1);
    assert!(first.first_position < first.last_position);

    let r = store
        .append_to_stream(&s, ExpectedVersion::NoStream, vec![event("A", 2)])
        .await;
    assert!(
        matches!(r, Err(StoreError::WrongExpectedVersion { actual: 1, .. })),
        "{r:?}"
    );
    let r = store
        .append_to_stream(&s, ExpectedVersion::Exact(0), vec![event("A", 2)])
        .await;
    assert!(
        matches!(r, Err(StoreError::WrongExpectedVersion { actual: 1, .. })),
        "{r:?}"
    );

    let next = store
        .append_to_stream(&s, ExpectedVersion::Exact(1), vec![event("A", 2)])
        .await
        .unwrap();
    assert_eq!(next.stream_version, 2);
    let next = store
        .append_to_stream(&s, ExpectedVersion::StreamExists, vec![event("A", 3)])
        .await
        .unwrap();
    assert_eq!(next.stream_version, 3);
    let next = store
        .append_to_stream(&s, ExpectedVersion::Any, vec![event("A", 4)])
        .await
        .unwrap();
    assert_eq!(next.stream_version, 4);
    assert!(next.first_position > first.last_position);

    let events = store
        .read_stream(&s, ReadDirection::Forwards, StreamFrom::Edge, 100)
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    backend.cleanup(store).await;
}

async fn invalid_appends_are_refused(backend: Backend) {
    let store = backend.open().await;
    let r = store
        .append_to_stream("s", ExpectedVersion::Any, vec![])
        .await;
    assert!(matches!(r, Err(StoreError::InvalidAppend(_))), "{r:?}");
    let r = store
        .append_to_stream(&"x".repeat(201), ExpectedVersion::Any, vec![event("A", 0)])
        .await;
    assert!(matches!(r, Err(StoreError::InvalidAppend(_))), "{r:?}");
    backend.cleanup(store).await;
}

async fn fifty_concurrent_appenders_lose_no_update(backend: Backend) {
    let store = backend.open().await;
    let s = format!("contended-{}", Uuid::now_v7());
    let mut tasks = Vec::new();
    for n in 0..50u64 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let e = event("Counted", n);
            let id = e.event_id;
            loop {
                let last = store
                    .read_stream(&s, ReadDirection::Backwards, StreamFrom::Edge, 1)
                    .await
                    .unwrap();
                let expected = last.first().map_or(ExpectedVersion::NoStream, |e| {
                    ExpectedVersion::Exact(e.stream_version)
                });
                match store.append_to_stream(&s, expected, vec![e.clone()]).await {
                    Ok(_) => return id,
                    Err(StoreError::WrongExpectedVersion { .. }) => tokio::task::yield_now().await,
                    Err(other) => panic!("append failed: {other}"),
                }
            }
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    let events = store
        .read_stream(&s, ReadDirection::Forwards, StreamFrom::Edge, 1000)
        .await
        .unwrap();
    assert_eq!(events.len(), 50);
    assert_eq!(
        events.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        (0..50).collect::<Vec<_>>()
    );
    assert_eq!(
        events.iter().map(|e| e.event_id).collect::<HashSet<_>>(),
        ids
    );
    backend.cleanup(store).await;
}

/// Appends made at the same moment (which a backend may write together, as
/// PostgreSQL's and SQLite's group commits do) each keep their own outcome.
async fn concurrent_appends_keep_their_own_outcomes(backend: Backend) {
    let store = backend.open().await;
    let run = Uuid::now_v7();
    let mut tasks = Vec::new();
    for n in 0..96u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let stream = format!("own-{run}-{n}");
            // Every third one expects a version its new stream does not have.
            let expected = if n % 3 == 2 {
                ExpectedVersion::Exact(3)
            } else {
                ExpectedVersion::NoStream
            };
            let events = vec![event("Own", n), event("Own", n + 1_000)];
            let first = store
                .append_to_stream(&stream, expected, events.clone())
                .await;
            // A retry of a landed append returns its result again.
            let again = match &first {
                Ok(_) => Some(store.append_to_stream(&stream, expected, events).await),
                Err(_) => None,
            };
            (n, first, again)
        }));
    }
    let mut landed = 0;
    for task in tasks {
        let (n, first, again) = task.await.unwrap();
        if n % 3 == 2 {
            assert!(
                matches!(
                    first,
                    Err(StoreError::WrongExpectedVersion { actual: -1, .. })
                ),
                "{n}: {first:?}"
            );
            continue;
        }
        let first = first.unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(first.stream_version, 1);
        assert_eq!(first.last_position - first.first_position, 1);
        let again = again.expect("retried").expect("retry");
        assert_eq!(again.first_position, first.first_position, "{n}");
        landed += 1;
    }
    assert_eq!(landed, 64);
    let mut events = all_events(&store).await;
    events.retain(|e| e.stream_id.starts_with(&format!("own-{run}-")));
    assert_eq!(events.len(), 128);
    let report = verify_log(store.as_ref(), |_, _| {}).await.expect("verify");
    assert!(report.is_clean(), "{:?}", report.findings);
    backend.cleanup(store).await;
}

async fn a_retried_append_lands_once(backend: Backend) {
    let store = backend.open().await;
    let s = format!("retry-{}", Uuid::now_v7());
    let batch = vec![event("A", 0), event("A", 1)];
    let first = store
        .append_to_stream(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    let again = store
        .append_to_stream(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert_eq!(first, again);
    let again = store
        .append_to_stream(&s, ExpectedVersion::Any, batch.clone())
        .await
        .unwrap();
    assert_eq!(first, again);
    let events = store
        .read_stream(&s, ReadDirection::Forwards, StreamFrom::Edge, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);

    let reused = vec![batch[0].clone(), event("A", 2)];
    let r = store
        .append_to_stream(&s, ExpectedVersion::Any, reused)
        .await;
    assert!(matches!(r, Err(StoreError::EventIdReused)), "{r:?}");
    backend.cleanup(store).await;
}

async fn streams_read_in_both_directions(backend: Backend) {
    let store = backend.open().await;
    let s = format!("read-{}", Uuid::now_v7());
    let batch: Vec<_> = (0..10).map(|n| event("A", n)).collect();
    store
        .append_to_stream(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    let versions =
        |events: Vec<RecordedEvent>| events.iter().map(|e| e.stream_version).collect::<Vec<_>>();

    let fwd = store
        .read_stream(&s, ReadDirection::Forwards, StreamFrom::Edge, 3)
        .await
        .unwrap();
    assert_eq!(fwd[0].event_id, batch[0].event_id);
    assert_eq!(fwd[0].data_json().unwrap(), batch[0].data);
    assert_eq!(fwd[0].metadata_json().unwrap(), batch[0].metadata);
    assert_eq!(fwd[0].event_type, "A");
    assert_eq!(fwd[0].stream_id, s);
    assert_eq!(versions(fwd), vec![0, 1, 2]);
    let from5 = store
        .read_stream(&s, ReadDirection::Forwards, StreamFrom::Version(5), 100)
        .await
        .unwrap();
    assert_eq!(versions(from5), vec![5, 6, 7, 8, 9]);
    let back = store
        .read_stream(&s, ReadDirection::Backwards, StreamFrom::Edge, 3)
        .await
        .unwrap();
    assert_eq!(versions(back), vec![9, 8, 7]);
    let back2 = store
        .read_stream(&s, ReadDirection::Backwards, StreamFrom::Version(2), 100)
        .await
        .unwrap();
    assert_eq!(versions(back2), vec![2, 1, 0]);
    let absent = store
        .read_stream(
            "no-such-stream",
            ReadDirection::Forwards,
            StreamFrom::Edge,
            10,
        )
        .await
        .unwrap();
    assert!(absent.is_empty());
    backend.cleanup(store).await;
}

async fn the_log_reads_from_any_position(backend: Backend) {
    let store = backend.open().await;
    let tag = Uuid::now_v7();
    let mut last = 0;
    for n in 0..9 {
        last = append(&store, &format!("all{}-{tag}", n % 3), n)
            .await
            .last_position;
    }
    let all = all_events_through(&store, last).await;
    let mine: Vec<_> = all
        .iter()
        .filter(|e| e.stream_id.ends_with(&tag.to_string()))
        .collect();
    assert_eq!(mine.len(), 9);
    assert_strictly_increasing(&all);
    let after = mine[3].position;
    let rest = store.read_all(after, 1000).await.unwrap();
    assert!(rest.iter().all(|e| e.position > after));
    assert_eq!(
        rest.iter()
            .filter(|e| e.stream_id.ends_with(&tag.to_string()))
            .count(),
        5
    );
    assert_eq!(store.read_all(0, 4).await.unwrap().len(), 4);
    assert!(store.head_position().await.unwrap() >= mine.last().unwrap().position);
    assert_chains_verify(&all);
    backend.cleanup(store).await;
}

async fn subscriptions_neither_skip_nor_repeat(backend: Backend) {
    let store = backend.open().await;
    // Streams of this test share a prefix, so a shared server's other traffic is
    // filtered out; on a fresh store the filter passes everything.
    let tag = Uuid::now_v7().simple().to_string();
    let mine = EventFilter::stream_prefix(tag.clone());
    let mut last = 0;
    for n in 0..100 {
        last = append(&store, &format!("{tag}-sub{}", n % 7), n)
            .await
            .last_position;
    }
    let before: Vec<_> = all_events_through(&store, last)
        .await
        .into_iter()
        .filter(|e| mine.matches(e))
        .collect();
    let middle = before[before.len() / 2].position;
    let from_start_expected = before.len() + 200;
    let from_middle_expected = before.iter().filter(|e| e.position > middle).count() + 200;

    let mut from_start = store.subscribe_to_all(SubscriptionStart::Beginning, mine.clone());
    let mut from_middle = store.subscribe_to_all(SubscriptionStart::After(middle), mine.clone());
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            let tag = tag.clone();
            tokio::spawn(async move {
                for n in 0..50 {
                    append(&store, &format!("{tag}-live{w}"), n).await;
                }
            })
        })
        .collect();
    let got_start = collect(&mut from_start, from_start_expected).await;
    let got_middle = collect(&mut from_middle, from_middle_expected).await;
    for w in writers {
        w.await.unwrap();
    }
    let all: Vec<_> = all_events(&store)
        .await
        .into_iter()
        .filter(|e| mine.matches(e))
        .collect();
    assert_eq!(all.len(), from_start_expected);
    assert_strictly_increasing(&got_start);
    assert_eq!(got_start, all);
    let tail: Vec<_> = all.into_iter().filter(|e| e.position > middle).collect();
    assert_eq!(got_middle, tail);
    // Nothing more arrives: no event is delivered twice.
    let extra = tokio::time::timeout(Duration::from_millis(300), from_start.next()).await;
    assert!(extra.is_err(), "unexpected extra event: {extra:?}");
    backend.cleanup(store).await;
}

async fn subscriptions_filter_and_start_at_the_end(backend: Backend) {
    let store = backend.open().await;
    let tag = Uuid::now_v7().to_string();
    append(&store, &format!("meeting-{tag}"), 0).await;
    let mut live = store.subscribe_to_all(
        SubscriptionStart::End,
        EventFilter::stream_prefix(format!("room-{tag}")).or_prefix(format!("meeting-{tag}")),
    );
    let mut meetings = store.subscribe_to_all(
        SubscriptionStart::Beginning,
        EventFilter::stream_prefix(format!("meeting-{tag}")),
    );
    let mut typed = store.subscribe_to_all(
        SubscriptionStart::Beginning,
        EventFilter::event_types(["Special"]),
    );
    // Give the end-subscription time to take its start position.
    tokio::time::sleep(Duration::from_millis(200)).await;
    append(&store, &format!("room-{tag}"), 1).await;
    store
        .append_to_stream(
            &format!("meeting-{tag}"),
            ExpectedVersion::Any,
            vec![event("Special", 2)],
        )
        .await
        .unwrap();

    // "From the end" may include an event appended just before subscribing (it
    // promises not to miss later ones, not to exclude earlier ones).
    let mut got = collect(&mut live, 2).await;
    if got[0].stream_id == format!("meeting-{tag}") && got[0].event_type == "Tested" {
        got.remove(0);
        got.extend(collect(&mut live, 1).await);
    }
    assert_eq!(got[0].stream_id, format!("room-{tag}"));
    assert_eq!(got[1].event_type, "Special");
    let got = collect(&mut meetings, 2).await;
    assert!(got.iter().all(|e| e.stream_id == format!("meeting-{tag}")));
    let got = collect(&mut typed, 1).await;
    assert_eq!(got[0].event_type, "Special");
    backend.cleanup(store).await;
}

async fn everything_survives_a_reopen(backend: Backend) {
    let store = backend.open().await;
    let s = format!("durable-{}", Uuid::now_v7());
    let mut last = 0;
    for n in 0..20 {
        last = append(&store, &s, n).await.last_position;
    }
    let mine = |events: Vec<RecordedEvent>| {
        events
            .into_iter()
            .filter(|e| e.stream_id == s)
            .collect::<Vec<_>>()
    };
    let before = mine(all_events_through(&store, last).await);
    store.close().await;
    drop(store);
    let store = backend.open().await;
    let after = mine(all_events(&store).await);
    assert_eq!(before.len(), 20);
    assert_eq!(before, after);
    assert_chains_verify(&after);
    // Appends continue the stream and its chain.
    let r = store
        .append_to_stream(&s, ExpectedVersion::Exact(19), vec![event("A", 20)])
        .await
        .unwrap();
    assert_eq!(r.stream_version, 20);
    assert!(r.first_position > before.last().unwrap().position);
    assert_chains_verify(&mine(all_events_through(&store, r.last_position).await));
    backend.cleanup(store).await;
}

async fn the_audit_passes_on_an_untouched_log(backend: Backend) {
    let store = backend.open().await;
    let tag = Uuid::now_v7();
    let mut last = 0;
    for n in 0..30 {
        last = append(&store, &format!("audit{}-{tag}", n % 4), n)
            .await
            .last_position;
    }
    wait_for_position(&store, last).await;
    let mut pages = 0;
    let report = verify_log(store.as_ref(), |_, _| pages += 1).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert!(report.events >= 30);
    assert!(report.streams >= 4);
    assert!(pages >= 1);
    backend.cleanup(store).await;
}

macro_rules! conformance {
    ($module:ident, $backend:expr) => {
        mod $module {
            use super::*;

            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $name() {
                        let Some(backend) = $backend else {
                            eprintln!("skipped: backend not configured");
                            return;
                        };
                        super::$name(backend).await;
                    }
                };
            }

            case!(expected_version_conflicts);
            case!(invalid_appends_are_refused);
            case!(fifty_concurrent_appenders_lose_no_update);
            case!(concurrent_appends_keep_their_own_outcomes);
            case!(a_retried_append_lands_once);
            case!(streams_read_in_both_directions);
            case!(the_log_reads_from_any_position);
            case!(subscriptions_neither_skip_nor_repeat);
            case!(subscriptions_filter_and_start_at_the_end);
            case!(everything_survives_a_reopen);
            case!(the_audit_passes_on_an_untouched_log);
        }
    };
}

conformance!(sqlite, Some(Backend::sqlite()));
conformance!(postgres, Some(Backend::postgres().await));
conformance!(kurrentdb, Backend::kurrent());

/// A subscriber must not skip an event whose transaction commits after one with a
/// higher position, nor deliver the higher one first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_subscribers_wait_for_a_lower_position_that_commits_last() {
    let db = PgDatabase::create().await;
    let store = PostgresEventStore::connect(&db.url, 8).await.unwrap();
    let shared: SharedEventStore = Arc::new(store.clone());
    let mut sub = shared.subscribe_to_all(SubscriptionStart::Beginning, EventFilter::all());

    // Transaction 1 appends first (lower position) and stays open.
    let mut slow = store.pool().begin().await.unwrap();
    let low =
        PostgresEventStore::append_in(&mut slow, "slow", ExpectedVersion::Any, &[event("Slow", 0)])
            .await
            .unwrap();
    // Transaction 2 appends later (higher position) and commits at once.
    let high = shared
        .append_to_stream("fast", ExpectedVersion::Any, vec![event("Fast", 1)])
        .await
        .unwrap();
    assert!(low.last_position < high.first_position);

    // While the lower one is open, nothing may be delivered.
    let early = tokio::time::timeout(Duration::from_millis(500), sub.next()).await;
    assert!(
        early.is_err(),
        "delivered before the lower position committed: {early:?}"
    );
    assert_eq!(shared.read_all(0, 10).await.unwrap().len(), 0);

    slow.commit().await.unwrap();
    let got = collect(&mut sub, 2).await;
    assert_eq!(got[0].event_type, "Slow");
    assert_eq!(got[1].event_type, "Fast");
    assert_eq!(got[0].position, low.last_position);
    assert_eq!(got[1].position, high.last_position);
    shared.close().await;
    db.drop_database().await;
}

/// A rolled-back append leaves no trace and does not block readers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_rolled_back_appends_leave_no_gap_to_wait_for() {
    let db = PgDatabase::create().await;
    let store = PostgresEventStore::connect(&db.url, 8).await.unwrap();
    let shared: SharedEventStore = Arc::new(store.clone());
    let mut tx = store.pool().begin().await.unwrap();
    PostgresEventStore::append_in(&mut tx, "gone", ExpectedVersion::Any, &[event("Gone", 0)])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    shared
        .append_to_stream("kept", ExpectedVersion::Any, vec![event("Kept", 1)])
        .await
        .unwrap();
    let mut sub = shared.subscribe_to_all(SubscriptionStart::Beginning, EventFilter::all());
    let got = collect(&mut sub, 1).await;
    assert_eq!(got[0].event_type, "Kept");
    let r = shared
        .read_stream("gone", ReadDirection::Forwards, StreamFrom::Edge, 10)
        .await
        .unwrap();
    assert!(r.is_empty());
    shared.close().await;
    db.drop_database().await;
}

#[allow(dead_code)]
fn backends_are_object_safe(
    _: &dyn EventStore,
    _: Option<KurrentEventStore>,
    _: Option<SqliteEventStore>,
) {
}
