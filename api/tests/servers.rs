//! Two server processes on one PostgreSQL database, and operator commands beside a
//! running server.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

mod support;
use support::{PASSWORD, ServerProcess, binary, post, register_and_login, serve};

/// Advisory locks a fully started cluster holds: one per projection runner and
/// one for the webhook dispatcher.
fn singletons() -> usize {
    altegon_projections::models::all().len() + 1
}

fn pg_admin_url() -> String {
    std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

async fn create_database() -> (String, String) {
    let admin = pg_admin_url();
    let name = format!("s_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    (name.clone(), format!("{base}/{name}"))
}

async fn drop_database(name: &str) {
    if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

async fn advisory_locks(name: &str) -> Vec<i32> {
    let mut conn = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
    sqlx::query_as::<_, (i32,)>(
        "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1",
    )
    .bind(name)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|(pid,)| pid)
    .collect()
}

async fn create_and_list(base: &str, token: &str, host: &str, title: &str) -> usize {
    let r = post(
        base,
        Some(token),
        "/meetings/create",
        json!({ "title": title, "hostId": host, "transcriptEnabled": false }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = reqwest::Client::new()
        .get(format!("{base}/meetings/list/{host}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .len()
}

fn pg_server(dir: &std::path::Path, url: &str) -> ServerProcess {
    let mut cmd: Command = binary(dir);
    // Small pools: tests running beside this one share the server's 100
    // connections (each process also holds one per projection for its lock).
    cmd.env("ALTEGON_EVENT_STORE", url)
        .env("ALTEGON_DATABASE_URL", url)
        .env("ALTEGON_PG_MAX_CONNECTIONS", "4")
        .env(
            "ALTEGON_JWT_SECRET",
            "a-shared-secret-of-at-least-32-characters",
        );
    serve(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_share_a_database_and_run_each_projection_once() {
    let (name, url) = create_database().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = pg_server(dir_a.path(), &url);
    let b = pg_server(dir_b.path(), &url);

    // Written through one process, read through the other, either way round.
    let (host, token) = register_and_login(&a.base, "shared@example.com").await;
    assert_eq!(create_and_list(&b.base, &token, &host, "via b").await, 1);
    assert_eq!(create_and_list(&a.base, &token, &host, "via a").await, 2);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let locks = loop {
        let locks = advisory_locks(&name).await;
        if locks.len() == singletons() || tokio::time::Instant::now() > deadline {
            break locks;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        locks.len(),
        singletons(),
        "one runner per projection and one webhook dispatcher across both processes"
    );

    // Kill whichever process runs projections: the other takes over.
    let a_pid = a.process.0.id();
    drop(a);
    let after = loop {
        let n = create_and_list(&b.base, &token, &host, "after the kill").await;
        if n >= 3 || tokio::time::Instant::now() > deadline {
            break n;
        }
    };
    assert!(after >= 3);
    let locks = loop {
        let locks = advisory_locks(&name).await;
        if locks.len() == singletons()
            || tokio::time::Instant::now() > deadline + Duration::from_secs(10)
        {
            break locks;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        locks.len(),
        singletons(),
        "the survivor holds every projection and the dispatcher (killed pid {a_pid})"
    );
    drop(b);
    drop_database(&name).await;
}

fn redis_url() -> String {
    std::env::var("ALTEGON_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Two server processes on one PostgreSQL database and one Redis (with a prefix
/// of their own), with `env` added.
fn redis_pair(
    dirs: &[tempfile::TempDir; 2],
    url: &str,
    env: &[(&str, &str)],
) -> [ServerProcess; 2] {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    dirs.each_ref().map(|dir| {
        let mut cmd = binary(dir.path());
        cmd.env("ALTEGON_EVENT_STORE", url)
            .env("ALTEGON_DATABASE_URL", url)
            .env(
                "ALTEGON_JWT_SECRET",
                "a-shared-secret-of-at-least-32-characters",
            )
            .env("ALTEGON_REDIS_URL", redis_url())
            .env("ALTEGON_REDIS_PREFIX", &prefix)
            // Parallel tests share the PostgreSQL server's connections.
            .env("ALTEGON_PG_MAX_CONNECTIONS", "4")
            .envs(env.iter().copied());
        serve(cmd)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_count_one_allowance_in_redis() {
    let (name, url) = create_database().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let [a, b] = redis_pair(
        &dirs,
        &url,
        &[
            ("ALTEGON_RATE_LIMITING", "true"),
            ("ALTEGON_RATE_LIMIT_AUTH_PER_MINUTE", "4"),
        ],
    );
    // One registration and one login (through different processes) of four.
    register_and_login(&a.base, "counted@example.com").await;
    let login = json!({ "userName": "counted@example.com", "password": PASSWORD });
    let statuses = [
        post(&b.base, None, "/auth/login", login.clone())
            .await
            .status(),
        post(&a.base, None, "/auth/login", login.clone())
            .await
            .status(),
        post(&b.base, None, "/auth/login", login.clone())
            .await
            .status(),
        post(&a.base, None, "/auth/login", login.clone())
            .await
            .status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [200, 200, 429, 429]);
    drop((a, b));
    drop_database(&name).await;
}

/// POSTs and answers the `data` of the JSON reply.
async fn data_of(base: &str, token: &str, path: &str, body: Value) -> Value {
    let r = post(base, Some(token), path, body).await;
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_share_rooms_over_redis() {
    let (name, url) = create_database().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let [a, b] = redis_pair(&dirs, &url, &[("ALTEGON_REALTIME_LEAVE_GRACE_MS", "200")]);
    let (host, host_token) = register_and_login(&a.base, "cluster-host@example.com").await;
    let (guest, guest_token) = register_and_login(&b.base, "cluster-guest@example.com").await;
    let (_, plain_token) = register_and_login(&b.base, "cluster-plain@example.com").await;
    let room = data_of(
        &a.base,
        &host_token,
        "/room/create",
        json!({ "name": "Shared", "type": "meeting", "isPrivate": false }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let meeting = data_of(
        &a.base,
        &host_token,
        "/meetings/create",
        json!({ "title": "Across", "hostId": host, "transcriptEnabled": false }),
    )
    .await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room_token = |base: String, token: String| {
        let room = room.clone();
        async move {
            data_of(&base, &token, &format!("/room/{room}/token"), json!({})).await["token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let plan = json!({
        "urls": [a.base, b.base],
        "hostToken": room_token(a.base.clone(), host_token.clone()).await,
        "guestToken": room_token(b.base.clone(), guest_token).await,
        "wsToken": room_token(b.base.clone(), plain_token).await,
        "guestId": guest,
        "meetingId": meeting,
    });
    let seen = altegon_tests::node::last_result("realtime-cluster.js", &plan).await;

    assert!(seen["hostSession"].is_string());
    assert_eq!(
        seen["guestSession"], seen["hostSession"],
        "one live session for the room, whichever process its members use"
    );
    assert_eq!(seen["guestStage"]["msg"]["stage"]["attrs"]["width"], 640);
    assert_eq!(seen["hostSawGuestJoin"], true);
    assert!(
        seen["hostViewCounts"]
            .as_array()
            .unwrap()
            .contains(&json!(2)),
        "{seen}"
    );
    let expected: Vec<String> = (0..20).map(|i| format!("from b {i}")).collect();
    assert_eq!(seen["hostChat"], json!(expected), "in the sender's order");
    assert_eq!(seen["guestChat"], json!(["from a"]));
    assert_eq!(seen["plainHeard"], 1);
    assert_eq!(seen["removedNotice"], true);
    assert_eq!(seen["guestDisconnected"], true);
    for side in ["rejoinA", "rejoinB"] {
        assert!(
            seen[side]
                .as_str()
                .is_some_and(|e| e.contains("removed from this room")),
            "{side}: {seen}"
        );
    }

    // Each chat line is in the log once, though two processes relayed it.
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let (lines,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = 'ChatMessagePosted'",
    )
    .bind(format!("chat-{meeting}"))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(lines, 21);
    drop(conn);
    drop((a, b));
    drop_database(&name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_beside_a_running_server_keeps_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(binary(dir.path()));
    let (host, token) = register_and_login(&server.base, "rebuild@example.com").await;
    for i in 0..20 {
        create_and_list(&server.base, &token, &host, &format!("m{i}")).await;
    }
    let list = || async {
        reqwest::Client::new()
            .get(format!("{}/meetings/list/{host}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let before = list().await;
    let out = binary(dir.path())
        .args(["projections", "rebuild"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("meetings: rebuilt"));
    assert_eq!(list().await, before);
    let out = binary(dir.path())
        .args(["projections", "status"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for name in ["users", "rooms", "meetings"] {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{status}"));
        assert!(line.trim_end().ends_with(" 0"), "{name} has lag: {status}");
    }
    let out = binary(dir.path())
        .args(["projections", "rebuild", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no projection named nope"));
}

async fn titles(db: &std::path::Path) -> Vec<String> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT title FROM meetings ORDER BY title")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().map(|(t,)| t).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auditors_verify_the_read_models_and_replay_them_as_they_stood() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(binary(dir.path()));
    let (host, token) = register_and_login(&server.base, "auditor@example.com").await;
    create_and_list(&server.base, &token, &host, "before").await;
    let ready: Value = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let position = ready["position"].as_u64().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let between = chrono::Utc::now().to_rfc3339();
    tokio::time::sleep(Duration::from_millis(50)).await;
    create_and_list(&server.base, &token, &host, "after").await;

    // Beside the running server: the live read models are what the log says.
    let out = binary(dir.path())
        .args(["projections", "verify"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("meetings.meetings: same"), "{stdout}");
    assert!(stdout.contains("every read model is what the log says"));

    // The read models as they stood, by position and by time, in empty databases.
    for (until, file) in [
        (position.as_str(), "by-position.db"),
        (between.as_str(), "by-time.db"),
    ] {
        let past = dir.path().join(file);
        let out = binary(dir.path())
            .args(["replay", "--until", until, "--into"])
            .arg(format!("sqlite://{}", past.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(titles(&past).await, ["before"], "until {until}");
        let again = binary(dir.path())
            .args(["replay", "--until", until, "--into"])
            .arg(format!("sqlite://{}", past.display()))
            .output()
            .unwrap();
        assert!(!again.status.success(), "a used database is refused");
        assert!(String::from_utf8_lossy(&again.stderr).contains("give an empty database"));
    }
    let out = binary(dir.path())
        .args(["replay", "--until", "yesterday", "--into", "sqlite://x.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));

    // A read model changed behind the log's back is reported.
    drop(server);
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.path().join("read-models.db").display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE meetings SET title = 'tampered' WHERE title = 'after'")
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let out = binary(dir.path())
        .args(["projections", "verify", "meetings"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "meetings.meetings: DIFFERS: 1 row(s) only in the live table, 1 only in the replay"
        ),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn administrators_are_made_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path()).args(["migrate"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = binary(dir.path())
        .args(["users", "create-admin", "--email", "root@example.com"])
        .env("ALTEGON_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = serve(binary(dir.path()));
    let (_, _) = register_and_login(&server.base, "later@example.com").await;
    let out = binary(dir.path())
        .args(["users", "grant-admin", "later@example.com"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = binary(dir.path())
        .args(["users", "grant-admin", "ghost@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    for email in ["root@example.com", "later@example.com"] {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let r = post(
                &server.base,
                None,
                "/auth/login",
                json!({ "userName": email, "password": PASSWORD }),
            )
            .await;
            let body: Value = r.json().await.unwrap();
            if body["data"]["user"]["roles"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("admin")))
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{email} never became admin: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
