//! The `altegon-meet` binary as operators run it: serving on the embedded default,
//! refusing bad configuration, exporting and tailing the log, auditing it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use altegon_commands::store::sqlite::SqliteEventStore;
use altegon_commands::store::{EventStore, ExpectedVersion, NewEvent};
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

mod support;
use support::{Killed, binary};

/// Appends `count` events to each of two streams of the embedded log in `dir`.
async fn seed(dir: &std::path::Path, count: u64) {
    let store = SqliteEventStore::open(&dir.join("events.db"))
        .await
        .unwrap();
    for stream in ["meeting-a", "room-b"] {
        for n in 0..count {
            let event = NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "Tested".into(),
                schema_version: 1,
                data: json!({ "n": n }),
                metadata: json!({ "actorId": "seed" }),
            };
            store
                .append_to_stream(stream, ExpectedVersion::Any, vec![event])
                .await
                .unwrap();
        }
    }
    store.close().await;
}

#[tokio::test]
async fn serve_starts_on_the_embedded_default_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = binary(dir.path())
        .env("ALTEGON_LISTEN", "127.0.0.1:0")
        .env("ALTEGON_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut guard = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut addr = None;
    let mut warned_about_secret = false;
    while addr.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server logs its address");
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let message = entry["fields"]["message"].as_str().unwrap_or_default();
        warned_about_secret |= message.contains("ALTEGON_JWT_SECRET");
        if message == "listening" {
            addr = entry["fields"]["addr"].as_str().map(str::to_owned);
        }
    }
    assert!(warned_about_secret, "a generated secret is announced");
    let secret = std::fs::read_to_string(dir.path().join("jwt-secret")).unwrap();
    let base = format!("http://{}", addr.unwrap());
    let ready: Value = reqwest::get(format!("{base}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["eventStore"], "sqlite");
    assert!(dir.path().join("events.db").exists());

    let pid = guard.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = guard.0.wait().unwrap();
    assert!(status.success(), "graceful exit, got {status}");
    // The secret never appears in the logs.
    let logs: Vec<String> = rx.try_iter().collect();
    assert!(logs.iter().all(|l| !l.contains(secret.trim())));
}

#[test]
fn a_bad_configuration_value_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path())
        .env("ALTEGON_LISTEN", "nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("listen") && stderr.contains("ALTEGON_LISTEN"),
        "{stderr}"
    );

    let out = binary(dir.path())
        .env("ALTEGON_EVENT_STORE", "mongodb://x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ALTEGON_EVENT_STORE"));
}

#[tokio::test]
async fn events_export_writes_one_json_line_per_event() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), 1500).await;
    let out = binary(dir.path())
        .args(["events", "export"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3000);
    assert_eq!(lines[0]["streamId"], "meeting-a");
    assert_eq!(lines[0]["streamVersion"], 0);
    assert_eq!(lines[0]["data"], json!({ "n": 0 }));
    assert_eq!(lines[0]["metadata"]["actorId"], "seed");
    assert_eq!(lines[0]["hash"].as_str().unwrap().len(), 64);
    let after = lines[2499]["position"].as_u64().unwrap();

    let file = dir.path().join("tail.ndjson");
    let out = binary(dir.path())
        .args([
            "events",
            "export",
            "--after",
            &after.to_string(),
            "--output",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 500);

    // A time window: everything was recorded after 2000 and before 2100.
    let count = |args: &[&str]| {
        let out = binary(dir.path())
            .args(["events", "export"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().lines().count()
    };
    assert_eq!(
        count(&[
            "--from",
            "2000-01-01T00:00:00Z",
            "--until",
            "2100-01-01T00:00:00Z"
        ]),
        3000
    );
    assert_eq!(count(&["--until", "2000-01-01T00:00:00Z"]), 0);
    assert_eq!(count(&["--from", "2100-01-01T00:00:00Z"]), 0);
    let bad = binary(dir.path())
        .args(["events", "export", "--from", "yesterday"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn events_tail_follows_new_appends() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), 2).await;
    let mut child = binary(dir.path())
        .args([
            "events",
            "tail",
            "--after",
            "0",
            "--stream-prefix",
            "meeting-",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = || -> Value {
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(30)).expect("a line")).unwrap()
    };
    assert_eq!(next()["streamVersion"], 0);
    assert_eq!(next()["streamVersion"], 1);
    seed(dir.path(), 1).await;
    let live = next();
    assert_eq!(live["streamId"], "meeting-a");
    assert_eq!(live["streamVersion"], 2);
}

#[tokio::test]
async fn audit_verify_reports_a_changed_and_a_removed_event() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), 5).await;
    let out = binary(dir.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("10 events in 2 streams checked, 0 problem(s) found"),
        "{stdout}"
    );

    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE events SET data = '{\"n\":42}' WHERE stream_id = 'meeting-a' AND stream_version = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM events WHERE stream_id = 'room-b' AND stream_version = 3")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let out = binary(dir.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("meeting-a version 2: content does not match its hash"),
        "{stdout}"
    );
    assert!(stdout.contains("room-b version 3: missing"), "{stdout}");
    assert!(stdout.contains("2 problem(s) found"), "{stdout}");
}

#[tokio::test]
async fn storage_sweep_removes_only_unrecorded_blobs() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = support::serve(binary(dir.path()));
        let base = server.base.clone();
        let http = reqwest::Client::new();
        let body: Value = http
            .post(format!("{base}/auth/register"))
            .json(&json!({ "email": "o@example.com", "fName": "O", "lName": "W", "phoneNumber": "1", "country": "PK", "password": "AB1239001" }))
            .send().await.unwrap().json().await.unwrap();
        let user = body["data"]["user"]["_id"].as_str().unwrap().to_owned();
        let body: Value = http
            .post(format!("{base}/auth/login"))
            .json(&json!({ "userName": "o@example.com", "password": "AB1239001" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = body["data"]["token"].as_str().unwrap().to_owned();
        let body: Value = http
            .post(format!("{base}/room/create"))
            .bearer_auth(&token)
            .json(&json!({ "name": "R", "type": "meeting" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let room = body["data"]["id"].as_str().unwrap().to_owned();
        let r = http
            .post(format!("{base}/recording/start"))
            .bearer_auth(&token)
            .json(&json!({ "roomId": room, "userName": "O", "streamId": "1", "recordingId": "1_1", "startTime": 0, "videoType": "video", "status": "pending" }))
            .send().await.unwrap();
        assert_eq!(r.status(), 201);
        let part = reqwest::multipart::Part::bytes(vec![1u8; 100]).file_name("kept.mp4");
        let r = http
            .post(format!(
                "{base}/recordings/user/{user}/room/{room}/recording/1_1/upload-to-blob"
            ))
            .bearer_auth(&token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let blobs = dir.path().join("blobs");
    let orphan = blobs.join("recordings/u/r/1_1/x/orphan.mp4");
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"left behind").unwrap();
    let count_files = || {
        fn walk(d: &std::path::Path) -> usize {
            std::fs::read_dir(d).map_or(0, |es| {
                es.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
        }
        walk(&blobs)
    };
    assert_eq!(count_files(), 2);

    let out = binary(dir.path())
        .args(["storage", "sweep", "--dry-run", "--grace-secs", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("would remove recordings/u/r/1_1/x/orphan.mp4"),
        "{stdout}"
    );
    assert!(stdout.contains("2 blobs scanned, 1 recorded"), "{stdout}");
    assert_eq!(count_files(), 2);

    // Within the grace period nothing is touched.
    let out = binary(dir.path())
        .args(["storage", "sweep"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(count_files(), 2);

    let out = binary(dir.path())
        .args(["storage", "sweep", "--grace-secs", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("removed 1 orphan(s), 11 bytes")
    );
    assert!(!orphan.exists());
    assert_eq!(count_files(), 1, "the recorded file stays");
}
