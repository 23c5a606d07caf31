//! The recording server with its real client (socket.io-client from npm): two
//! WebM tracks of different sizes streamed in chunks, one of them across a dropped
//! connection, processed by ffmpeg into one MP4 that lands in the owner's storage
//! (a local folder and Azurite) and plays as ffprobe says it should.

use altegon_tests::azurite::Azurite;
use altegon_tests::recording_client::{ffprobe, make_webm, run, step};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{Log, TestApp};

const REC: &str = "1756364334628_738386";
const CHUNK: usize = 64 * 1024;

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

struct Clips {
    _dir: tempfile::TempDir,
    cam: std::path::PathBuf,
    screen: std::path::PathBuf,
}

/// A 640×480 clip with sound and a 320×240 one without, 10 s each.
async fn clips() -> Clips {
    let dir = tempfile::tempdir().expect("temp dir");
    let cam = dir.path().join("cam.webm");
    let screen = dir.path().join("screen.webm");
    make_webm(&cam, 640, 480, 10, true).await;
    make_webm(&screen, 320, 240, 10, false).await;
    Clips {
        _dir: dir,
        cam,
        screen,
    }
}

async fn recorded_room(app: &TestApp) -> (String, String, String) {
    let (user, token) = app.user("host@altegon.com").await;
    let room = app.room(&token, false).await;
    app.start_recording(&token, &room, REC).await;
    (user, token, room)
}

async fn ingest_and_process(blobs: &str) {
    let azurite = if blobs == "azure" {
        Some(Azurite::start().await)
    } else {
        None
    };
    let connection = azurite.as_ref().map(Azurite::connection_string);
    let app = TestApp::start_with(Log::Sqlite, |c| {
        if let Some(cs) = connection {
            c.blob_backend = "azure".into();
            c.azure_storage_connection_string = Some(SecretString::from(cs));
        }
    })
    .await;
    let (user, token, room) = recorded_room(&app).await;
    let room_token = app.room_token(&token, &room).await;
    let clips = clips().await;
    let cam = std::fs::read(&clips.cam).unwrap();
    let screen = std::fs::read(&clips.screen).unwrap();
    let drop_after = (cam.len() / 3 / CHUNK) * CHUNK;
    assert!(
        drop_after > CHUNK,
        "the clip is large enough to drop mid-way"
    );

    let steps = run(&json!({
        "url": app.recording,
        "token": room_token,
        "recordingId": REC,
        "tracks": [
            { "videoId": "cam", "file": clips.cam },
            { "videoId": "screen", "file": clips.screen },
        ],
        "chunkBytes": CHUNK,
        "window": 4,
        "dropAfterBytes": drop_after,
        "probes": true,
        "process": { "width": 1280, "height": 720 },
        "waitFor": "stored",
    }))
    .await;

    // Refusals come back as error acks with a status, never as silence.
    let unknown = &step(&steps, "probe-unknown-track")["ack"];
    assert_eq!(unknown["ok"], false);
    assert_eq!(unknown["status"], 404);
    assert_eq!(step(&steps, "probe-bad-video-id")["ack"]["status"], 400);
    assert_eq!(step(&steps, "probe-malformed")["ack"]["status"], 400);
    assert_eq!(step(&steps, "probe-after-stop")["ack"]["status"], 404);

    // The dropped connection resumes where the file ends; nothing is written twice.
    assert_eq!(step(&steps, "create-file")["ack"]["bytesWritten"], 0);
    let before = &step(&steps, "before-drop")["ack"];
    assert_eq!(before["bytesWritten"], drop_after);
    assert_eq!(step(&steps, "resumed")["ack"]["bytesWritten"], drop_after);
    assert_eq!(step(&steps, "repeat")["ack"]["bytesWritten"], drop_after);
    let gap = &step(&steps, "gap")["ack"];
    assert_eq!(gap["ok"], false);
    assert_eq!(gap["status"], 400);

    // Each track's file is exactly the bytes sent.
    let stops: Vec<&Value> = steps
        .iter()
        .filter(|s| s["step"] == "stop-writing")
        .collect();
    assert_eq!(stops.len(), 2);
    assert_eq!(stops[0]["ack"]["size"], cam.len());
    assert_eq!(stops[0]["ack"]["sha256"], sha256_hex(&cam));
    assert_eq!(stops[1]["ack"]["size"], screen.len());
    assert_eq!(stops[1]["ack"]["sha256"], sha256_hex(&screen));

    let processing = &step(&steps, "process-recording")["ack"];
    assert_eq!(processing["ok"], true, "{processing}");
    assert_eq!(processing["attempt"], 1);
    let updates = step(&steps, "finished")["updates"]
        .as_array()
        .unwrap()
        .clone();
    let stored = updates
        .iter()
        .find(|u| u["event"] == "recording-stored")
        .unwrap_or_else(|| panic!("no recording-stored update: {updates:#?}"));
    let file_name = format!("{REC}.mp4");
    assert_eq!(stored["update"]["fileName"], file_name.as_str());
    let duration_ms = stored["update"]["durationMs"].as_u64().unwrap();
    assert!((19_000..=21_000).contains(&duration_ms), "{duration_ms} ms");

    // The MP4 is in the owner's storage, counted in the usage.
    let r = app
        .get_as(&token, &format!("/recordings/user/{user}/storage-info"))
        .await;
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    let listed = &info["data"]["recordings"][0];
    assert_eq!(listed["fileName"], file_name.as_str());
    let size = listed["fileSize"].as_u64().unwrap();
    assert_eq!(Some(size), stored["update"]["size"].as_u64());
    assert_eq!(info["data"]["totalUsage"], size);

    // Downloaded through its SAS URL, it plays: 20 s of 1280x720 H.264 with AAC.
    let r = app
        .get_as(
            &token,
            &format!(
                "/recordings/user/{user}/room/{room}/recording/{REC}/file/{file_name}/sas-url"
            ),
        )
        .await;
    assert_eq!(r.status(), 200);
    let sas: Value = r.json().await.unwrap();
    let url = sas["data"]["sasUrl"]
        .as_str()
        .or_else(|| sas["data"]["url"].as_str())
        .unwrap_or_else(|| panic!("no URL in {sas}"))
        .to_owned();
    let bytes = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, size);
    let dir = tempfile::tempdir().unwrap();
    let mp4 = dir.path().join("out.mp4");
    std::fs::write(&mp4, &bytes).unwrap();
    let probe = ffprobe(&mp4);
    let duration: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((19.0..=21.0).contains(&duration), "{duration} s");
    let streams = probe["streams"].as_array().unwrap();
    let video = streams.iter().find(|s| s["codec_type"] == "video").unwrap();
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["width"], 1280);
    assert_eq!(video["height"], 720);
    let audio = streams.iter().find(|s| s["codec_type"] == "audio").unwrap();
    assert_eq!(audio["codec_name"], "aac");

    // Every step is on the recording's stream, with the checksum of what was stored.
    let events = app.stream_events(&format!("recording-{REC}")).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    for expected in [
        "RecordingTrackOpened",
        "RecordingTrackClosed",
        "RecordingProcessingStarted",
        "RecordingProcessed",
    ] {
        assert!(
            types.contains(&expected),
            "{expected} missing from {types:?}"
        );
    }
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "RecordingTrackOpened")
            .count(),
        2,
        "the resumed track is not opened twice"
    );
    let (_, processed) = events
        .iter()
        .find(|(t, _)| t == "RecordingProcessed")
        .unwrap();
    assert_eq!(processed["sha256"], sha256_hex(&bytes));
    assert_eq!(processed["size"], size);

    // The working files are gone once stored.
    assert!(!app.config().ingest_dir().join(REC).exists());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tracks_streamed_in_chunks_become_one_mp4_in_local_storage() {
    ingest_and_process("local").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tracks_streamed_in_chunks_become_one_mp4_in_azure_blob_storage() {
    ingest_and_process("azure").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_room_tokens_with_the_record_grant_may_connect() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token, room) = recorded_room(&app).await;
    let connect = |auth: Value| {
        let url = app.recording.clone();
        async move {
            let mut plan =
                json!({ "url": url, "recordingId": REC, "tracks": [], "connectOnly": true });
            if !auth.is_null() {
                plan["token"] = auth;
            }
            run(&plan).await
        }
    };
    let refused = connect(Value::Null).await;
    assert!(
        step(&refused, "connect_error")["message"]
            .as_str()
            .unwrap()
            .contains("record grant")
    );
    // An access token is not a room token.
    let refused = connect(json!(token)).await;
    assert!(
        step(&refused, "connect_error")["message"]
            .as_str()
            .unwrap()
            .contains("room token refused")
    );
    // A guest's room token has no record grant.
    let (_, guest) = app.user("guest@altegon.com").await;
    let guest_room_token = app.room_token(&guest, &room).await;
    let refused = connect(json!(guest_room_token)).await;
    assert!(
        step(&refused, "connect_error")["message"]
            .as_str()
            .unwrap()
            .contains("lacks the record grant")
    );
    let host_room_token = app.room_token(&token, &room).await;
    let accepted = connect(json!(host_room_token)).await;
    step(&accepted, "connected");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processing_without_ffmpeg_is_refused_with_503_and_tracks_still_ingest() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.ffmpeg_path = "/nonexistent/ffmpeg".into();
    })
    .await;
    let (_, token, room) = recorded_room(&app).await;
    let room_token = app.room_token(&token, &room).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.bin");
    std::fs::write(&file, vec![7u8; 200_000]).unwrap();
    let steps = run(&json!({
        "url": app.recording,
        "token": room_token,
        "recordingId": REC,
        "tracks": [{ "videoId": "cam", "file": file }],
        "chunkBytes": CHUNK,
        "process": {},
        // Binary chunks over HTTP long-polling too, for clients without websockets.
        "transports": ["polling"],
    }))
    .await;
    assert_eq!(step(&steps, "stop-writing")["ack"]["size"], 200_000);
    let refused = &step(&steps, "process-recording")["ack"];
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["status"], 503);
    assert!(refused["error"].as_str().unwrap().contains("ffmpeg"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recording_past_its_disk_limit_is_refused_and_keeps_what_fit() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.recording_max_bytes = 150_000;
    })
    .await;
    let (_, token, room) = recorded_room(&app).await;
    let room_token = app.room_token(&token, &room).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, vec![1u8; 300_000]).unwrap();
    let steps = run(&json!({
        "url": app.recording,
        "token": room_token,
        "recordingId": REC,
        "tracks": [{ "videoId": "cam", "file": file }],
        "chunkBytes": 50_000,
        "window": 1,
    }))
    .await;
    let sent = &step(&steps, "sent")["ack"];
    assert_eq!(sent["ok"], false);
    assert_eq!(sent["status"], 413);
    assert_eq!(step(&steps, "stop-writing")["ack"]["size"], 150_000);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_track_of_an_unknown_recording_is_refused() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token, room) = recorded_room(&app).await;
    let room_token = app.room_token(&token, &room).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.bin");
    std::fs::write(&file, vec![1u8; 10]).unwrap();
    let steps = run(&json!({
        "url": app.recording,
        "token": room_token,
        "recordingId": "never_started",
        "tracks": [{ "videoId": "cam", "file": file }],
    }))
    .await;
    let created = &step(&steps, "create-file")["ack"];
    assert_eq!(created["ok"], false);
    assert_eq!(created["status"], 404);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_is_a_clear_error_ack() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token, room) = recorded_room(&app).await;
    let room_token = app.room_token(&token, &room).await;
    // The track's file is /dev/full: every write fails with "no space left".
    let folder = app.config().ingest_dir().join(REC);
    std::fs::create_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink("/dev/full", folder.join("cam.webm")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.bin");
    std::fs::write(&file, vec![1u8; 1000]).unwrap();
    let steps = run(&json!({
        "url": app.recording,
        "token": room_token,
        "recordingId": REC,
        "tracks": [{ "videoId": "cam", "file": file }],
        "window": 1,
    }))
    .await;
    let sent = &step(&steps, "sent")["ack"];
    assert_eq!(sent["ok"], false);
    assert_eq!(sent["status"], 507);
    assert!(
        sent["error"]
            .as_str()
            .unwrap()
            .contains("out of disk space")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_track_ffmpeg_cannot_read_fails_with_its_reason_and_may_be_retried() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token, room) = recorded_room(&app).await;
    let room_token = app.room_token(&token, &room).await;
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.webm");
    std::fs::write(
        &junk,
        b"this is not a media file, whatever MediaRecorder says".repeat(100),
    )
    .unwrap();
    let steps = run(&json!({
        "url": app.recording,
        "token": room_token,
        "recordingId": REC,
        "tracks": [{ "videoId": "cam", "file": junk }],
        "process": {},
        "waitFor": "stored",
        "waitSecs": 60,
    }))
    .await;
    assert_eq!(step(&steps, "process-recording")["ack"]["ok"], true);
    let updates = step(&steps, "finished")["updates"]
        .as_array()
        .unwrap()
        .clone();
    let failed = updates
        .iter()
        .find(|u| u["event"] == "processing-failed")
        .unwrap_or_else(|| panic!("no processing-failed update: {updates:#?}"));
    assert_eq!(failed["update"]["attempt"], 1);
    assert!(
        !failed["update"]["reason"].as_str().unwrap().is_empty(),
        "ffmpeg's reason is kept"
    );
    let events = app.stream_events(&format!("recording-{REC}")).await;
    let (_, recorded) = events
        .iter()
        .find(|(t, _)| t == "RecordingProcessingFailed")
        .expect("the failure is in the log");
    assert_eq!(recorded["reason"], failed["update"]["reason"]);

    // A failed run may be asked for again: it becomes the next attempt.
    let steps = run(&json!({
        "url": app.recording,
        "token": app.room_token(&token, &room).await,
        "recordingId": REC,
        "tracks": [],
        "process": {},
    }))
    .await;
    let retried = &step(&steps, "process-recording")["ack"];
    assert_eq!(retried["ok"], true, "{retried}");
    assert_eq!(retried["attempt"], 2);
    app.stop().await;
}
