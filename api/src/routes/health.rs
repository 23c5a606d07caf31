//! Liveness and readiness for orchestrators: `/healthz` answers while the process
//! runs; `/readyz` also checks that the event log answers.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::contracts::openapi::bodies;
use crate::state::AppState;

/// Longest a readiness check waits for the event log.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `/healthz` and `/readyz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The process runs.", body = inline(bodies::health::Liveness)),
    ),
)]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the event log answers
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Ready.", body = inline(bodies::health::Readiness)),
        (status = 503, description = "The event log does not answer within 2 s."),
    ),
)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let backend = state.store.backend();
    match tokio::time::timeout(READY_TIMEOUT, state.store.head_position()).await {
        Ok(Ok(position)) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "eventStore": backend, "position": position })),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            unavailable(backend)
        }
        Err(_) => unavailable(backend),
    }
}

fn unavailable(backend: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "eventStore": backend })),
    )
}
