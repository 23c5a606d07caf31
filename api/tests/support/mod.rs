//! Running the `altegon-meet` binary as operators do.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::{Value, json};

/// The password test users get.
pub const PASSWORD: &str = "AB1239001";

/// The binary with a clean environment and the given data dir.
pub fn binary(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_altegon-meet"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ALTEGON_DATA_DIR", data_dir)
        .env("ALTEGON_RECORDING_LISTEN", "127.0.0.1:0")
        // Tests sign many accounts in from one address; the limits have their own tests.
        .env("ALTEGON_RATE_LIMITING", "false")
        .env("RUST_LOG", "info");
    cmd
}

/// A child process killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server process and what it logged.
pub struct ServerProcess {
    pub base: String,
    pub process: Killed,
    pub logs: Receiver<String>,
}

/// Starts `serve` on port 0 with JSON logs and waits for its address.
pub fn serve(mut cmd: Command) -> ServerProcess {
    let mut child = cmd
        .env("ALTEGON_LISTEN", "127.0.0.1:0")
        .env("ALTEGON_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let stderr = child.stderr.take().expect("stderr");
    let process = Killed(child);
    let (tx, logs) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut kept = Vec::new();
    loop {
        let line = logs
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("server never logged its address; logs: {kept:#?}"));
        let entry: Value = serde_json::from_str(&line).unwrap_or_default();
        if entry["fields"]["message"] == "listening" {
            let addr = entry["fields"]["addr"].as_str().expect("addr").to_owned();
            let (tx, rest) = std::sync::mpsc::channel();
            for line in kept {
                let _ = tx.send(line);
            }
            std::thread::spawn(move || {
                for line in logs.iter() {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            return ServerProcess {
                base: format!("http://{addr}"),
                process,
                logs: rest,
            };
        }
        kept.push(line);
    }
}

/// POSTs JSON, with a bearer token when given.
pub async fn post(base: &str, token: Option<&str>, path: &str, body: Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Registers and logs in `email`; returns the user id and an access token.
pub async fn register_and_login(base: &str, email: &str) -> (String, String) {
    let r = post(
        base,
        None,
        "/auth/register",
        json!({ "email": email, "fName": "A", "lName": "B", "phoneNumber": "1", "country": "PK", "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["data"]["user"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post(
        base,
        None,
        "/auth/login",
        json!({ "userName": email, "password": PASSWORD }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, token)
}

/// The address a server process logged for its recording server.
pub fn recording_addr(server: &ServerProcess) -> String {
    loop {
        let line = server
            .logs
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logged its recording server's address");
        let entry: Value = serde_json::from_str(&line).unwrap_or_default();
        if entry["fields"]["message"] == "recording server listening" {
            let addr = entry["fields"]["addr"].as_str().expect("addr");
            return format!("http://{addr}");
        }
    }
}
