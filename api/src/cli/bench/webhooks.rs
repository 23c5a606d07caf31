//! `bench webhooks`: delivery throughput to a local receiver with many endpoints.
//! Endpoints are registered over REST; a burst of meetings is written to the log
//! while the server is stopped; the server then starts and the dispatcher scans,
//! creates and sends every delivery. Baseline in the same run: the same number of
//! signed POSTs to the same receiver from one client at the dispatcher's
//! concurrency, with nothing recorded (the HTTP part alone).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use altegon_commands::store::{ExpectedVersion, NewEvent};
use altegon_domain::DomainEvent;
use altegon_domain::events::MeetingCreated;
use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use uuid::Uuid;

/// `bench webhooks` options.
#[derive(Debug, Args)]
pub struct WebhooksArgs {
    /// Registered endpoints, each wanting every event.
    #[arg(long, default_value_t = 100)]
    endpoints: usize,
    /// Meetings created in the burst; each is delivered to every endpoint.
    #[arg(long, default_value_t = 500)]
    events: usize,
}

/// A receiver that acknowledges every request and counts them.
async fn receiver(count: Arc<AtomicU64>) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

fn config(dir: &std::path::Path) -> anyhow::Result<crate::config::Config> {
    Ok(crate::config::Config {
        listen: "127.0.0.1:0".parse()?,
        recording_listen: "127.0.0.1:0".parse()?,
        data_dir: dir.to_path_buf(),
        webhook_allow_http: true,
        webhook_allow_private_addresses: true,
        webhook_max_endpoints_per_user: u32::MAX,
        // Load from one account and address; limits are not what is measured.
        rate_limiting: false,
        ..crate::config::Config::default()
    })
}

/// Runs the benchmark.
pub(super) async fn webhooks(args: WebhooksArgs) -> anyhow::Result<()> {
    let total = (args.endpoints * args.events) as u64;
    println!(
        "bench webhooks: {} endpoints x {} meetings = {total} deliveries to a local receiver (embedded SQLite)",
        args.endpoints, args.events
    );
    let count = Arc::new(AtomicU64::new(0));
    let (url, _receiver) = receiver(count.clone()).await?;
    let dir = tempfile::tempdir()?;
    let config = config(dir.path())?;

    // Endpoints over REST.
    let server = crate::server::Server::start(config.clone()).await?;
    let base = format!("http://{}", server.addr());
    let client = reqwest::Client::new();
    let (user, token) =
        super::ingest::register_and_login(&client, &base, "bench@example.com").await?;
    for _ in 0..args.endpoints {
        let r = client
            .post(format!("{base}/webhooks"))
            .bearer_auth(&token)
            .json(&json!({ "url": url, "eventTypes": ["meeting.created"] }))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "registering an endpoint: {}",
            r.status()
        );
    }
    server.stop().await?;

    // The burst, written while the server is down.
    let store = crate::stores::open_event_store(&config).await?;
    let host = user.parse().context("user id")?;
    let actor = user.as_str();
    let writes = futures::stream::iter(0..args.events).map(|n| {
        let store = store.clone();
        async move {
            let meeting_id = altegon_commands::ids::new_object_id().into();
            let event = DomainEvent::MeetingCreated(MeetingCreated {
                meeting_id,
                title: format!("Planning {n}"),
                host_id: host,
                transcript_enabled: false,
                created_at: chrono::Utc::now(),
            })
            .encode();
            store
                .append_to_stream(
                    &format!("meeting-{meeting_id}"),
                    ExpectedVersion::NoStream,
                    vec![NewEvent {
                        event_id: Uuid::now_v7(),
                        event_type: event.event_type.to_owned(),
                        schema_version: event.schema_version,
                        data: event.data,
                        metadata: json!({ "actorId": actor, "occurredAt": chrono::Utc::now() }),
                    }],
                )
                .await
        }
    });
    use futures::StreamExt;
    let results: Vec<_> = writes.buffer_unordered(32).collect().await;
    for r in results {
        r?;
    }
    store.close().await;

    // Dispatch: from start-up to the last acknowledgement.
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} deliveries {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    count.store(0, Ordering::Relaxed);
    let started = Instant::now();
    let server = crate::server::Server::start(config.clone()).await?;
    while count.load(Ordering::Relaxed) < total {
        bar.set_position(count.load(Ordering::Relaxed));
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "deliveries stalled at {}",
            count.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dispatched = started.elapsed();
    bar.finish_and_clear();
    server.stop().await?;

    // Baseline: the same signed POSTs with nothing recorded.
    let concurrency = args.endpoints * config.webhook_max_in_flight;
    let key = altegon_webhooks::signature::key_of("whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA==")?;
    let body = json!({ "type": "meeting.created", "data": { "title": "Planning" } }).to_string();
    let sender = reqwest::Client::new();
    count.store(0, Ordering::Relaxed);
    let started = Instant::now();
    futures::stream::iter(0..total)
        .map(|n| {
            let (sender, url, body, key) = (&sender, &url, &body, &key);
            async move {
                let id = format!("msg_{n}");
                let ts = chrono::Utc::now().timestamp();
                let signature = altegon_webhooks::signature::sign(key, &id, ts, body.as_bytes());
                sender
                    .post(url.as_str())
                    .header("content-type", "application/json")
                    .header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", signature)
                    .body(body.clone())
                    .send()
                    .await
            }
        })
        .buffer_unordered(concurrency)
        .for_each(|_| async {})
        .await;
    let baseline = started.elapsed();

    let rate = |d: Duration| total as f64 / d.as_secs_f64().max(1e-9);
    println!("| run | deliveries | seconds | deliveries/s |");
    println!("|---|---|---|---|");
    println!(
        "| dispatcher: scan the log, record and send every delivery | {total} | {:.2} | {:.0} |",
        dispatched.as_secs_f64(),
        rate(dispatched)
    );
    println!(
        "| baseline: the same signed POSTs at concurrency {concurrency}, nothing recorded | {total} | {:.2} | {:.0} |",
        baseline.as_secs_f64(),
        rate(baseline)
    );
    println!(
        "dispatcher / baseline: {:.2}",
        rate(dispatched) / rate(baseline)
    );
    Ok(())
}
