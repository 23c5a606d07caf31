//! Why projecting or querying failed.

use altegon_commands::CommandError;
use altegon_commands::store::StoreError;

/// A failure of the read side.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The read-model database failed.
    #[error("read model database: {0}")]
    Database(#[from] sqlx::Error),
    /// Its migrations failed.
    #[error("read model migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The event log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be read back.
    #[error("event cannot be projected: {0}")]
    Decode(String),
    /// The database URL names no supported database.
    #[error("read model database URL must start with postgres:// or sqlite://")]
    UnsupportedUrl,
    /// No projection has this name.
    #[error("no projection named {0}")]
    UnknownProjection(String),
    /// Projections did not reach a position in time.
    #[error("read models have not reached position {position} yet")]
    NotYetVisible {
        /// The position waited for.
        position: u64,
    },
}

impl From<CommandError> for ProjectionError {
    fn from(e: CommandError) -> Self {
        ProjectionError::Decode(e.to_string())
    }
}
