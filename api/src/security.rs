//! Response hardening applied to every route: security headers, CORS for the
//! configured origins, and 5xx bodies that carry the request id and no internal
//! detail. HTTPS is left to the proxy in front.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;

/// Headers every response carries unless a route set its own.
pub fn header_layers() -> [SetResponseHeaderLayer<HeaderValue>; 4] {
    [
        SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ),
        SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-site"),
        ),
    ]
}

/// CORS for `ALTEGON_CORS_ALLOWED_ORIGINS` (comma-separated origins, or `*`);
/// none when unset, so browsers on other origins are refused.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    let origins: Vec<&str> = config
        .cors_allowed_origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-altegon-position"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                HeaderName::from_static("x-altegon-position"),
                HeaderName::from_static("x-request-id"),
                header::RETRY_AFTER,
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Largest 5xx body read back to add the request id.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Middleware: every 5xx body carries the request id, so a report can be matched
/// with the log. A 500 says only "internal error" (whatever a route put in it stays
/// out); 503 answers keep their message, which says what to wait for.
pub async fn server_errors_carry_the_request_id(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    if !response.status().is_server_error() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let kept = if parts.status == axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        None
    } else {
        axum::body::to_bytes(body, MAX_ERROR_BODY)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter(serde_json::Value::is_object)
    };
    let mut body = kept
        .unwrap_or_else(|| serde_json::json!({ "success": false, "message": "internal error" }));
    body["requestId"] = serde_json::json!(request_id);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body.to_string()))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_server_error_shows_only_a_generic_message_and_the_request_id() {
        let app = Router::new()
            .route(
                "/boom",
                get(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "SELECT * FROM secrets failed",
                    )
                }),
            )
            .layer(axum::middleware::from_fn(
                server_errors_carry_the_request_id,
            ));
        let response = app
            .oneshot(
                Request::builder()
                    .uri("/boom")
                    .header("x-request-id", "req-42")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["requestId"], "req-42");
        assert_eq!(body["message"], "internal error");
        assert!(!String::from_utf8_lossy(&bytes).contains("secrets"));
    }
}
