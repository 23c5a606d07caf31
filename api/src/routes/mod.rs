//! HTTP routes, one router per area, merged in [`router`].

pub mod auth;
pub mod blobs;
pub mod health;
pub mod meetings;
pub mod metrics;
pub mod openapi;
pub mod recordings;
pub mod room_files;
pub mod rooms;
pub mod storage;
pub mod transcripts;

use axum::Router;

use crate::state::AppState;

/// Every route of the server.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .merge(auth::router())
        .merge(rooms::router())
        .merge(meetings::router())
        .merge(transcripts::router())
        .merge(recordings::router())
        .merge(storage::router())
        .merge(room_files::router())
        .merge(blobs::router())
}

/// Parses an id from the path or body, naming the field when it is malformed.
pub(crate) fn parse_id<T: std::str::FromStr>(
    field: &str,
    value: &str,
) -> Result<T, crate::error::Error> {
    value
        .parse()
        .map_err(|_| crate::error::Error::invalid(field, "must be a 24-character hexadecimal id"))
}
