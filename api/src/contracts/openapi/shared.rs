//! Answers that whole kinds of operations can give, added to the document in one
//! place instead of on every handler: 400 wherever a request carries parameters
//! or a body, 401 on bearer routes, 409 where a request names a log state
//! (`x-altegon-position`, `Idempotency-Key`), 413 on JSON bodies, 429 on
//! rate-limited routes and 503 on routes that touch storage. A handler that names one of these
//! codes itself keeps its own, more specific description.

use utoipa::ToResponse;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;

use super::responses::{
    BadRequest, Busy, JsonTooLarge, StateConflict, TooManyRequests, Unauthorized,
};

/// Routes that answer from memory alone: never a 503.
const FROM_MEMORY: &[&str] = &["/healthz", "/metrics", "/openapi.json", "/docs"];

/// Adds the shared answers `operation` (at `path`) can give and does not name.
pub(super) fn add_shared_responses(path: &str, operation: &mut Operation) {
    let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|body| match body {
            RefOr::T(body) => body.content.contains_key("application/json"),
            RefOr::Ref(_) => true,
        });
    let bearer = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let rate_limited = !crate::rate_limit::UNLIMITED.contains(&path);
    let names_log_state = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => matches!(p.name.as_str(), "Idempotency-Key" | "x-altegon-position"),
        RefOr::Ref(_) => false,
    });

    if has_parameters || operation.request_body.is_some() {
        add(operation, "400", response::<BadRequest>());
    }
    if bearer {
        add(operation, "401", response::<Unauthorized>());
    }
    if json_body {
        add(operation, "413", response::<JsonTooLarge>());
    }
    if names_log_state {
        add(operation, "409", response::<StateConflict>());
    }
    if rate_limited {
        add(operation, "429", response::<TooManyRequests>());
    }
    if !FROM_MEMORY.contains(&path) {
        add(operation, "503", response::<Busy>());
    }
}

fn response<'a, R: ToResponse<'a>>() -> RefOr<Response> {
    R::response().1
}

fn add(operation: &mut Operation, status: &str, response: RefOr<Response>) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert(response);
}
