//! `/healthz` and `/readyz`.

use utoipa::ToSchema;

use crate::contracts::openapi::keywords;

#[derive(ToSchema)]
pub(crate) struct Liveness {
    #[schema(required = false, schema_with = keywords::ok)]
    status: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct Readiness {
    #[schema(required = false)]
    status: String,
    #[schema(required = false, inline)]
    event_store: EventStore,
    #[schema(required = false)]
    position: u64,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum EventStore {
    Sqlite,
    Postgres,
    Kurrentdb,
}
