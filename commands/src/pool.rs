//! Connection-pool settings shared by every pool on a database server: the
//! event store's and the read models'.

use std::time::Duration;

use sqlx::Connection;
use sqlx::pool::PoolOptions;

/// How long a connection may sit idle before it is checked on its way out of the
/// pool: one unused that long may have been closed by the server or a proxy.
pub const CHECK_AFTER_IDLE: Duration = Duration::from_secs(30);

/// How long an acquire waits for a free connection.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A pool of at most `max_connections`. Checking every connection on every
/// acquire (sqlx's default) costs a round trip per query, as much as the query
/// itself for short reads; connections in steady use are not checked. A broken
/// connection that slips through fails its query and is dropped from the pool.
pub fn pool_options<DB: sqlx::Database>(max_connections: u32) -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|conn: &mut DB::Connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
