//! Opens the configured event log backend.

use std::sync::Arc;

use altegon_commands::store::SharedEventStore;
use altegon_commands::store::kurrent::KurrentEventStore;
use altegon_commands::store::postgres::PostgresEventStore;
use altegon_commands::store::sqlite::SqliteEventStore;

use crate::config::{Config, EventStoreKind};

/// Opens the event store named by `config`, creating its schema when missing.
pub async fn open_event_store(config: &Config) -> anyhow::Result<SharedEventStore> {
    let store: SharedEventStore = match config.event_store_kind()? {
        EventStoreKind::Sqlite => {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| {
                anyhow::anyhow!("cannot create data dir {}: {e}", config.data_dir.display())
            })?;
            Arc::new(SqliteEventStore::open(&config.sqlite_event_log()).await?)
        }
        EventStoreKind::Postgres(url) => {
            Arc::new(PostgresEventStore::connect(&url, config.pg_max_connections).await?)
        }
        EventStoreKind::Kurrent(url) => Arc::new(KurrentEventStore::connect(&url).await?),
    };
    Ok(store)
}
