//! `GET /audit`: the audit trail for administrators, newest first, filterable by
//! user, action, outcome and time range.

use altegon_domain::UserId;
use altegon_projections::models::audit::{self, AuditFilter};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{PageQuery, parse_id};
use crate::auth::AuthUser;
use crate::consistency::Consistent;
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::responses::{AdminOnly, BadRequest, Unauthorized};
use crate::error::Error;
use crate::json::ValidQuery;
use crate::state::AppState;

/// `/audit`.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

/// The filters of an audit query, as sent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Entries of this caller.
    #[param(pattern = "^[0-9a-fA-F]{24}$")]
    pub(crate) user_id: Option<String>,
    /// Exactly this action, e.g. `DELETE /room/{room_id}/files`.
    pub(crate) action: Option<String>,
    /// Only entries with this outcome.
    #[param(value_type = Option<AuditOutcome>, inline, nullable = false)]
    pub(crate) outcome: Option<String>,
    /// Earliest time, RFC 3339, inclusive; empty means none.
    #[param(schema_with = crate::contracts::openapi::keywords::date_time_or_blank)]
    pub(crate) from: Option<String>,
    /// Latest time, RFC 3339, inclusive; empty means none. Before `from`, it selects nothing.
    #[param(schema_with = crate::contracts::openapi::keywords::date_time_or_blank)]
    pub(crate) until: Option<String>,
}

// The `outcome` values the handler accepts (it matches the strings).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code, reason = "documentation only; nothing constructs it")]
enum AuditOutcome {
    Allowed,
    Denied,
    Failed,
}

fn time(field: &str, value: &Option<String>) -> Result<Option<String>, Error> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| altegon_projections::api_time(t.with_timezone(&Utc)))
                .map_err(|_| Error::invalid(field, "must be an RFC 3339 date-time"))
        })
        .transpose()
}

impl AuditQuery {
    /// The checked filter; a 400 names the bad field.
    pub(crate) fn filter(&self) -> Result<AuditFilter, Error> {
        let actor_id = self
            .user_id
            .as_deref()
            .map(|u| parse_id::<UserId>("userId", u).map(|u| u.to_string()))
            .transpose()?;
        let outcome = match self.outcome.as_deref() {
            None => None,
            Some(o @ ("allowed" | "denied" | "failed")) => Some(o.to_owned()),
            Some(_) => {
                return Err(Error::invalid(
                    "outcome",
                    "must be allowed, denied or failed",
                ));
            }
        };
        let from = time("from", &self.from)?;
        let until = time("until", &self.until)?;
        Ok(AuditFilter {
            actor_id,
            action: self.action.clone().filter(|a| !a.trim().is_empty()),
            outcome,
            from,
            until,
        })
    }
}

/// The audit trail (admin)
///
/// Denied requests, changes and reads of stored media, newest first; see docs/audit.md.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "Newest first.", body = bodies::audit::AuditListResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(AdminOnly)),
    ),
)]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    ValidQuery(query): ValidQuery<AuditQuery>,
    ValidQuery(page): ValidQuery<PageQuery>,
) -> Result<impl IntoResponse, Error> {
    user.must_be_admin()?;
    let filter = query.filter()?;
    let (limit, offset) = page.checked()?;
    let rows = audit::list(state.read_pool(), &filter, limit, offset).await?;
    Ok(Json(json!({ "success": true, "data": rows })))
}
