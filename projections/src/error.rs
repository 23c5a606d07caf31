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
    /// The stored read model was built by another version of the projection.
    #[error("{name} is at version {stored} and this binary's is {code}: rebuild it first")]
    VersionMismatch {
        /// The projection.
        name: &'static str,
        /// The version its tables were built by.
        stored: u32,
        /// This binary's version.
        code: u32,
    },
    /// A replay's target database already holds the read model.
    #[error("the target database already holds the {0} read model; give an empty database")]
    TargetNotEmpty(&'static str),
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
