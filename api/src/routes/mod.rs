//! HTTP routes, one router per area, merged in [`router`].

pub mod audit;
pub mod auth;
pub mod blobs;
pub mod dashboard;
pub mod health;
pub mod meetings;
pub mod metrics;
pub mod openapi;
pub mod recordings;
pub mod reporting;
pub mod room_files;
pub mod rooms;
pub mod sessions;
pub mod storage;
pub mod transcripts;
pub mod webhooks;

use axum::Router;

use crate::state::AppState;

/// Every route of the server.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(openapi::router())
        .merge(auth::router())
        .merge(audit::router())
        .merge(rooms::router())
        .merge(meetings::router())
        .merge(transcripts::router())
        .merge(recordings::router())
        .merge(storage::router())
        .merge(room_files::router())
        .merge(blobs::router())
        .merge(sessions::router())
        .merge(reporting::router())
        .merge(dashboard::router())
        .merge(webhooks::router())
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

/// Most rows one list call returns.
pub(crate) const MAX_PAGE: i64 = 1000;

/// `?limit&offset` of list routes.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    offset: Option<i64>,
}

impl PageQuery {
    /// `(limit, offset)`: limit 1 to [`MAX_PAGE`] (all of it by default), offset
    /// not negative; a 400 names the field otherwise.
    pub(crate) fn checked(&self) -> Result<(i64, i64), crate::error::Error> {
        let limit = self.limit.unwrap_or(MAX_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(crate::error::Error::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(crate::error::Error::invalid(
                "offset",
                "must not be negative",
            ));
        }
        Ok((limit, offset))
    }
}
