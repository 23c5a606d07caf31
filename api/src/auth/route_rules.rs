//! Who may call each route: one table, in the OpenAPI document's spelling of the
//! paths. Handlers enforce the rules through [`super::policy`]; the table is what
//! `tests/tests/e2e/authorization.rs` walks as a second user (every `Owner` and
//! `Admin` route must refuse them) and checks against the OpenAPI document (every
//! operation has a rule).

/// A route's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No token: probes, documents, register and login.
    Public,
    /// No token, but a signed URL (`/blobs/…`).
    SignedUrl,
    /// Any signed-in user; the answer covers only what is theirs (or, for
    /// administrators, everyone's).
    SignedIn,
    /// The owner of the named resource, or an administrator; else 403.
    Owner(&'static str),
    /// Administrators only; else 403.
    Admin,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path as the OpenAPI document spells it.
    pub path: &'static str,
    /// Who may call it.
    pub rule: Rule,
}

const fn r(method: &'static str, path: &'static str, rule: Rule) -> RouteRule {
    RouteRule { method, path, rule }
}

use Rule::{Admin, Owner, Public, SignedIn, SignedUrl};

/// Every route of the HTTP API.
pub const ROUTE_RULES: &[RouteRule] = &[
    r("GET", "/healthz", Public),
    r("GET", "/readyz", Public),
    r("GET", "/metrics", Public),
    r("GET", "/openapi.json", Public),
    r("GET", "/docs", Public),
    r("POST", "/auth/register", Public),
    r("POST", "/auth/login", Public),
    r("POST", "/auth/logout", SignedIn),
    r("POST", "/auth/revoke", Admin),
    r("POST", "/room/create", SignedIn),
    r("POST", "/room/{roomId}/token", Owner("a private room")),
    r(
        "POST",
        "/meetings/create",
        Owner("hostId: the host's account"),
    ),
    r(
        "POST",
        "/meetings/update/{meetingId}",
        Owner("the meeting (its host)"),
    ),
    r("GET", "/meetings/list/{userId}", Owner("the account")),
    // Every participant's client sends transcript lines for the meeting.
    r("POST", "/send-transcript", SignedIn),
    r(
        "GET",
        "/view-transcript/{meetingId}",
        Owner("the meeting (its host)"),
    ),
    r(
        "POST",
        "/transcription/generate-summary/{meetingId}",
        Owner("the meeting (its host)"),
    ),
    r(
        "GET",
        "/meeting/{meetingId}/summary",
        Owner("the meeting (its host)"),
    ),
    r(
        "POST",
        "/chat/generate-summary/{meetingId}",
        Owner("the meeting (its host)"),
    ),
    r("GET", "/api/get-speech-token", SignedIn),
    r("POST", "/recording/start", Owner("the room")),
    r("POST", "/recording/stop", Owner("the recording's room")),
    r("GET", "/recordings/list", SignedIn),
    r(
        "POST",
        "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/upload-to-blob",
        Owner("the account and its room"),
    ),
    r(
        "GET",
        "/recordings/user/{userId}/storage-info",
        Owner("the account"),
    ),
    r("PUT", "/recordings/user/{userId}/storage-limit", Admin),
    r(
        "DELETE",
        "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/{fileName}",
        Owner("the account"),
    ),
    r("GET", "/recordings/admin/exceeded-storage-users", Admin),
    r(
        "GET",
        "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/file/{fileName}/sas-url",
        Owner("the account"),
    ),
    r("GET", "/blobs/{path}", SignedUrl),
    r("POST", "/room/{roomId}/upload", Owner("the room")),
    r("GET", "/room/{roomId}/files/{filename}", Owner("the room")),
    r(
        "GET",
        "/room/{roomId}/files/{filename}/download",
        Owner("the room"),
    ),
    r("DELETE", "/room/{roomId}/files", Owner("the room")),
    r("POST", "/sessions", Owner("a private room")),
    r(
        "GET",
        "/sessions/{sessionId}",
        Owner("the session's host or a participant"),
    ),
    r(
        "POST",
        "/sessions/{sessionId}/join",
        Owner("a private room's session"),
    ),
    // Leaves the caller's own seat; someone not seated gets 409.
    r("POST", "/sessions/{sessionId}/leave", SignedIn),
    r(
        "POST",
        "/sessions/{sessionId}/end",
        Owner("the session's host"),
    ),
    r(
        "GET",
        "/reporting/total-sessions-for-user",
        Owner("userID: the account"),
    ),
    r(
        "GET",
        "/reporting/total-sessions-aggregation-for-user",
        Owner("userID: the account"),
    ),
    r(
        "GET",
        "/reporting/total-sessions-statistics-for-user",
        Owner("userID: the account"),
    ),
    r(
        "GET",
        "/reporting/total-sessions-by-location-for-user",
        Owner("userID: the account"),
    ),
    r(
        "GET",
        "/reporting/total-sessions-and-participants-count-by-location-for-user",
        Owner("userID: the account"),
    ),
    r("GET", "/audit", Admin),
    r("GET", "/webhooks/event-types", SignedIn),
    r("GET", "/webhooks", SignedIn),
    r("POST", "/webhooks", SignedIn),
    r("GET", "/webhooks/{webhookId}", Owner("the endpoint")),
    r("PUT", "/webhooks/{webhookId}", Owner("the endpoint")),
    r("DELETE", "/webhooks/{webhookId}", Owner("the endpoint")),
    r("POST", "/webhooks/{webhookId}/test", Owner("the endpoint")),
    r(
        "GET",
        "/webhooks/{webhookId}/deliveries",
        Owner("the endpoint"),
    ),
    r(
        "POST",
        "/webhooks/{webhookId}/replay",
        Owner("the endpoint"),
    ),
];
