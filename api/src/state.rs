//! What every request handler can reach.

use std::sync::Arc;

use altegon_commands::CommandBus;
use altegon_commands::store::SharedEventStore;

use crate::config::Config;

/// Shared, cheaply cloned application state.
#[derive(Clone)]
pub struct AppState {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// The event log.
    pub store: SharedEventStore,
    /// Runs commands against the log.
    pub bus: CommandBus,
}
