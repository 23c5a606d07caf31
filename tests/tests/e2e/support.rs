//! `TestApp`: the real server on port 0 with a fresh database, and request helpers.

use altegon_api::config::Config;
use altegon_api::server::Server;
use sqlx::Connection;

/// Which event log a test app uses.
#[derive(Debug, Clone, Copy)]
pub enum Log {
    Sqlite,
    Postgres,
}

/// A running server with its own storage.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    server: Option<Server>,
    config: Config,
    _data_dir: tempfile::TempDir,
    pg_database: Option<String>,
}

fn pg_admin_url() -> String {
    std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestApp {
    pub async fn start(log: Log) -> Self {
        altegon_api::install_crypto_provider();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: data_dir.path().to_path_buf(),
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
            pg_database = Some(name);
        }
        let server = Server::start(config.clone()).await.expect("server starts");
        Self {
            base: format!("http://{}", server.addr()),
            client: reqwest::Client::new(),
            server: Some(server),
            config,
            _data_dir: data_dir,
            pg_database,
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
        self.server = Some(server);
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
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
