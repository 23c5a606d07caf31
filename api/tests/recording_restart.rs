//! A server killed while ffmpeg processes a recording finishes it after a restart:
//! the interrupted run is found in the event log and runs again as the next attempt.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use altegon_tests::recording_client::{make_webm, run, step};
use serde_json::{Value, json};

mod support;
use support::{binary, post, recording_addr, register_and_login, serve};

const REC: &str = "1756364334628_738386";

/// An ffmpeg that, on its first processing run, records its pid and hangs (so the
/// server can be killed mid-run); afterwards it is the real ffmpeg.
fn hanging_once_ffmpeg(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mark = dir.join("hung.pid");
    let script = dir.join("ffmpeg");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             if [ \"$1\" != \"-version\" ] && [ ! -e '{mark}' ]; then echo $$ > '{mark}'; exec sleep 600; fi\n\
             exec ffmpeg \"$@\"\n",
            mark = mark.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, mark)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processing_interrupted_by_a_kill_completes_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let tools = tempfile::tempdir().unwrap();
    let (ffmpeg, mark) = hanging_once_ffmpeg(tools.path());
    let server_cmd = || {
        let mut cmd = binary(data.path());
        cmd.env("ALTEGON_FFMPEG_PATH", &ffmpeg).env(
            "ALTEGON_JWT_SECRET",
            "a-shared-secret-of-at-least-32-characters",
        );
        cmd
    };
    let first = serve(server_cmd());
    let recording = recording_addr(&first);
    let base = first.base.clone();
    let (user, token) = register_and_login(&base, "host@altegon.com").await;
    let r = post(
        &base,
        Some(&token),
        "/room/create",
        json!({ "name": "Room", "type": "meeting", "isPrivate": false }),
    )
    .await;
    let room = r.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post(
        &base,
        Some(&token),
        "/recording/start",
        json!({ "roomId": room, "userName": "Host", "streamId": "1", "recordingId": REC,
                "startTime": 1756364334634u64, "videoType": "video", "status": "pending" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(
        &base,
        Some(&token),
        &format!("/room/{room}/token"),
        json!({}),
    )
    .await;
    let room_token = r.json::<Value>().await.unwrap()["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cam = tools.path().join("cam.webm");
    let screen = tools.path().join("screen.webm");
    make_webm(&cam, 640, 360, 4, true).await;
    make_webm(&screen, 320, 240, 4, true).await;

    let steps = run(&json!({
        "url": recording,
        "token": room_token,
        "recordingId": REC,
        "tracks": [{ "videoId": "cam", "file": cam }, { "videoId": "screen", "file": screen }],
        "process": { "width": 640, "height": 360 },
    }))
    .await;
    assert_eq!(step(&steps, "process-recording")["ack"]["ok"], true);

    // Kill the server while its ffmpeg run hangs.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !mark.exists() {
        assert!(std::time::Instant::now() < deadline, "ffmpeg never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(first);
    let hung = std::fs::read_to_string(&mark).unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-9", hung.trim()])
        .status();

    // The restarted server picks the run up again and stores the MP4.
    let second = serve(server_cmd());
    let info_url = format!("{}/recordings/user/{user}/storage-info", second.base);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let listed = loop {
        let info: Value = reqwest::Client::new()
            .get(&info_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(file) = info["data"]["recordings"].get(0) {
            break file.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the interrupted recording was never stored: {info}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(listed["fileName"], format!("{REC}.mp4"));
    assert!(listed["fileSize"].as_u64().unwrap() > 0);
    drop(second);

    // The log tells the story: the first run, then a resumed second one that finished.
    let out = binary(data.path())
        .args(["events", "export"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &Value| e["streamId"] == format!("recording-{REC}"))
        .collect();
    let of_type = |t: &str| -> Vec<&Value> { events.iter().filter(|e| e["type"] == t).collect() };
    let starts = of_type("RecordingProcessingStarted");
    assert_eq!(starts.len(), 2, "{events:#?}");
    assert_eq!(starts[1]["data"]["attempt"], 2);
    assert_eq!(starts[1]["data"]["resumed"], true);
    let processed = of_type("RecordingProcessed");
    assert_eq!(processed.len(), 1);
    assert_eq!(processed[0]["data"]["attempt"], 2);
    assert_eq!(processed[0]["data"]["size"], listed["fileSize"]);
}
