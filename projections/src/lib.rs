//! The read side. Each [`Projection`] turns events of the log into rows of SQL read
//! models (users, rooms, meetings, ...), in PostgreSQL or SQLite. The
//! [`ProjectionEngine`] runs one runner per projection: a catch-up subscription from
//! the projection's checkpoint whose batches are applied in one transaction together
//! with the new checkpoint, so every event lands exactly once, also across crashes.
//!
//! The engine also serves read-your-writes ([`ProjectionEngine::wait_for`]),
//! rebuilds into fresh tables swapped in atomically, and status for operators.
#![warn(missing_docs)]

pub mod db;
pub mod engine;
pub mod error;
pub mod models;
pub mod pg_reads;
pub mod projection;
mod rebuild;
mod schema;
mod sql;
mod verify;

pub use db::{Dialect, ReadDb, Rows, sleep_or_stop};
pub use engine::{ProjectionEngine, ProjectionStatus, RebuildProgress};
pub use error::ProjectionError;
pub use projection::{Applied, Projection, TableDef, Target};
pub use rebuild::Until;
pub use sql::ROWS_PER_STATEMENT as MAX_KEYS_PER_QUERY;
pub use verify::{TableDiff, Verification};

/// Formats a time as the reference API does: RFC 3339, milliseconds, `Z`.
pub fn api_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
