//! The audit trail of HTTP requests: every denied request (401, 403), every
//! modification (any method but GET/HEAD/OPTIONS) with its outcome, and every read
//! of stored recordings, files, transcripts and notes, appended as
//! `AuditRecorded` to `audit-{yyyy-mm-dd}` before the answer leaves. Health,
//! metrics and documentation routes are not audited.

use altegon_commands::{Actor, CommandContext};
use altegon_domain::audit::{AuditDay, RecordAudit};
use altegon_domain::events::AuditOutcome;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;

use crate::auth::AuthUser;
use crate::state::AppState;

/// Reads worth a trail entry even when they succeed: stored media and what
/// was said in meetings.
const AUDITED_READS: &[&str] = &[
    "/recordings/",
    "/blobs/",
    "/room/{room_id}/files",
    "/view-transcript/",
    "/meeting/{meeting_id}/summary",
];

/// Routes never audited.
const UNAUDITED: &[&str] = &[
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/dashboard",
];

fn is_audited(method: &Method, route: &str, status: StatusCode) -> bool {
    if UNAUDITED.iter().any(|r| route.starts_with(r)) {
        return false;
    }
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return true;
    }
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    !read || AUDITED_READS.iter().any(|r| route.starts_with(r))
}

fn outcome(status: StatusCode) -> AuditOutcome {
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        AuditOutcome::Denied
    } else if status.is_client_error() || status.is_server_error() {
        AuditOutcome::Failed
    } else {
        AuditOutcome::Allowed
    }
}

/// Middleware: answers the request, then records it when it is audited.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |m| m.as_str().to_owned(),
    );
    let path = request.uri().path().to_owned();
    let (mut parts, body) = request.into_parts();
    let actor = AuthUser::from_headers(&state, &parts.headers)
        .ok()
        .flatten();
    // Verified once: the layers and handlers inside take the caller from here.
    if let Some(actor) = &actor {
        parts.extensions.insert(actor.clone());
    }
    let ip = crate::client_ip::client_ip(&parts, state.config.trust_forwarded_for)
        .map(|ip| ip.to_string());
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    if !is_audited(&method, &route, status) {
        return response;
    }
    let mut ctx = CommandContext::new(actor.as_ref().map_or_else(Actor::default, AuthUser::actor));
    if let Some(id) = request_id {
        ctx.request_id = id.clone();
        ctx.correlation_id = id;
    }
    ctx.client_ip = ip.clone();
    let now = Utc::now();
    let entry = RecordAudit {
        actor_id: actor.map(|a| a.id),
        action: format!("{method} {route}"),
        resource: path,
        outcome: outcome(status),
        status: status.as_u16(),
        ip,
        request_id: ctx.request_id.clone(),
        now,
    };
    if let Err(e) = state
        .bus
        .append_independent::<AuditDay>(&ctx, AuditDay::day_of(now), &entry)
        .await
    {
        tracing::error!(error = %e, action = %entry.action, "audit entry not recorded");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_changes_and_media_reads_are_audited() {
        let ok = StatusCode::OK;
        assert!(is_audited(
            &Method::GET,
            "/meetings/list/{user_id}",
            StatusCode::FORBIDDEN
        ));
        assert!(is_audited(
            &Method::POST,
            "/meetings/create",
            StatusCode::CREATED
        ));
        assert!(is_audited(&Method::DELETE, "/room/{room_id}/files", ok));
        assert!(is_audited(&Method::GET, "/blobs/{*path}", ok));
        assert!(is_audited(&Method::GET, "/recordings/list", ok));
        assert!(!is_audited(&Method::GET, "/meetings/list/{user_id}", ok));
        assert!(!is_audited(
            &Method::GET,
            "/metrics",
            StatusCode::UNAUTHORIZED
        ));
    }

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(outcome(StatusCode::UNAUTHORIZED), AuditOutcome::Denied);
        assert_eq!(outcome(StatusCode::CONFLICT), AuditOutcome::Failed);
        assert_eq!(outcome(StatusCode::NO_CONTENT), AuditOutcome::Allowed);
    }
}
