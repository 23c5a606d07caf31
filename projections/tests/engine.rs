//! The projection engine against real databases: exactly-once application across
//! failures, rebuilds equal to the live read models row for row, rebuilds beside a
//! running runner, version bumps, and one active runner per projection when two
//! engines share a PostgreSQL database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use altegon_commands::handlers::meetings::{CreateMeeting, create_meeting, update_meeting};
use altegon_commands::handlers::rooms::{CreateRoom, create_room, record_room_stream};
use altegon_commands::handlers::users::{RegisterUser, register_user};
use altegon_commands::store::postgres::PostgresEventStore;
use altegon_commands::store::sqlite::SqliteEventStore;
use altegon_commands::store::{Position, SharedEventStore};
use altegon_commands::{Actor, CommandBus, CommandContext};
use altegon_domain::events::Role;
use altegon_domain::meeting::{Caller, MeetingChanges};
use altegon_domain::room::RoomCommand;
use altegon_projections::{
    Applied, Projection, ProjectionEngine, ProjectionError, ReadDb, TableDef, Target, models,
};
use async_trait::async_trait;
use sqlx::{AnyConnection, Connection};
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(20);

enum Storage {
    Sqlite(tempfile::TempDir),
    Postgres { name: String, url: String },
}

fn pg_admin_url() -> String {
    std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl Storage {
    fn sqlite() -> Self {
        Storage::Sqlite(tempfile::tempdir().unwrap())
    }

    async fn postgres() -> Self {
        let admin = pg_admin_url();
        let name = format!("p_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Storage::Postgres { name, url }
    }

    async fn store(&self) -> SharedEventStore {
        match self {
            Storage::Sqlite(dir) => Arc::new(
                SqliteEventStore::open(&dir.path().join("events.db"))
                    .await
                    .unwrap(),
            ),
            Storage::Postgres { url, .. } => {
                Arc::new(PostgresEventStore::connect(url, 8).await.unwrap())
            }
        }
    }

    async fn read_db(&self) -> ReadDb {
        let url = match self {
            Storage::Sqlite(dir) => format!("sqlite://{}", dir.path().join("read.db").display()),
            Storage::Postgres { url, .. } => url.clone(),
        };
        ReadDb::connect(&url, 8).await.unwrap()
    }

    async fn drop(self) {
        if let Storage::Postgres { name, .. } = self
            && let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

/// Users, rooms and meetings with updates; returns the last position.
async fn write_history(store: &SharedEventStore, users: usize) -> Position {
    let bus = CommandBus::new(store.clone());
    let mut last = 0;
    for u in 0..users {
        let anonymous = CommandContext::new(Actor::default());
        let user = register_user(
            &bus,
            &anonymous,
            RegisterUser {
                email: format!("user{u}@example.com"),
                f_name: format!("First{u}"),
                l_name: "Last".into(),
                phone_number: "12345".into(),
                country: "PK".into(),
                password: "AB1239001".into(),
                role: Role::User,
            },
        )
        .await
        .unwrap();
        let ctx = CommandContext::new(Actor {
            id: Some(user.user_id.to_string()),
            roles: vec!["user".into()],
        });
        let (room, p) = create_room(
            &bus,
            &ctx,
            CreateRoom {
                owner_id: user.user_id,
                name: format!("Room {u}"),
                room_type: "conference".into(),
                max_participants: Some(10),
                is_private: u % 2 == 0,
                p2p: false,
            },
        )
        .await
        .unwrap();
        last = last.max(p);
        // A stream in the room: two subscribers, then one; every other one ended.
        let stream_id = format!("stream{u}");
        let now = chrono::Utc::now();
        let mut stream_life = vec![
            RoomCommand::PublishStream {
                stream_id: stream_id.clone(),
                owner_id: user.user_id,
                now,
            },
            RoomCommand::CountSubscribers {
                stream_id: stream_id.clone(),
                subscribers: 2,
                now,
            },
            RoomCommand::CountSubscribers {
                stream_id: stream_id.clone(),
                subscribers: 1,
                now,
            },
        ];
        if u % 2 == 0 {
            stream_life.push(RoomCommand::UnpublishStream { stream_id, now });
        }
        for command in stream_life {
            let p = record_room_stream(&bus, &ctx, room, command).await.unwrap();
            last = last.max(p);
        }
        for m in 0..3 {
            let (meeting, p) = create_meeting(
                &bus,
                &ctx,
                CreateMeeting {
                    title: format!("Meeting {u}/{m}"),
                    host_id: user.user_id,
                    transcript_enabled: m % 2 == 0,
                },
            )
            .await
            .unwrap();
            last = last.max(p);
            let caller = Caller {
                user_id: user.user_id,
                is_admin: false,
            };
            let changes = MeetingChanges {
                title: Some(format!("Renamed {u}/{m}")),
                recording_id: Some(format!("rec_{u}_{m}")),
                ..Default::default()
            };
            let outcome = update_meeting(&bus, &ctx, meeting, caller, changes)
                .await
                .unwrap();
            last = last.max(outcome.position);
        }
    }
    last
}

/// Every row of every read-model table, as text, in a stable order.
async fn dump(db: &ReadDb) -> Vec<String> {
    let mut out = Vec::new();
    for (table, columns) in [
        (
            "users",
            "id, email, f_name, l_name, phone_number, country, roles, password_hash, created_at",
        ),
        (
            "rooms",
            "id, owner_id, name, room_type, COALESCE(max_participants, -1), is_private, p2p, created_at",
        ),
        (
            "meetings",
            "id, title, host_id, transcript_enabled, summary_generated, COALESCE(room_id, ''), recording_ids, created_at, updated_at",
        ),
        (
            "room_streams",
            "id, room_id, owner_id, published_at, COALESCE(unpublished_at, ''), subscribers, peak_subscribers",
        ),
    ] {
        let sql = format!("SELECT {columns} FROM {table} ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(db.pool()).await.unwrap();
        for row in rows {
            use sqlx::Row;
            let mut line = format!("{table}:");
            for i in 0..row.len() {
                let text = row
                    .try_get::<String, _>(i)
                    .or_else(|_| row.try_get::<i64, _>(i).map(|v| v.to_string()))
                    .unwrap();
                line.push_str(&text);
                line.push('|');
            }
            out.push(line);
        }
    }
    out
}

fn engine(db: ReadDb, store: SharedEventStore) -> ProjectionEngine {
    ProjectionEngine::new(db, store, models::all())
}

/// The log, read models and engine of a test, its runners going.
struct Running {
    store: SharedEventStore,
    db: ReadDb,
    engine: ProjectionEngine,
    stop: watch::Sender<bool>,
    runners: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Starts the runners on `storage` and waits until `users` users' history is
    /// in the read models.
    async fn with_history(storage: &Storage, users: usize) -> Self {
        let store = storage.store().await;
        let db = storage.read_db().await;
        let engine = engine(db.clone(), store.clone());
        engine.prepare().await.unwrap();
        let (stop, stopped) = watch::channel(false);
        let runners = engine.spawn_runners(stopped);
        let last = write_history(&store, users).await;
        engine.wait_for(last, WAIT).await.unwrap();
        Running {
            store,
            db,
            engine,
            stop,
            runners,
        }
    }

    /// Stops the runners and closes everything.
    async fn finish(self, storage: Storage) {
        self.stop.send(true).unwrap();
        for r in self.runners {
            r.await.unwrap();
        }
        self.db.close().await;
        self.store.close().await;
        storage.drop().await;
    }
}

async fn a_rebuild_equals_the_live_read_model(storage: Storage) {
    let running = Running::with_history(&storage, 8).await;
    let (store, db, engine) = (&running.store, &running.db, &running.engine);
    let live = dump(db).await;
    let streams: Vec<&String> = live
        .iter()
        .filter(|l| l.starts_with("room_streams:"))
        .collect();
    assert_eq!(streams.len(), 8, "one stream per room");
    // Fields end: unpublished at, subscribers now, at peak.
    let live_streams = streams.iter().filter(|l| l.ends_with("||1|2|")).count();
    let ended = streams
        .iter()
        .filter(|l| l.ends_with("|0|2|") && !l.ends_with("||0|2|"))
        .count();
    assert_eq!((live_streams, ended), (4, 4), "{streams:?}");
    assert_eq!(
        live.iter().filter(|l| l.starts_with("meetings:")).count(),
        24
    );

    // Rebuild while the runners keep going and more events arrive.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { write_history_more(&store).await })
    };
    engine.rebuild(None, |_, _| {}).await.unwrap();
    let more = writer.await.unwrap();
    engine.wait_for(more, WAIT).await.unwrap();
    let after_concurrent = dump(db).await;

    // A second rebuild with nothing happening equals what the runners made.
    engine.rebuild(None, |_, _| {}).await.unwrap();
    assert_eq!(dump(db).await, after_concurrent);
    assert!(after_concurrent.len() > live.len());

    running.finish(storage).await;
}

async fn write_history_more(store: &SharedEventStore) -> Position {
    let bus = CommandBus::new(store.clone());
    let ctx = CommandContext::new(Actor::system());
    let mut last = 0;
    for i in 0..40 {
        let host = altegon_domain::UserId(altegon_commands::ids::new_object_id());
        let (_, p) = create_meeting(
            &bus,
            &ctx,
            CreateMeeting {
                title: format!("During rebuild {i}"),
                host_id: host,
                transcript_enabled: false,
            },
        )
        .await
        .unwrap();
        last = p;
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_rebuilds_equal_the_live_read_model() {
    a_rebuild_equals_the_live_read_model(Storage::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_rebuilds_equal_the_live_read_model() {
    a_rebuild_equals_the_live_read_model(Storage::postgres().await).await;
}

/// Counts every event it sees, without any idempotency of its own, and fails once
/// in the middle of a batch: only the engine's transaction keeps the count exact.
struct FlakyCounter {
    failed_once: AtomicBool,
}

#[async_trait]
impl Projection for FlakyCounter {
    fn name(&self) -> &'static str {
        "flaky_counter"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &'static [TableDef] {
        &[TableDef {
            name: "event_counts",
            create: &[
                "CREATE TABLE {table} (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
                "INSERT INTO {table} VALUES (1, 0)",
            ],
        }]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        target: Target,
        batch: &[Applied<'_>],
    ) -> Result<(), ProjectionError> {
        let table = target.table("event_counts");
        for applied in batch {
            sqlx::query(&format!("UPDATE {table} SET n = n + 1 WHERE id = 1"))
                .execute(&mut *conn)
                .await?;
            if applied.recorded.stream_version == 2
                && !self.failed_once.swap(true, Ordering::SeqCst)
            {
                return Err(ProjectionError::Decode(
                    "simulated crash in the middle of a batch".into(),
                ));
            }
        }
        Ok(())
    }
}

async fn every_event_is_applied_exactly_once_across_a_failure(storage: Storage) {
    let store = storage.store().await;
    let db = storage.read_db().await;
    let last = write_history(&store, 3).await;
    let engine = ProjectionEngine::new(
        db.clone(),
        store.clone(),
        vec![Arc::new(FlakyCounter {
            failed_once: AtomicBool::new(false),
        })],
    );
    engine.prepare().await.unwrap();
    let (stop, stopped) = watch::channel(false);
    let runners = engine.spawn_runners(stopped);
    engine.wait_for(last, WAIT).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT n FROM event_counts WHERE id = 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let total = store.read_all(0, 100_000).await.unwrap().len();
    assert_eq!(n as usize, total);
    stop.send(true).unwrap();
    for r in runners {
        r.await.unwrap();
    }
    storage.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_applies_every_event_exactly_once_across_a_failure() {
    every_event_is_applied_exactly_once_across_a_failure(Storage::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_applies_every_event_exactly_once_across_a_failure() {
    every_event_is_applied_exactly_once_across_a_failure(Storage::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_projection_version_is_rebuilt_at_start() {
    let storage = Storage::sqlite();
    let store = storage.store().await;
    let db = storage.read_db().await;
    let last = write_history(&store, 2).await;
    let first = engine(db.clone(), store.clone());
    first.prepare().await.unwrap();
    let (stop, stopped) = watch::channel(false);
    let runners = first.spawn_runners(stopped.clone());
    first.wait_for(last, WAIT).await.unwrap();
    let before = dump(&db).await;
    stop.send(true).unwrap();
    for r in runners {
        r.await.unwrap();
    }
    // Pretend the tables were written by an older build, and damage them.
    sqlx::query("UPDATE projection_checkpoints SET version = 0 WHERE name = 'meetings'")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM meetings")
        .execute(db.pool())
        .await
        .unwrap();

    let second = engine(db.clone(), store.clone());
    second.prepare().await.unwrap();
    let (stop, stopped) = watch::channel(false);
    let runners = second.spawn_runners(stopped);
    second.wait_for(last, WAIT).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while dump(&db).await != before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rebuild never restored the rows"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = second.status().await.unwrap();
    assert!(
        status
            .iter()
            .all(|s| s.stored_version == s.code_version && s.lag_events == 0),
        "{status:?}"
    );
    stop.send(true).unwrap();
    for r in runners {
        r.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_engines_on_one_postgres_database_run_each_projection_once() {
    let storage = Storage::postgres().await;
    let Storage::Postgres { name, .. } = &storage else {
        unreachable!()
    };
    let name = name.clone();
    let store = storage.store().await;
    let a = engine(storage.read_db().await, store.clone());
    let b = engine(storage.read_db().await, store.clone());
    a.prepare().await.unwrap();
    b.prepare().await.unwrap();
    let (stop_a, stopped_a) = watch::channel(false);
    let (stop_b, stopped_b) = watch::channel(false);
    let runners_a = a.spawn_runners(stopped_a);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let runners_b = b.spawn_runners(stopped_b);

    let held = || async {
        let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1",
        )
        .bind(&name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        n
    };
    let last = write_history(&store, 2).await;
    a.wait_for(last, WAIT).await.unwrap();
    b.wait_for(last, WAIT).await.unwrap();
    assert_eq!(
        held().await,
        models::all().len() as i64,
        "one lock per projection, whoever holds it"
    );

    // The active engine stops; the standby takes over and keeps projecting.
    stop_a.send(true).unwrap();
    for r in runners_a {
        r.await.unwrap();
    }
    // Engine A's pool stays open: stopping its runners alone must free the locks.
    let more = write_history_more(&store).await;
    b.wait_for(more, WAIT).await.unwrap();
    assert_eq!(held().await, models::all().len() as i64);
    a.db().close().await;
    stop_b.send(true).unwrap();
    for r in runners_b {
        r.await.unwrap();
    }
    b.db().close().await;
    store.close().await;
    storage.drop().await;
}

/// A host's meetings read as owned rows and as borrowed rows say the same.
async fn a_listed_meeting_reads_the_same_borrowed_and_owned(storage: Storage) {
    let running = Running::with_history(&storage, 2).await;
    let db = &running.db;
    let (host,): (String,) = sqlx::query_as("SELECT host_id FROM meetings LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let rows = models::meetings::by_host(db, &host, 100, 0).await.unwrap();
    let owned = rows.decode::<models::meetings::MeetingRow>().unwrap();
    let borrowed = rows.decode::<models::meetings::MeetingRef<'_>>().unwrap();
    assert_eq!(owned.len(), 3);
    assert!(owned.iter().all(|m| m.title.starts_with("Renamed")));
    let from_owned: Vec<models::meetings::MeetingRef<'_>> = owned.iter().map(Into::into).collect();
    assert_eq!(borrowed, from_owned);
    running.finish(storage).await;
}

#[tokio::test]
async fn sqlite_lists_read_the_same_borrowed_and_owned() {
    a_listed_meeting_reads_the_same_borrowed_and_owned(Storage::sqlite()).await;
}

#[tokio::test]
async fn postgres_lists_read_the_same_borrowed_and_owned() {
    a_listed_meeting_reads_the_same_borrowed_and_owned(Storage::postgres().await).await;
}

/// A read dropped half-way through its answer leaves its connection fit for the
/// next read: the list pool has one connection, so the second read gets it.
#[tokio::test]
async fn a_cancelled_list_read_leaves_its_connection_usable() {
    let storage = Storage::postgres().await;
    let Storage::Postgres { url, .. } = &storage else {
        unreachable!()
    };
    let reads = altegon_projections::pg_reads::PgReads::new(url, 1).unwrap();
    for _ in 0..3 {
        let big = reads.fetch_all(sqlx::query(
            "SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g",
        ));
        assert!(
            tokio::time::timeout(Duration::from_millis(5), big)
                .await
                .is_err(),
            "the big read should still be running when dropped"
        );
        let rows = reads
            .fetch_all(sqlx::query("SELECT 42::BIGINT AS answer"))
            .await
            .unwrap();
        let answer: i64 = sqlx::Row::get(&rows[0], "answer");
        assert_eq!((rows.len(), answer), (1, 42));
    }
    reads.close();
    storage.drop().await;
}
