//! Prometheus metrics at `/metrics`: events appended, projection positions and
//! lag, HTTP request counts and latencies (recorded by [`track`]).

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Events counted per projection for the lag gauge, at most.
const LAG_CAP: u64 = 10_000;

/// `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

/// The process-wide recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (several servers in one test
        // process); the handle still renders this one's metrics then.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Prometheus metrics
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4.", body = String, content_type = "text/plain"),
    ),
)]
async fn render(State(state): State<AppState>) -> Response {
    if let Ok(statuses) = state.engine.status_capped(LAG_CAP).await {
        for s in statuses {
            metrics::gauge!("altegon_projection_lag_events", "projection" => s.name)
                .set(s.lag_events as f64);
            metrics::gauge!("altegon_projection_position", "projection" => s.name)
                .set(s.position as f64);
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

/// Middleware counting requests and timing them per route.
pub async fn track(request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("altegon_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("altegon_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}
