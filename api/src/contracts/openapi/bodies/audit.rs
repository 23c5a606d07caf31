//! `GET /audit`.

use utoipa::ToSchema;

use crate::contracts::openapi::keywords;

#[derive(ToSchema)]
pub(crate) struct AuditListResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false, inline)]
    data: Vec<AuditEntryBody>,
}

/// One audited request.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = AuditEntry)]
pub(crate) struct AuditEntryBody {
    /// The entry's event id.
    id: String,
    /// The signed-in caller, when the token was valid.
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    actor_id: Option<String>,
    /// Method and route, e.g. `POST /meetings/update/{meeting_id}`.
    action: String,
    /// The request's path.
    resource: String,
    /// `allowed`, `denied` or `failed`.
    outcome: String,
    /// The HTTP status answered.
    status: u16,
    /// The client's address.
    ip: Option<String>,
    /// The request's `x-request-id`.
    request_id: String,
    /// When, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    at: String,
}
