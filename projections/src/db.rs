//! The read-model database: PostgreSQL or SQLite behind one `AnyPool`. Queries are
//! written once in the SQL both accept (`$1` placeholders, `BIGINT`, `TEXT`,
//! `ON CONFLICT`); booleans are stored as 0/1 and times as RFC 3339 text.
//!
//! On PostgreSQL, reads that return many rows may also go through a native pool
//! ([`ReadDb::pg_reads`]): `Any` copies every value of every row into its own
//! form before it is decoded, which costs as much as the rest of such a request.

use std::time::Duration;

use sqlx::any::{AnyRow, install_default_drivers};
use sqlx::postgres::PgRow;
use sqlx::{Any, AnyConnection, AnyPool, Executor, FromRow};
use tokio::sync::watch;

use crate::ProjectionError;
use crate::pg_reads::PgReads;

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
    /// On PostgreSQL: the native pool for reads of many rows; it opens its
    /// connections when first used.
    pg: Option<PgReads>,
    dialect: Dialect,
}

/// The rows of a read, from whichever pool ran it; decoded with [`Rows::decode`]
/// into owned rows or into rows that borrow their text from these.
pub enum Rows {
    /// Read through the native PostgreSQL pool.
    Pg(Vec<PgRow>),
    /// Read through the `Any` pool.
    Any(Vec<AnyRow>),
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (pool, n) = match self {
            Rows::Pg(rows) => ("pg", rows.len()),
            Rows::Any(rows) => ("any", rows.len()),
        };
        write!(f, "Rows({pool}, {n} rows)")
    }
}

impl Rows {
    /// Decodes every row as `T`.
    pub fn decode<'r, T>(&'r self) -> Result<Vec<T>, ProjectionError>
    where
        T: FromRow<'r, PgRow> + FromRow<'r, AnyRow>,
    {
        let decoded: Result<Vec<T>, sqlx::Error> = match self {
            Rows::Pg(rows) => rows
                .iter()
                .map(<T as FromRow<'r, PgRow>>::from_row)
                .collect(),
            Rows::Any(rows) => rows
                .iter()
                .map(<T as FromRow<'r, AnyRow>>::from_row)
                .collect(),
        };
        Ok(decoded?)
    }
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
        let pool = altegon_commands::pool::pool_options::<Any>(max_connections)
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
        let pg = match dialect {
            Dialect::Postgres => Some(PgReads::new(&url, max_connections)?),
            Dialect::Sqlite => None,
        };
        Ok(Self { pool, pg, dialect })
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

    /// The native pool for reads of many rows, on PostgreSQL.
    pub fn pg_reads(&self) -> Option<&PgReads> {
        self.pg.as_ref()
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

    /// Closes the pools.
    pub async fn close(&self) {
        if let Some(pg) = &self.pg {
            pg.close();
        }
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
