//! `bench ingest`: the recording server's chunk throughput with concurrent
//! recordings (socket.io-client from `tests/tools`), beside a plain Node socket.io
//! server writing the same chunks to files; and processing time per minute of
//! video, beside ffmpeg run directly with the same filter graph.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use altegon_media::ingest::ffmpeg::Ffmpeg;
use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

/// `bench ingest` options.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Concurrent recordings, one connection each.
    #[arg(long, default_value_t = 20)]
    recordings: usize,
    /// MiB streamed per recording.
    #[arg(long, default_value_t = 32)]
    mib_per_recording: u64,
    /// Chunk size in KiB.
    #[arg(long, default_value_t = 64)]
    chunk_kib: usize,
    /// Chunks in flight per recording.
    #[arg(long, default_value_t = 4)]
    window: usize,
    /// Seconds of video processed (two tracks of half that each).
    #[arg(long, default_value_t = 60)]
    video_secs: u32,
    /// Folder of the npm tools (socket.io-client, socket.io).
    #[arg(long, default_value = "tests/tools")]
    tools: PathBuf,
}

/// Registers `email` (password `AB1239001`) and signs in: the id and a token.
pub(super) async fn register_and_login(
    client: &reqwest::Client,
    base: &str,
    email: &str,
) -> anyhow::Result<(String, String)> {
    let body: Value = client
        .post(format!("{base}/auth/register"))
        .json(&json!({ "email": email, "fName": "Bench", "lName": "User", "phoneNumber": "1", "country": "PK", "password": "AB1239001" }))
        .send()
        .await?
        .json()
        .await?;
    let user = body["data"]["user"]["_id"]
        .as_str()
        .context("register failed")?
        .to_owned();
    let body: Value = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "userName": email, "password": "AB1239001" }))
        .send()
        .await?
        .json()
        .await?;
    let token = body["data"]["token"]
        .as_str()
        .context("login failed")?
        .to_owned();
    Ok((user, token))
}

/// A user with a room and started recordings on a running server.
pub(super) struct BenchOwner {
    pub client: reqwest::Client,
    pub user: String,
    pub token: String,
    pub room: String,
}

impl BenchOwner {
    /// Registers, logs in, creates a room and starts `recordings` in it.
    pub(super) async fn create(base: &str, recordings: &[String]) -> anyhow::Result<Self> {
        let client = reqwest::Client::new();
        let (user, token) = register_and_login(&client, base, "bench@example.com").await?;
        let body: Value = client
            .post(format!("{base}/room/create"))
            .bearer_auth(&token)
            .json(&json!({ "name": "Bench", "type": "meeting" }))
            .send()
            .await?
            .json()
            .await?;
        let room = body["data"]["id"]
            .as_str()
            .context("room failed")?
            .to_owned();
        let owner = Self {
            client,
            user,
            token,
            room,
        };
        for id in recordings {
            owner.start_recording(base, id).await?;
        }
        Ok(owner)
    }

    async fn start_recording(&self, base: &str, id: &str) -> anyhow::Result<()> {
        let r = self
            .client
            .post(format!("{base}/recording/start"))
            .bearer_auth(&self.token)
            .json(&json!({ "roomId": self.room, "userName": "Bench", "streamId": "1", "recordingId": id, "startTime": 0, "videoType": "video", "status": "pending" }))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "start recording failed: {}",
            r.status()
        );
        Ok(())
    }

    async fn room_token(&self, base: &str) -> anyhow::Result<String> {
        let body: Value = self
            .client
            .post(format!("{base}/room/{}/token", self.room))
            .bearer_auth(&self.token)
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        Ok(body["data"]["token"]
            .as_str()
            .context("room token failed")?
            .to_owned())
    }
}

async fn node(tools: &Path, script: &str, plan: &Value) -> anyhow::Result<Vec<Value>> {
    let out = tokio::process::Command::new("node")
        .arg(tools.join(script))
        .arg(plan.to_string())
        .current_dir(tools)
        .kill_on_drop(true)
        .output()
        .await
        .context("node could not be started")?;
    anyhow::ensure!(
        out.status.success(),
        "{script} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

struct Throughput {
    bytes: f64,
    seconds: f64,
}

impl Throughput {
    fn from(result: &Value) -> anyhow::Result<Self> {
        let failures = result["failures"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(failures == 0, "recordings failed: {result}");
        Ok(Self {
            bytes: result["bytes"].as_f64().unwrap_or(0.0),
            seconds: result["seconds"].as_f64().unwrap_or(f64::NAN),
        })
    }

    fn mb_per_s(&self) -> f64 {
        self.bytes / 1e6 / self.seconds
    }
}

/// The npm tools folder (socket.io-client, socket.io), checked.
pub(super) fn npm_tools(folder: &Path) -> anyhow::Result<PathBuf> {
    let tools = folder.canonicalize().with_context(|| {
        format!(
            "{} not found: run from the repository, or pass --tools",
            folder.display()
        )
    })?;
    anyhow::ensure!(
        tools.join("node_modules/socket.io-client").exists()
            && tools.join("node_modules/socket.io").exists(),
        "npm tools missing: run `npm ci --prefix {}`",
        tools.display()
    );
    Ok(tools)
}

/// Starts a server process that prints its port on its first line; the process
/// is killed when the child is dropped.
pub(super) async fn start_port_printer(
    command: &mut tokio::process::Command,
) -> anyhow::Result<(tokio::process::Child, u16)> {
    let mut server = command
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("a server process could not be started")?;
    let stdout = server.stdout.take().context("server stdout")?;
    let port = tokio::io::BufReader::new(stdout)
        .lines()
        .next_line()
        .await?
        .context("the server printed no port")?;
    let port = port.trim().parse().context("the server printed no port")?;
    Ok((server, port))
}

/// Runs `bench ingest`.
pub async fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let tools = npm_tools(&args.tools)?;
    let ffmpeg = Ffmpeg::locate(Path::new("ffmpeg"), Path::new("ffprobe"))
        .await
        .context("ffmpeg and ffprobe are needed on PATH")?;
    let dir = tempfile::tempdir()?;
    let server = super::embedded_server(&dir.path().join("server")).await?;
    let base = format!("http://{}", server.addr());
    let recording_url = format!(
        "http://{}",
        server.recording_addr().context("no recording server")?
    );
    let ids: Vec<String> = (0..args.recordings).map(|i| format!("bench_{i}")).collect();
    let mut all = ids.clone();
    all.push("bench_process".into());
    let owner = BenchOwner::create(&base, &all).await?;
    let room_token = owner.room_token(&base).await?;

    println!(
        "bench ingest: {} recordings × {} MiB in {} KiB chunks, {} in flight each, websocket, client (Node) and server on this machine",
        args.recordings, args.mib_per_recording, args.chunk_kib, args.window
    );
    let plan = |url: &str, token: Option<&str>| {
        json!({
            "url": url,
            "token": token,
            "recordingIds": ids,
            "mibPerRecording": args.mib_per_recording,
            "chunkBytes": args.chunk_kib * 1024,
            "window": args.window,
        })
    };
    let ours = node(
        &tools,
        "ingest-bench.js",
        &plan(&recording_url, Some(&room_token)),
    )
    .await?;
    let ours = Throughput::from(ours.first().context("no result")?)?;

    // Baseline: a plain Node socket.io server appending the same chunks to files.
    let baseline_dir = dir.path().join("baseline");
    std::fs::create_dir_all(&baseline_dir)?;
    let (mut baseline_server, port) = start_port_printer(
        tokio::process::Command::new("node")
            .arg(tools.join("ingest-baseline-server.js"))
            .arg(&baseline_dir)
            .current_dir(&tools),
    )
    .await?;
    let baseline = node(
        &tools,
        "ingest-bench.js",
        &plan(&format!("http://127.0.0.1:{port}"), None),
    )
    .await?;
    let baseline = Throughput::from(baseline.first().context("no result")?)?;
    let _ = baseline_server.kill().await;

    println!("| run | MB written | seconds | MB/s |");
    println!("|---|---|---|---|");
    for (label, t) in [
        (
            "recording server (auth, ordered writer per track, checkpoints)",
            &ours,
        ),
        (
            "baseline: plain Node socket.io server, fs.write per chunk",
            &baseline,
        ),
    ] {
        println!(
            "| {label} | {:.0} | {:.2} | {:.1} |",
            t.bytes / 1e6,
            t.seconds,
            t.mb_per_s()
        );
    }
    println!(
        "ratio: {:.2}× the baseline",
        ours.mb_per_s() / baseline.mb_per_s()
    );

    // Processing: two tracks of half the video each, through the socket, then ffmpeg alone.
    let half = (args.video_secs / 2).max(1);
    let cam = dir.path().join("cam.webm");
    let screen = dir.path().join("screen.webm");
    ffmpeg.test_pattern(&cam, (640, 480), half, true).await?;
    ffmpeg
        .test_pattern(&screen, (320, 240), half, false)
        .await?;
    let steps = node(
        &tools,
        "recording-client.js",
        &json!({
            "url": recording_url,
            "token": room_token,
            "recordingId": "bench_process",
            "tracks": [{ "videoId": "cam", "file": cam }, { "videoId": "screen", "file": screen }],
            "chunkBytes": 256 * 1024,
            "process": { "width": 1280, "height": 720 },
            "waitFor": "stored",
            "waitSecs": 1800,
        }),
    )
    .await?;
    let finished = steps
        .iter()
        .find(|s| s["step"] == "finished")
        .context("processing did not finish")?;
    anyhow::ensure!(
        finished["updates"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["event"] == "recording-stored")),
        "processing failed: {finished}"
    );
    let ours_secs = finished["processMs"].as_f64().unwrap_or(f64::NAN) / 1000.0;

    let mut inputs = Vec::new();
    for path in [&cam, &screen] {
        inputs.push((path.clone(), ffmpeg.probe(path).await?));
    }
    let started = Instant::now();
    ffmpeg
        .scale_and_concat(&inputs, 1280, 720, &dir.path().join("direct.mp4"), |_| {})
        .await?;
    let direct_secs = started.elapsed().as_secs_f64();
    server.stop().await?;
    drop(owner);

    let minutes = f64::from(half * 2) / 60.0;
    println!(
        "processing: {} s of video (640x480 + 320x240 VP8 tracks) to 1280x720 H.264/AAC, {} ffmpeg threads on this machine",
        half * 2,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| run | seconds | seconds per minute of video |");
    println!("|---|---|---|");
    println!(
        "| process-recording → recording-stored (ffmpeg, checksum, upload, events) | {ours_secs:.2} | {:.2} |",
        ours_secs / minutes
    );
    println!(
        "| baseline: the same ffmpeg run alone | {direct_secs:.2} | {:.2} |",
        direct_secs / minutes
    );
    Ok(())
}
