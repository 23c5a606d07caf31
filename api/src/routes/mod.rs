//! HTTP routes, one router per area, merged in [`router`].

pub mod health;

use axum::Router;

use crate::state::AppState;

/// Every route of the server.
pub fn router() -> Router<AppState> {
    Router::new().merge(health::router())
}
