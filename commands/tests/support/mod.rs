//! Opening each backend fresh for a test, and reopening it on the same storage.

use std::sync::Arc;

use altegon_commands::store::SharedEventStore;
use altegon_commands::store::kurrent::KurrentEventStore;
use altegon_commands::store::postgres::PostgresEventStore;
use altegon_commands::store::sqlite::SqliteEventStore;
use sqlx::Connection;
use uuid::Uuid;

/// Waits until the whole log up to `position` is readable. On PostgreSQL the log
/// is readable only below the oldest running write transaction of the server, so a
/// fresh append can take a moment to show while other tests write.
#[allow(dead_code)]
pub async fn wait_for_position(store: &SharedEventStore, position: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while store.head_position().await.expect("head position") < position {
        assert!(
            tokio::time::Instant::now() < deadline,
            "position {position} never became readable"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The PostgreSQL server tests create their databases on.
pub fn pg_admin_url() -> String {
    std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database made for one test.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let admin = pg_admin_url();
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Self {
            url: format!("{base}/{name}"),
            name,
        }
    }

    pub async fn drop_database(&self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

#[allow(dead_code)]
pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
    Kurrent(String),
}

impl Backend {
    pub fn sqlite() -> Self {
        Backend::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    pub async fn postgres() -> Self {
        Backend::Postgres(PgDatabase::create().await)
    }

    #[allow(dead_code)]
    pub fn kurrent() -> Option<Self> {
        std::env::var("KURRENTDB_URL").ok().map(Backend::Kurrent)
    }

    /// Opens the store on this backend's storage (again, after a close).
    pub async fn open(&self) -> SharedEventStore {
        match self {
            Backend::Sqlite(dir) => Arc::new(
                SqliteEventStore::open(&dir.path().join("events.db"))
                    .await
                    .expect("open sqlite"),
            ),
            Backend::Postgres(db) => Arc::new(
                PostgresEventStore::connect(&db.url, 16)
                    .await
                    .expect("open postgres"),
            ),
            Backend::Kurrent(url) => Arc::new(
                KurrentEventStore::connect(url)
                    .await
                    .expect("connect kurrentdb"),
            ),
        }
    }

    /// Runs raw SQL on the backend's storage (SQL backends only).
    #[allow(dead_code)]
    pub async fn execute(&self, sql: &str) {
        match self {
            Backend::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("events.db").display());
                let mut conn = sqlx::SqliteConnection::connect(&url)
                    .await
                    .expect("open sqlite");
                sqlx::raw_sql(sql)
                    .execute(&mut conn)
                    .await
                    .expect("run sql");
            }
            Backend::Postgres(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
                sqlx::raw_sql(sql)
                    .execute(&mut conn)
                    .await
                    .expect("run sql");
            }
            Backend::Kurrent(_) => panic!("no SQL on KurrentDB"),
        }
    }

    pub async fn cleanup(self, store: SharedEventStore) {
        store.close().await;
        if let Backend::Postgres(db) = self {
            db.drop_database().await;
        }
    }
}
