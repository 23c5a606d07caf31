//! The native PostgreSQL pool for reads of many rows ([`crate::ReadDb::pg_reads`]):
//! sqlx connections pooled by deadpool.
//!
//! Not sqlx's own pool: it checks every connection with a round trip to the
//! server each time one is given back (sqlx 0.8), which for a short read costs
//! about as much as the read. Here a connection is checked only when it has sat
//! idle for [`CHECK_AFTER_IDLE`]; one whose query failed for any reason but the
//! server's answer is dropped. A read cancelled half-way leaves its connection
//! with answers still to come; sqlx reads them off before its next query.

use std::time::Duration;

use altegon_commands::pool::{ACQUIRE_TIMEOUT, CHECK_AFTER_IDLE};
use deadpool::managed::{self, Metrics, Object, PoolError, RecycleResult};
use sqlx::postgres::{PgArguments, PgConnectOptions, PgRow};
use sqlx::query::Query;
use sqlx::{Connection, PgConnection, Postgres};

use crate::ProjectionError;

/// Opens and checks the pool's connections.
#[derive(Debug)]
struct Connector {
    options: PgConnectOptions,
}

impl managed::Manager for Connector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.options).await
    }

    async fn recycle(
        &self,
        conn: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() >= CHECK_AFTER_IDLE {
            conn.ping().await?;
        }
        Ok(())
    }
}

/// A pool of up to `max_connections` connections, opened when first needed.
#[derive(Clone, Debug)]
pub struct PgReads {
    pool: managed::Pool<Connector>,
}

impl PgReads {
    /// A pool on `url`; connects nothing yet.
    pub fn new(url: &str, max_connections: u32) -> Result<Self, ProjectionError> {
        let options: PgConnectOptions = url.parse()?;
        let pool = managed::Pool::builder(Connector { options })
            .max_size(max_connections.max(1) as usize)
            .wait_timeout(Some(ACQUIRE_TIMEOUT))
            .create_timeout(Some(ACQUIRE_TIMEOUT))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| ProjectionError::Database(sqlx::Error::Configuration(e.into())))?;
        Ok(Self { pool })
    }

    /// Runs `query` and returns all its rows.
    pub async fn fetch_all(
        &self,
        query: Query<'_, Postgres, PgArguments>,
    ) -> Result<Vec<PgRow>, ProjectionError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        match query.fetch_all(&mut *conn).await {
            Ok(rows) => Ok(rows),
            Err(e) => {
                if !matches!(e, sqlx::Error::Database(_)) {
                    drop(Object::take(conn));
                }
                Err(e.into())
            }
        }
    }

    /// Closes the pool: connections are closed as they come back.
    pub fn close(&self) {
        self.pool.close();
    }
}

fn pool_error(e: PoolError<sqlx::Error>) -> ProjectionError {
    ProjectionError::Database(match e {
        PoolError::Backend(e) => e,
        PoolError::Timeout(_) => sqlx::Error::PoolTimedOut,
        PoolError::Closed => sqlx::Error::PoolClosed,
        other => sqlx::Error::Protocol(other.to_string()),
    })
}
