//! `bench realtime`: one room with many connected clients and a publisher sending
//! chat at a fixed rate, through the relay, beside a plain Node socket.io v4 server
//! relaying the same messages (`bench/realtime-baseline-server.js`), socketioxide
//! alone doing the same broadcast ([`super::realtime_library`]) and a floor that
//! does the least any relay must ([`super::realtime_floor`]). Figures: deliveries,
//! delivery latency, server CPU time and memory. The clients are the same for
//! every server: `bench realtime-load` in a process of its own
//! ([`super::realtime_load`]).
use std::path::PathBuf;
use std::process::Stdio;

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

/// `bench realtime` options.
#[derive(Debug, Args)]
pub struct RealtimeArgs {
    /// Connected receivers in the room.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Chat messages per second from the publisher.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Folder of the npm tools (the baseline's socket.io).
    #[arg(long, default_value = "tests/tools")]
    tools: PathBuf,
}

/// CPU seconds (user + system) and resident memory in KiB of a process.
fn usage(pid: &str) -> (f64, u64) {
    let ticks = 100.0; // USER_HZ on Linux.
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1.to_owned();
            let fields: Vec<&str> = after.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
        .unwrap_or(0.0);
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    (cpu, rss)
}

struct Run {
    deliveries: f64,
    expected: f64,
    p50: f64,
    p99: f64,
    cpu: f64,
    rss_kib: u64,
}

/// Runs the load against a server, sampling the server's CPU time from the first
/// published message to the last delivery.
async fn load(plan: &Value, server_pid: &str) -> anyhow::Result<Run> {
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["bench", "realtime-load"])
        .arg(plan.to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("the load process could not be started")?;
    let mut lines =
        tokio::io::BufReader::new(child.stdout.take().context("client stdout")?).lines();
    let (mut cpu_start, mut cpu_end, mut rss_kib) = (0.0, 0.0, 0);
    let mut result = Value::Null;
    while let Some(line) = lines.next_line().await? {
        match line.trim() {
            "publishing" => cpu_start = usage(server_pid).0,
            "delivered" => (cpu_end, rss_kib) = usage(server_pid),
            other => result = serde_json::from_str(other).unwrap_or(Value::Null),
        }
    }
    let status = child.wait().await?;
    anyhow::ensure!(status.success(), "the load process failed");
    let num = |k: &str| result[k].as_f64().unwrap_or(f64::NAN);
    Ok(Run {
        deliveries: num("deliveries"),
        expected: num("expected"),
        p50: num("p50"),
        p99: num("p99"),
        cpu: cpu_end - cpu_start,
        rss_kib,
    })
}

/// Starts a server process that prints its port on its first line, runs the load
/// against it and stops it.
async fn load_separate(
    mut command: tokio::process::Command,
    plan: impl Fn(&str) -> Value,
) -> anyhow::Result<Run> {
    let (mut server, port) = super::ingest::start_port_printer(&mut command).await?;
    let pid = server.id().context("server pid")?.to_string();
    let run = load(&plan(&format!("http://127.0.0.1:{port}")), &pid).await;
    let _ = server.kill().await;
    run
}

/// Runs `bench realtime`.
pub async fn realtime(args: RealtimeArgs) -> anyhow::Result<()> {
    let tools = super::ingest::npm_tools(&args.tools)?;
    let baseline_script = tools.join("../../bench/realtime-baseline-server.js");
    anyhow::ensure!(
        baseline_script.exists(),
        "bench/realtime-baseline-server.js not found"
    );
    let dir = tempfile::tempdir()?;
    let config = crate::config::Config {
        listen: "127.0.0.1:0".parse()?,
        recording_listen: "127.0.0.1:0".parse()?,
        data_dir: dir.path().join("server"),
        // The publisher sends faster than a participant is allowed to by default.
        realtime_messages_per_second: args.rate.saturating_mul(4).max(1000),
        // Load from one account and address; limits are not what is measured.
        rate_limiting: false,
        ..crate::config::Config::default()
    };
    let server = crate::server::Server::start(config).await?;
    let base = format!("http://{}", server.addr());
    let owner = super::ingest::BenchOwner::create(&base, &[]).await?;
    let client = reqwest::Client::new();
    let (_, guest) =
        super::ingest::register_and_login(&client, &base, "guest@bench.example").await?;
    let token_for = |access: String| {
        let client = client.clone();
        let url = format!("{base}/room/{}/token", owner.room);
        async move {
            let body: Value = client
                .post(url)
                .bearer_auth(access)
                .json(&json!({}))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok(
                body["data"]["token"]
                    .as_str()
                    .context("room token failed")?
                    .to_owned(),
            )
        }
    };
    let publisher = token_for(owner.token.clone()).await?;
    let receiver = token_for(guest).await?;

    println!(
        "bench realtime: {} clients in one room, a publisher sending {} chat messages/s for {} s, websocket, clients (one Rust process) and server on this machine; server CPU counted while publishing",
        args.clients, args.rate, args.seconds
    );
    let plan = |url: &str, (publisher, receiver): (&str, &str)| {
        json!({
            "url": url,
            "publisherToken": publisher,
            "receiverToken": receiver,
            "clients": args.clients,
            "rate": args.rate,
            "seconds": args.seconds,
        })
    };
    let tokens = (publisher.as_str(), receiver.as_str());
    let ours = load(&plan(&base, tokens), &std::process::id().to_string()).await?;
    server.stop().await?;

    let mut node = tokio::process::Command::new("node");
    node.arg(&baseline_script)
        .env("NODE_PATH", tools.join("node_modules"));
    // The baseline checks no tokens; the floor tells the publisher by its token.
    let theirs = load_separate(node, |url| plan(url, tokens)).await?;

    let mut library = tokio::process::Command::new(std::env::current_exe()?);
    library.args(["bench", "realtime-library"]);
    let alone = load_separate(library, |url| plan(url, tokens)).await?;

    let mut floor = tokio::process::Command::new(std::env::current_exe()?);
    floor.args(["bench", "realtime-floor"]);
    let floor_tokens = (super::realtime_floor::PUBLISHER, "receiver");
    let least = load_separate(floor, |url| plan(url, floor_tokens)).await?;

    println!(
        "| server | deliveries | of expected | deliveries per CPU-second | p50 ms | p99 ms | server CPU s | RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (label, r) in [
        ("altegon-meet relay", &ours),
        ("baseline: Node socket.io 4.8.1", &theirs),
        ("socketioxide 0.18 alone, same broadcast", &alone),
        ("floor: one pre-framed write per delivery", &least),
    ] {
        println!(
            "| {label} | {:.0} | {:.1} % | {:.0} | {:.0} | {:.0} | {:.2} | {} |",
            r.deliveries,
            100.0 * r.deliveries / r.expected,
            r.deliveries / r.cpu.max(0.01),
            r.p50,
            r.p99,
            r.cpu,
            r.rss_kib / 1024
        );
    }
    let ratio = (ours.deliveries / ours.cpu.max(0.01)) / (theirs.deliveries / theirs.cpu.max(0.01));
    let floor_ratio =
        (least.deliveries / least.cpu.max(0.01)) / (theirs.deliveries / theirs.cpu.max(0.01));
    println!(
        "deliveries per CPU-second: {ratio:.2}× the baseline (target ≥ 2); the floor is {floor_ratio:.2}× the baseline"
    );
    println!(
        "targets: ≥ 2× per CPU-second {}, p99 < 50 ms {}, RSS < 150 MiB {} (the relay's RSS is the whole bench process)",
        if ratio >= 2.0 { "met" } else { "NOT met" },
        if ours.p99 < 50.0 { "met" } else { "NOT met" },
        if ours.rss_kib < 150 * 1024 {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
