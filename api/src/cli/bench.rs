//! `bench`: figures for `docs/benchmarks.md`, each beside a baseline measured in
//! the same run on the same database.
//!
//! - `bench append`: event-store appends (one event each, every writer on its own
//!   stream, expected version tracked as the command pipeline does) against plain
//!   single-row `INSERT`s of the same payload, same concurrency and durability.
//! - `bench rebuild`: rebuilding every read model from a generated log of a
//!   realistic event mix, on PostgreSQL.
//! - `bench list`: `GET /meetings/list/:userId` (100 meetings) under concurrent
//!   connections, against `pgbench` running the same `SELECT` at the same concurrency.
//! - `bench upload`: a large HTTP upload's throughput and memory.
//! - `bench ingest`: the recording server's throughput and processing time.
//! - `bench reporting`: the reporting routes on a million sessions, beside their
//!   queries alone.
//! - `bench realtime`: one room's chat fan-out to many clients, beside a Node
//!   socket.io server and the least any relay must do for the same load.
//! - `bench webhooks`: webhook deliveries to a local receiver with many
//!   endpoints, beside the same signed POSTs with nothing recorded.

mod ingest;
mod realtime;
mod realtime_floor;
mod realtime_library;
mod realtime_load;
mod reporting;
mod webhooks;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use altegon_commands::metadata::EventMetadata;
use altegon_commands::store::postgres::PostgresEventStore;
use altegon_commands::store::sqlite::SqliteEventStore;
use altegon_commands::store::{ExpectedVersion, NewEvent, SharedEventStore};
use altegon_domain::events::*;
use altegon_domain::{DomainEvent, MeetingId, ObjectId, RoomId, UserId};
use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

/// `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Append throughput with concurrent writers, beside plain INSERTs.
    Append(AppendArgs),
    /// Rebuild of every read model from a generated log, on PostgreSQL.
    Rebuild(RebuildArgs),
    /// The meeting list under concurrent connections, beside pgbench.
    List(ListArgs),
    /// A large recording upload over HTTP: throughput and peak memory, beside
    /// writing the same bytes straight to a file.
    Upload(UploadArgs),
    /// Recording-server chunk throughput with concurrent recordings, beside a plain
    /// Node socket.io server; processing time per minute of video, beside ffmpeg alone.
    Ingest(ingest::IngestArgs),
    /// Each reporting route over one month of a million sessions on PostgreSQL,
    /// beside the same query without HTTP.
    Reporting(reporting::ReportingArgs),
    /// Chat fan-out in one room with many clients, beside a Node socket.io server.
    Realtime(realtime::RealtimeArgs),
    /// The clients of `bench realtime`, in a process of their own (PLAN is JSON).
    #[command(hide = true)]
    RealtimeLoad {
        /// The load plan: server URL, tokens, clients, rate, seconds.
        plan: String,
    },
    /// The least a relay must do for `bench realtime`'s load, as a server process.
    #[command(hide = true)]
    RealtimeFloor,
    /// The Socket.IO library alone under `bench realtime`'s load, as a server process.
    #[command(hide = true)]
    RealtimeLibrary,
    /// Webhook deliveries to a local receiver from many endpoints, beside the same
    /// signed POSTs sent without the dispatcher.
    Webhooks(webhooks::WebhooksArgs),
}

/// `bench upload` options.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Size of the uploaded file in MiB.
    #[arg(long, default_value_t = 1024)]
    mib: u64,
}

/// Where PostgreSQL scratch databases are made.
#[derive(Debug, Args)]
pub struct PgArgs {
    /// A server URL; a fresh database is created there and dropped afterwards.
    #[arg(
        long,
        env = "ALTEGON_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg_url: String,
}

/// Which backend `bench append` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// The embedded SQLite log.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// Both, one after the other.
    Both,
}

/// `bench append` options.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// Backend(s) to measure.
    #[arg(long, value_enum, default_value_t = BackendChoice::Both)]
    backend: BackendChoice,
    /// Concurrent writers.
    #[arg(long, default_value_t = 64)]
    writers: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Unmeasured seconds before each run.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    #[command(flatten)]
    pg: PgArgs,
}

/// `bench rebuild` options.
#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Events in the generated log (about; whole users are generated).
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    #[command(flatten)]
    pg: PgArgs,
}

/// `bench list` options.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Meetings of the listed user.
    #[arg(long, default_value_t = 100)]
    meetings: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[command(flatten)]
    pg: PgArgs,
}

/// Runs a `bench` subcommand.
pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    if !matches!(
        cmd,
        BenchCommand::RealtimeLoad { .. }
            | BenchCommand::RealtimeFloor
            | BenchCommand::RealtimeLibrary
    ) {
        print_machine();
    }
    match cmd {
        BenchCommand::Append(args) => append(args).await?,
        BenchCommand::Rebuild(args) => rebuild(args).await?,
        BenchCommand::List(args) => list(args).await?,
        BenchCommand::Upload(args) => upload(args).await?,
        BenchCommand::Ingest(args) => ingest::ingest(args).await?,
        BenchCommand::Reporting(args) => reporting::reporting(args).await?,
        BenchCommand::Realtime(args) => realtime::realtime(args).await?,
        BenchCommand::RealtimeLoad { plan } => realtime_load::run(&plan).await?,
        BenchCommand::RealtimeFloor => realtime_floor::run().await?,
        BenchCommand::RealtimeLibrary => realtime_library::run().await?,
        BenchCommand::Webhooks(args) => webhooks::webhooks(args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "machine: {cpu}, {cores} cores; altegon-meet {}",
        env!("CARGO_PKG_VERSION")
    );
}

/// Rate and latency percentiles of a measured window.
struct Figures {
    label: String,
    count: u64,
    elapsed: Duration,
    p50_ms: f64,
    p99_ms: f64,
}

impl Figures {
    /// Figures from every operation's latency.
    fn from_latencies(label: &str, elapsed: Duration, mut latencies_us: Vec<u32>) -> Self {
        latencies_us.sort_unstable();
        let percentile = |p: f64| {
            if latencies_us.is_empty() {
                return 0.0;
            }
            let i = ((latencies_us.len() as f64 - 1.0) * p).round() as usize;
            f64::from(latencies_us[i]) / 1000.0
        };
        Self {
            label: label.to_owned(),
            count: latencies_us.len() as u64,
            elapsed,
            p50_ms: percentile(0.5),
            p99_ms: percentile(0.99),
        }
    }

    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn row(&self) -> String {
        format!(
            "{:<34} {:>12.0} {:>10.2} {:>10.2} {:>10}",
            self.label,
            self.rate(),
            self.p50_ms,
            self.p99_ms,
            self.count
        )
    }
}

fn header(unit: &str) {
    println!(
        "{:<34} {:>12} {:>10} {:>10} {:>10}",
        "run", unit, "p50 ms", "p99 ms", "count"
    );
}

/// Runs `op` from `tasks` concurrent tasks: `warmup` unmeasured, then `seconds` measured.
async fn drive<F, Fut>(
    label: &str,
    tasks: usize,
    warmup: u64,
    seconds: u64,
    op: F,
) -> anyhow::Result<Figures>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now() + Duration::from_secs(warmup);
    let end = start + Duration::from_secs(seconds);
    let bar = ProgressBar::new(warmup + seconds).with_style(ProgressStyle::with_template(
        "{msg} [{bar:30}] {pos}/{len} s",
    )?);
    bar.set_message(label.to_owned());
    let ticker = {
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                bar.inc(1);
            }
        })
    };
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = 0u64;
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    op(task, i).await?;
                    i += 1;
                    if t0 >= start {
                        latencies.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    for h in handles {
        latencies_us.extend(h.await??);
    }
    ticker.abort();
    bar.finish_and_clear();
    Ok(Figures::from_latencies(
        label,
        Duration::from_secs(seconds),
        latencies_us,
    ))
}

/// A database made for one run and dropped after it.
struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    async fn create(admin: &str) -> anyhow::Result<Self> {
        let name = format!("bench_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .with_context(|| "cannot reach PostgreSQL for the benchmark")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        Ok(Self {
            admin: admin.to_owned(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    async fn drop(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

/// A realistic event payload and metadata.
fn payload(writer: usize, n: u64) -> (Value, Value) {
    let data = json!({
        "meetingId": format!("{:024x}", (writer as u64) << 32 | n),
        "title": format!("Weekly planning {writer}/{n}"),
        "hostId": "68de7a9d8f40ff41c940c7fb",
        "transcriptEnabled": true,
        "createdAt": Utc::now(),
    });
    let metadata = json!({
        "actorId": "68de7a9d8f40ff41c940c7fb",
        "actorRoles": ["user"],
        "requestId": Uuid::now_v7(),
        "correlationId": Uuid::now_v7(),
        "clientIp": "203.0.113.7",
        "occurredAt": Utc::now(),
    });
    (data, metadata)
}

async fn append_store(
    store: SharedEventStore,
    args: &AppendArgs,
    label: &str,
) -> anyhow::Result<Figures> {
    let versions: Arc<Vec<std::sync::Mutex<Option<u64>>>> = Arc::new(
        (0..args.writers)
            .map(|_| std::sync::Mutex::new(None))
            .collect(),
    );
    let run = Uuid::now_v7().simple().to_string();
    drive(
        label,
        args.writers,
        args.warmup,
        args.seconds,
        move |w, n| {
            let store = store.clone();
            let versions = versions.clone();
            let stream = format!("bench-{run}-{w}");
            async move {
                let expected = versions[w]
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))?
                    .map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
                let (data, metadata) = payload(w, n);
                let event = NewEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "MeetingCreated".into(),
                    schema_version: 1,
                    data,
                    metadata,
                };
                let result = store
                    .append_to_stream(&stream, expected, vec![event])
                    .await?;
                *versions[w]
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned"))? = Some(result.stream_version);
                Ok(())
            }
        },
    )
    .await
}

const BASELINE_INSERT: &str = "INSERT INTO bench_baseline (stream_id, event_id, event_type, data, metadata) VALUES ($1, $2, $3, $4, $5)";

async fn append(args: AppendArgs) -> anyhow::Result<()> {
    println!(
        "bench append: {} writers, one event per append, {} s measured after {} s warm-up",
        args.writers, args.seconds, args.warmup
    );
    let mut rows = Vec::new();
    if matches!(args.backend, BackendChoice::Sqlite | BackendChoice::Both) {
        let dir = tempfile::tempdir()?;
        rows.extend(append_sqlite(&args, dir.path()).await?);
    }
    if matches!(args.backend, BackendChoice::Postgres | BackendChoice::Both) {
        let scratch = Scratch::create(&args.pg.pg_url).await?;
        let result = append_postgres(&args, &scratch.url).await;
        scratch.drop().await;
        rows.extend(result?);
    }
    header("events/s");
    for (store, baseline) in rows.chunks(2).map(|c| (&c[0], &c[1])) {
        println!("{}", store.row());
        println!("{}", baseline.row());
        println!(
            "  ratio event store / baseline: {:.2}",
            store.rate() / baseline.rate().max(1e-9)
        );
    }
    Ok(())
}

async fn append_sqlite(args: &AppendArgs, dir: &Path) -> anyhow::Result<Vec<Figures>> {
    let store = SqliteEventStore::open(&dir.join("events.db")).await?;
    let shared: SharedEventStore = Arc::new(store.clone());
    let events = append_store(shared.clone(), args, "sqlite event store").await?;
    shared.close().await;

    // Same file settings as the store: WAL, synchronous=FULL.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("baseline.db"))
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(60));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(u32::try_from(args.writers).unwrap_or(64))
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_baseline (id INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, \
         event_id BLOB NOT NULL, event_type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let baseline = {
        let pool = pool.clone();
        drive(
            "sqlite baseline INSERT",
            args.writers,
            args.warmup,
            args.seconds,
            move |w, n| {
                let pool = pool.clone();
                async move {
                    let (data, metadata) = payload(w, n);
                    sqlx::query(BASELINE_INSERT)
                        .bind(format!("bench-{w}"))
                        .bind(Uuid::now_v7())
                        .bind("MeetingCreated")
                        .bind(data.to_string())
                        .bind(metadata.to_string())
                        .execute(&pool)
                        .await?;
                    Ok(())
                }
            },
        )
        .await?
    };
    pool.close().await;
    Ok(vec![events, baseline])
}

async fn append_postgres(args: &AppendArgs, url: &str) -> anyhow::Result<Vec<Figures>> {
    let connections = u32::try_from(args.writers).unwrap_or(64);
    let store = PostgresEventStore::connect(url, connections).await?;
    let shared: SharedEventStore = Arc::new(store.clone());
    let events = append_store(shared.clone(), args, "postgres event store").await?;
    shared.close().await;

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .connect(url)
        .await?;
    sqlx::query(
        "CREATE TABLE bench_baseline (id BIGSERIAL PRIMARY KEY, stream_id TEXT NOT NULL, \
         event_id UUID NOT NULL, event_type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let baseline = {
        let pool = pool.clone();
        drive(
            "postgres baseline INSERT",
            args.writers,
            args.warmup,
            args.seconds,
            move |w, n| {
                let pool = pool.clone();
                async move {
                    let (data, metadata) = payload(w, n);
                    sqlx::query(BASELINE_INSERT)
                        .bind(format!("bench-{w}"))
                        .bind(Uuid::now_v7())
                        .bind("MeetingCreated")
                        .bind(data.to_string())
                        .bind(metadata.to_string())
                        .execute(&pool)
                        .await?;
                    Ok(())
                }
            },
        )
        .await?
    };
    pool.close().await;
    Ok(vec![events, baseline])
}

/// Ten meetings per user, each created, renamed, given a recording, talked through
/// (five transcript lines) and summarized: 93 events per user.
fn user_history(seed: u64) -> Vec<(String, Vec<DomainEvent>)> {
    let id = |kind: u64, n: u64| {
        ObjectId::from_parts(
            0x6900_0000,
            [kind as u8, 0, 0, 0, 0],
            (seed * 100 + n) as u32 & 0x00ff_ffff,
        )
    };
    let now = Utc::now();
    let user = UserId(id(1, 0));
    let mut out = vec![
        (
            format!("user-email-{seed:064x}"),
            vec![DomainEvent::EmailReserved(EmailReserved {
                user_id: user,
                reserved_at: now,
            })],
        ),
        (
            format!("user-{user}"),
            vec![DomainEvent::UserRegistered(UserRegistered {
                user_id: user,
                email: format!("user{seed}@example.com"),
                f_name: "Bench".into(),
                l_name: format!("User {seed}"),
                phone_number: "923085000453".into(),
                country: "Pakistan".into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
                role: Role::User,
                registered_at: now,
            })],
        ),
    ];
    let room = RoomId(id(2, 0));
    out.push((
        format!("room-{room}"),
        vec![DomainEvent::RoomCreated(RoomCreated {
            room_id: room,
            owner_id: user,
            name: format!("Room {seed}"),
            room_type: "conference".into(),
            max_participants: Some(50),
            is_private: false,
            p2p: false,
            created_at: now,
        })],
    ));
    for m in 0..10 {
        let meeting = MeetingId(id(3, m));
        let update = |title: Option<String>, recording: Option<String>| {
            DomainEvent::MeetingUpdated(MeetingUpdated {
                meeting_id: meeting,
                updated_by: user,
                title,
                transcript_enabled: None,
                summary_generated: None,
                room_id: Some(room),
                recording_id: recording,
                updated_at: now,
            })
        };
        out.push((
            format!("meeting-{meeting}"),
            vec![
                DomainEvent::MeetingCreated(MeetingCreated {
                    meeting_id: meeting,
                    title: format!("Meeting {m}"),
                    host_id: user,
                    transcript_enabled: true,
                    created_at: now,
                }),
                update(Some(format!("Meeting {m}: planning")), None),
                update(None, Some(format!("1756364334628_{seed}_{m}"))),
                DomainEvent::MeetingSummaryGenerated(MeetingSummaryGenerated {
                    meeting_id: meeting,
                    summary: "U2FsdGVkX1+ciphertext-of-the-notes".repeat(8),
                    summarizer: "offline".into(),
                    lines: 5,
                    generated_by: user,
                    generated_at: now,
                }),
            ],
        ));
        out.push((
            format!("transcript-{meeting}"),
            (0..5)
                .map(|l| {
                    DomainEvent::TranscriptLineAdded(TranscriptLineAdded {
                        meeting_id: meeting,
                        line_id: id(4, m * 10 + l),
                        user_name: "Bench User".into(),
                        message: "U2FsdGVkX1+encrypted-transcript-line".repeat(4),
                        is_encrypted: true,
                        sent_by: Some(user),
                        added_at: now,
                    })
                })
                .collect(),
        ));
    }
    out
}

async fn rebuild(args: RebuildArgs) -> anyhow::Result<()> {
    let scratch = Scratch::create(&args.pg.pg_url).await?;
    let result = rebuild_in(&args, &scratch.url).await;
    scratch.drop().await;
    result
}

async fn rebuild_in(args: &RebuildArgs, url: &str) -> anyhow::Result<()> {
    let store = PostgresEventStore::connect(url, 32).await?;
    let shared: SharedEventStore = Arc::new(store.clone());
    let per_user = user_history(0)
        .iter()
        .map(|(_, e)| e.len() as u64)
        .sum::<u64>();
    let users = args.events.div_ceil(per_user);
    println!(
        "bench rebuild: generating {} events ({users} users, {per_user} events each)",
        users * per_user
    );
    let bar = ProgressBar::new(users).with_style(ProgressStyle::with_template(
        "generating [{bar:30}] {pos}/{len} users ({per_sec}) ETA {eta}",
    )?);
    let metadata = serde_json::to_value(EventMetadata {
        actor_id: Some("bench".into()),
        actor_roles: vec!["system".into()],
        request_id: Uuid::now_v7().to_string(),
        correlation_id: Uuid::now_v7().to_string(),
        causation_id: None,
        client_ip: None,
        occurred_at: Utc::now(),
        idempotency_key: None,
        request_digest: None,
    })?;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writers: Vec<_> = (0..32)
        .map(|_| {
            let (shared, next, bar, metadata) =
                (shared.clone(), next.clone(), bar.clone(), metadata.clone());
            tokio::spawn(async move {
                loop {
                    let seed = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if seed >= users {
                        return Ok::<_, anyhow::Error>(());
                    }
                    for (stream, events) in user_history(seed) {
                        let new = events
                            .iter()
                            .map(|e| {
                                let encoded = e.encode();
                                NewEvent {
                                    event_id: Uuid::now_v7(),
                                    event_type: encoded.event_type.to_owned(),
                                    schema_version: encoded.schema_version,
                                    data: encoded.data,
                                    metadata: metadata.clone(),
                                }
                            })
                            .collect();
                        shared
                            .append_to_stream(&stream, ExpectedVersion::NoStream, new)
                            .await?;
                    }
                    bar.inc(1);
                }
            })
        })
        .collect();
    for w in writers {
        w.await??;
    }
    bar.finish_and_clear();
    let total = users * per_user;

    let db = altegon_projections::ReadDb::connect(url, 16).await?;
    let engine = altegon_projections::ProjectionEngine::new(
        db.clone(),
        shared.clone(),
        altegon_projections::models::all(),
    );
    engine.prepare().await?;
    let bar = ProgressBar::new(100)
        .with_style(ProgressStyle::with_template("rebuilding [{bar:30}] {msg}")?);
    let started = Instant::now();
    engine
        .rebuild(None, |name, p| {
            bar.set_position(p.position.saturating_mul(100) / p.head.max(1));
            bar.set_message(format!("{name}: {} events", p.events));
        })
        .await?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let projections = engine.names().len();
    println!(
        "rebuilt {projections} projections side by side from {total} events in {:.1} s: {:.0} log events/s \
         ({:.0} events applied/s across projections); target >= 25,000 log events/s: {}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        (total * projections as u64) as f64 / elapsed.as_secs_f64(),
        if total as f64 / elapsed.as_secs_f64() >= 25_000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    db.close().await;
    shared.close().await;
    Ok(())
}

/// Loads `url` with `wrk` when it is installed (a C load generator, like pgbench,
/// so the client costs about the same on both sides); `None` without it.
async fn wrk(url: &str, token: &str, args: &ListArgs) -> anyhow::Result<Option<Figures>> {
    let output = tokio::process::Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            &args.connections.to_string(),
            "-d",
            &format!("{}s", args.seconds),
            "--latency",
        ])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg(url)
        .output()
        .await;
    let Ok(output) = output else {
        return Ok(None);
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    anyhow::ensure!(
        !stdout.contains("Non-2xx"),
        "wrk saw failed requests:\n{stdout}"
    );
    let rate = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("wrk printed no rate")?;
    let percentile = |p: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .map(str::trim)
            .and_then(|v| {
                let (n, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
                let n: f64 = n.parse().ok()?;
                Some(match unit {
                    "us" => n / 1000.0,
                    "s" => n * 1000.0,
                    _ => n,
                })
            })
            .unwrap_or(0.0)
    };
    Ok(Some(Figures {
        label: "GET /meetings/list (HTTP, wrk)".into(),
        count: (rate * args.seconds as f64) as u64,
        elapsed: Duration::from_secs(args.seconds),
        p50_ms: percentile("50%"),
        p99_ms: percentile("99%"),
    }))
}

async fn list(args: ListArgs) -> anyhow::Result<()> {
    let scratch = Scratch::create(&args.pg.pg_url).await?;
    let result = list_in(&args, &scratch.url).await;
    scratch.drop().await;
    result
}

async fn list_in(args: &ListArgs, url: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = postgres_server(dir.path(), url).await?;
    let base = format!("http://{}", server.addr());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut r = client.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let email = "bench@example.com";
    let body: Value = post("/auth/register", None, json!({ "email": email, "fName": "Bench", "lName": "User", "phoneNumber": "1", "country": "PK", "password": "AB1239001" }))
        .await?
        .json()
        .await?;
    let user = body["data"]["user"]["_id"]
        .as_str()
        .context("register failed")?
        .to_owned();
    let body: Value = post(
        "/auth/login",
        None,
        json!({ "userName": email, "password": "AB1239001" }),
    )
    .await?
    .json()
    .await?;
    let token = body["data"]["token"]
        .as_str()
        .context("login failed")?
        .to_owned();
    for i in 0..args.meetings {
        let r = post(
            "/meetings/create",
            Some(&token),
            json!({ "title": format!("Meeting {i}"), "hostId": user, "transcriptEnabled": false }),
        )
        .await?;
        anyhow::ensure!(r.status().is_success(), "create failed: {}", r.status());
    }
    println!(
        "bench list: GET /meetings/list/:userId ({} meetings), {} connections, {} s",
        args.meetings, args.connections, args.seconds
    );
    let path = format!("{base}/meetings/list/{user}");
    let http = match wrk(&path, &token, args).await? {
        Some(figures) => figures,
        None => {
            let (client, token) = (client.clone(), token.clone());
            drive(
                "GET /meetings/list (in-process load)",
                args.connections,
                1,
                args.seconds,
                move |_, _| {
                    let request = client.get(&path).bearer_auth(&token);
                    async move {
                        let r = request.send().await?;
                        anyhow::ensure!(r.status().is_success(), "list failed: {}", r.status());
                        let _ = r.bytes().await?;
                        Ok(())
                    }
                },
            )
            .await?
        }
    };
    server.stop().await?;

    let script = dir.path().join("list.sql");
    std::fs::write(
        &script,
        format!(
            "SELECT id, title, host_id, transcript_enabled, summary_generated, room_id, recording_ids, \
             created_at, updated_at FROM meetings WHERE host_id = '{user}' \
             ORDER BY created_at DESC, id DESC LIMIT 1000 OFFSET 0;\n"
        ),
    )?;
    let output = tokio::process::Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &args.connections.to_string(),
            "-j",
            "2",
            "-T",
            &args.seconds.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .await
        .context("pgbench could not be run (is it installed?)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().find_map(|w| w.parse::<f64>().ok()))
    };
    let tps = field("tps").context("pgbench printed no tps")?;
    let latency = field("latency average").unwrap_or(0.0);
    header("requests/s");
    println!("{}", http.row());
    println!(
        "{:<34} {:>12.0} {:>10} {:>10} {:>10}",
        "pgbench same SELECT",
        tps,
        format!("avg {latency:.2}"),
        "-",
        "-"
    );
    println!(
        "  ratio HTTP / pgbench: {:.2} (target >= 0.5)",
        http.rate() / tps.max(1e-9)
    );
    Ok(())
}

/// The process's resident memory figure `field` (`VmRSS`, `VmHWM`) in KiB.
fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts counting peak memory from now (Linux: `clear_refs` 5 resets `VmHWM`).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

const UPLOAD_CHUNK: usize = 256 * 1024;

/// A server with its log and read models in the PostgreSQL database at `url`.
async fn postgres_server(data_dir: &Path, url: &str) -> anyhow::Result<crate::server::Server> {
    let config = crate::config::Config {
        listen: "127.0.0.1:0".parse()?,
        recording_listen: "127.0.0.1:0".parse()?,
        data_dir: data_dir.to_path_buf(),
        event_store: url.to_owned(),
        database_url: Some(url.to_owned()),
        pg_max_connections: 16,
        // Load from one account and address; limits are not what is measured.
        rate_limiting: false,
        ..crate::config::Config::default()
    };
    crate::server::Server::start(config).await
}

/// A server on the embedded defaults in `data_dir`, on free ports.
async fn embedded_server(data_dir: &Path) -> anyhow::Result<crate::server::Server> {
    let config = crate::config::Config {
        listen: "127.0.0.1:0".parse()?,
        recording_listen: "127.0.0.1:0".parse()?,
        data_dir: data_dir.to_path_buf(),
        // Load from one account and address; limits are not what is measured.
        rate_limiting: false,
        ..crate::config::Config::default()
    };
    crate::server::Server::start(config).await
}

fn upload_body(total: u64) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    let chunk = bytes::Bytes::from(vec![0x5a; UPLOAD_CHUNK]);
    let chunks = total / UPLOAD_CHUNK as u64;
    futures::stream::iter((0..chunks).map(move |_| Ok(chunk.clone())))
}

async fn upload(args: UploadArgs) -> anyhow::Result<()> {
    use futures::StreamExt;
    let total = args.mib * 1024 * 1024;
    let dir = tempfile::tempdir()?;

    // Baseline: the same bytes written straight to a file in this process.
    reset_peak_memory();
    let before = memory_kib("VmRSS");
    let started = Instant::now();
    {
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::File::create(dir.path().join("baseline.bin")).await?;
        let mut body = std::pin::pin!(upload_body(total));
        while let Some(chunk) = body.next().await {
            file.write_all(&chunk?).await?;
        }
        file.sync_all().await?;
    }
    let baseline = (
        started.elapsed(),
        memory_kib("VmHWM").saturating_sub(before),
    );
    std::fs::remove_file(dir.path().join("baseline.bin"))?;

    let server = embedded_server(&dir.path().join("server")).await?;
    let base = format!("http://{}", server.addr());
    let ingest::BenchOwner {
        client,
        user,
        token,
        room,
    } = ingest::BenchOwner::create(&base, &["bench_1".to_owned()]).await?;

    println!(
        "bench upload: {} MiB through POST …/upload-to-blob (multipart, local blob backend), client and server in this process",
        args.mib
    );
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(upload_body(total)),
        total,
    )
    .file_name("bench.mp4");
    reset_peak_memory();
    let before = memory_kib("VmRSS");
    let started = Instant::now();
    let r = client
        .post(format!(
            "{base}/recordings/user/{user}/room/{room}/recording/bench_1/upload-to-blob"
        ))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    let elapsed = started.elapsed();
    let growth = memory_kib("VmHWM").saturating_sub(before);
    anyhow::ensure!(r.status().is_success(), "upload failed: {}", r.status());
    server.stop().await?;

    let mib = args.mib as f64;
    println!("| run | seconds | MiB/s | peak memory growth MiB |");
    println!("|---|---|---|---|");
    println!(
        "| HTTP upload to the blob store | {:.2} | {:.0} | {} |",
        elapsed.as_secs_f64(),
        mib / elapsed.as_secs_f64(),
        growth / 1024
    );
    println!(
        "| baseline: write the bytes to a file | {:.2} | {:.0} | {} |",
        baseline.0.as_secs_f64(),
        mib / baseline.0.as_secs_f64(),
        baseline.1 / 1024
    );
    println!(
        "target: peak memory growth under 64 MiB for a 1 GiB upload: {}",
        if growth / 1024 < 64 { "met" } else { "NOT met" }
    );
    Ok(())
}
