//! `TestApp`: the real server on port 0 with a fresh database, and request helpers.

use altegon_api::config::Config;
use altegon_api::server::Server;
use serde_json::{Value, json};
use sqlx::Connection;

/// The password every test user gets.
pub const PASSWORD: &str = "AB1239001";

/// A valid registration body for `email`.
pub fn registration(email: &str) -> Value {
    json!({
        "email": email,
        "fName": "Haseeb",
        "lName": "Asif",
        "phoneNumber": "923085000453",
        "country": "Pakistan",
        "password": PASSWORD,
    })
}

/// Which event log a test app uses.
#[derive(Debug, Clone, Copy)]
pub enum Log {
    Sqlite,
    Postgres,
}

/// A running server with its own storage.
pub struct TestApp {
    pub base: String,
    /// The recording server's base URL.
    pub recording: String,
    pub client: reqwest::Client,
    server: Option<Server>,
    config: Config,
    _data_dir: tempfile::TempDir,
    pg_database: Option<String>,
    log: Log,
}

fn pg_admin_url() -> String {
    std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn recording_url(server: &Server) -> String {
    server
        .recording_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_default()
}

impl TestApp {
    pub async fn start(log: Log) -> Self {
        Self::start_with(log, |_| {}).await
    }

    /// Starts with `adjust` applied to the configuration first.
    pub async fn start_with(log: Log, adjust: impl FnOnce(&mut Config)) -> Self {
        altegon_api::install_crypto_provider();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            recording_listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: data_dir.path().to_path_buf(),
            // Tests sign many accounts in from one address; limits have their own test.
            rate_limiting: false,
            ..Config::default()
        };
        let mut pg_database = None;
        if let Log::Postgres = log {
            let admin = pg_admin_url();
            let name = format!("e2e_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create db");
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(b, _)| b)
                .to_owned();
            config.event_store = format!("{base}/{name}");
            config.database_url = Some(format!("{base}/{name}"));
            pg_database = Some(name);
        }
        adjust(&mut config);
        let server = Server::start(config.clone()).await.expect("server starts");
        Self {
            base: format!("http://{}", server.addr()),
            recording: recording_url(&server),
            client: reqwest::Client::new(),
            server: Some(server),
            config,
            _data_dir: data_dir,
            pg_database,
            log,
        }
    }

    /// Stops the server gracefully and starts it again on the same storage.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("server stops");
        }
        let server = Server::start(self.config.clone())
            .await
            .expect("server restarts");
        self.base = format!("http://{}", server.addr());
        self.recording = recording_url(&server);
        self.server = Some(server);
    }

    /// Stops the server, runs `seed` with a command bus on its event log, and starts
    /// the server again (its projections then catch up). For histories a client
    /// cannot make, such as sessions on past days.
    #[allow(dead_code)]
    pub async fn seed_log<F>(&mut self, seed: F)
    where
        F: AsyncFnOnce(&altegon_commands::CommandBus),
    {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("server stops");
        }
        let store = altegon_api::stores::open_event_store(&self.config)
            .await
            .expect("open the log");
        seed(&altegon_commands::CommandBus::new(store.clone())).await;
        store.close().await;
        self.restart().await;
        self.wait_for_projections().await;
    }

    /// Waits until every projection has caught up with the log (lag 0 in `/metrics`).
    #[allow(dead_code)]
    pub async fn wait_for_projections(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let text = self.get("/metrics").await.text().await.expect("metrics");
            let lags: Vec<f64> = text
                .lines()
                .filter(|l| l.starts_with("altegon_projection_lag_events{"))
                .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
                .collect();
            if !lags.is_empty() && lags.iter().all(|l| *l == 0.0) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "projections did not catch up: {lags:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put_as(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.client
            .put(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .delete(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Sends `bytes` as the multipart part `file` named `file_name`.
    pub async fn upload_as(
        &self,
        token: &str,
        path: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// Creates a room owned by the token's user; returns its id.
    pub async fn room(&self, token: &str, private: bool) -> String {
        let r = self
            .post_as(
                token,
                "/room/create",
                json!({ "name": "Room", "type": "meeting", "isPrivate": private }),
            )
            .await;
        assert_eq!(r.status(), 201, "create room");
        let body: Value = r.json().await.expect("json");
        body["data"]["id"].as_str().expect("id").to_owned()
    }

    /// Starts recording `recording_id` in `room`.
    pub async fn start_recording(&self, token: &str, room: &str, recording_id: &str) -> Value {
        let r = self
            .post_as(
                token,
                "/recording/start",
                json!({
                    "roomId": room,
                    "userName": "Haseeb Asif",
                    "streamId": 755961800257348400u64,
                    "recordingId": recording_id,
                    "startTime": 1756364334634u64,
                    "videoType": "video",
                    "status": "pending",
                }),
            )
            .await;
        assert_eq!(r.status(), 201, "start recording");
        r.json().await.expect("json")
    }

    /// A room token of the room's owner (with the record grant).
    #[allow(dead_code)]
    pub async fn room_token(&self, token: &str, room: &str) -> String {
        let r = self
            .post_as(token, &format!("/room/{room}/token"), json!({}))
            .await;
        assert_eq!(r.status(), 201, "room token");
        let body: Value = r.json().await.expect("json");
        body["data"]["token"].as_str().expect("token").to_owned()
    }

    /// The events of one stream, as `(type, data)`.
    #[allow(dead_code)]
    pub async fn stream_events(&self, stream: &str) -> Vec<(String, Value)> {
        use altegon_commands::store::{ReadDirection, StreamFrom};
        let store = altegon_api::stores::open_event_store(&self.config)
            .await
            .expect("open the log");
        let events = store
            .read_stream(stream, ReadDirection::Forwards, StreamFrom::Edge, 100_000)
            .await
            .expect("read stream");
        store.close().await;
        events
            .into_iter()
            .map(|e| {
                (
                    e.event_type,
                    serde_json::from_str(&e.data).expect("event json"),
                )
            })
            .collect()
    }

    /// Registers a user with `email`; returns their id.
    pub async fn register(&self, email: &str) -> String {
        let r = self.post("/auth/register", registration(email)).await;
        assert_eq!(r.status(), 201, "register {email}");
        let body: Value = r.json().await.expect("json");
        body["data"]["user"]["_id"].as_str().expect("id").to_owned()
    }

    /// Logs in; returns the token.
    pub async fn login(&self, email: &str) -> String {
        let r = self
            .post(
                "/auth/login",
                json!({ "userName": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(r.status(), 200, "login {email}");
        let body: Value = r.json().await.expect("json");
        body["data"]["token"].as_str().expect("token").to_owned()
    }

    /// Registers and logs in; returns (id, token).
    pub async fn user(&self, email: &str) -> (String, String) {
        let id = self.register(email).await;
        (id, self.login(email).await)
    }

    /// Creates an administrator through the command line's code path on the same
    /// log, then logs in once the server's read model has it.
    pub async fn admin(&self, email: &str) -> (String, String) {
        let store = altegon_api::stores::open_event_store(&self.config)
            .await
            .expect("store");
        let bus = altegon_commands::CommandBus::new(store.clone());
        let request = altegon_commands::handlers::users::RegisterUser {
            email: email.into(),
            f_name: "Ada".into(),
            l_name: "Admin".into(),
            phone_number: "0".into(),
            country: "PK".into(),
            password: PASSWORD.into(),
            role: altegon_domain::events::Role::Admin,
        };
        let ctx = altegon_commands::CommandContext::new(altegon_commands::Actor::system());
        let registered = altegon_commands::handlers::users::register_user(&bus, &ctx, request)
            .await
            .expect("admin registered");
        store.close().await;
        for _ in 0..200 {
            let r = self
                .post(
                    "/auth/login",
                    json!({ "userName": email, "password": PASSWORD }),
                )
                .await;
            if r.status() == 200 {
                let body: Value = r.json().await.expect("json");
                return (
                    registered.user_id.to_string(),
                    body["data"]["token"].as_str().expect("token").to_owned(),
                );
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the admin never became visible");
    }

    #[allow(dead_code)]
    pub fn log(&self) -> Log {
        self.log
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("server stops");
        }
        if let Some(name) = self.pg_database.take()
            && let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}
