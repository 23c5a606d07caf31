//! `GET /dashboard`: the sessions analytics page. One self-contained HTML file
//! (styles and script inline, charts drawn as SVG), built into the binary; it signs
//! in with `POST /auth/login` and reads the `/reporting/*` routes.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::state::AppState;

const PAGE: &str = include_str!("../../assets/dashboard.html");

/// `/dashboard`.
pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(page))
}

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
            ),
        ],
        PAGE,
    )
}
