//! The read-model database: PostgreSQL or SQLite behind one `AnyPool`. Queries are
//! written once in the SQL both accept (`$1` placeholders, `BIGINT`, `TEXT`,
//! `ON CONFLICT`); booleans are stored as 0/1 and times as RFC 3339 text.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyConnection, AnyPool, Executor};
use tokio::sync::watch;

use crate::ProjectionError;

/// Which SQL the database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// A pool on the read-model database.
#[derive(Clone, Debug)]
pub struct ReadDb {
    pool: AnyPool,
    dialect: Dialect,
}

impl ReadDb {
    /// Connects to `url` (`postgres://…` or `sqlite://PATH`), creating a SQLite file when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, ProjectionError> {
        install_default_drivers();
        let (dialect, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_owned())
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| ProjectionError::Database(e.into()))?;
            }
            let sep = if url.contains('?') { '&' } else { '?' };
            let url = if url.contains("mode=") {
                url.to_owned()
            } else {
                format!("{url}{sep}mode=rwc")
            };
            (Dialect::Sqlite, url)
        } else {
            return Err(ProjectionError::UnsupportedUrl);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool, dialect })
    }

    /// Runs the read side's migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), ProjectionError> {
        match self.dialect {
            Dialect::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
            Dialect::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which SQL it speaks.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The statement that opens a write transaction: on SQLite it takes the write
    /// lock at once, since a transaction that reads first and writes later fails
    /// (rather than waits) when another writer committed in between.
    pub fn begin_write(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "BEGIN",
            Dialect::Sqlite => "BEGIN IMMEDIATE",
        }
    }

    /// Waits until this process holds the PostgreSQL advisory lock named `key`,
    /// trying again every `retry`, so that of several server processes on one
    /// database only one runs a singleton worker. The lock lives on a connection
    /// taken out of the pool, so dropping it closes the session and releases the
    /// lock (a pooled connection would keep it while idle). `Some(None)` on SQLite,
    /// whose file belongs to one process; `None` when shut down while waiting.
    pub async fn hold_advisory_lock(
        &self,
        key: &str,
        retry: Duration,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Option<Option<AnyConnection>>, sqlx::Error> {
        if self.dialect == Dialect::Sqlite {
            return Ok(Some(None));
        }
        let mut conn = self.pool.acquire().await?.detach();
        loop {
            let (locked,): (bool,) =
                sqlx::query_as("SELECT pg_try_advisory_lock(hashtext($1)::BIGINT)")
                    .bind(key)
                    .fetch_one(&mut conn)
                    .await?;
            if locked {
                return Ok(Some(Some(conn)));
            }
            if sleep_or_stop(retry, shutdown).await {
                return Ok(None);
            }
        }
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Sleeps for `duration` unless shutdown comes first; true when shutting down.
pub async fn sleep_or_stop(duration: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(duration) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}
