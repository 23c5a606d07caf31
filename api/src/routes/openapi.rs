//! `GET /openapi.json`, the published contract generated from the code (the same
//! text as `schemas/openapi.json`), and `GET /docs`, that contract as a page.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::contracts::openapi::{document as contract, document_json, html};
use crate::state::AppState;

/// Built on first request: the document never changes while the process runs.
static JSON: LazyLock<String> = LazyLock::new(document_json);
static PAGE: LazyLock<String> = LazyLock::new(|| html::render(&contract()));

/// `/openapi.json` and `/docs`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(document))
        .route("/docs", get(docs))
}

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "health",
    responses((status = 200, description = "OpenAPI 3.1 document.")),
)]
async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str())
}

/// This document as an HTML page
///
/// Rendered on the server from `/openapi.json`, with no scripts or external assets: every operation, grouped by tag, with its parameters, request body and responses.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "health",
    responses(
        (status = 200, description = "The page.", body = String, content_type = "text/html"),
    ),
)]
async fn docs() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        PAGE.as_str(),
    )
}
