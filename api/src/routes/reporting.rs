//! `GET /reporting/*`: the dashboard's analytics over completed sessions, with
//! the reference's filters. An empty filter value means no filter; a user sees the
//! sessions they hosted, an admin any host's (`userID`).

use altegon_domain::UserId;
use altegon_projections::models::sessions::{self, ReportFilter};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::parse_id;
use crate::auth::AuthUser;
use crate::consistency::Consistent;
use crate::contracts::openapi::params::WaitForPosition;
use crate::contracts::openapi::responses::{BadRequest, NotAllowed, Unauthorized};
use crate::contracts::openapi::{bodies, keywords};
use crate::error::Error;
use crate::state::AppState;

/// `/reporting/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reporting/total-sessions-for-user", get(total))
        .route(
            "/reporting/total-sessions-aggregation-for-user",
            get(aggregation),
        )
        .route(
            "/reporting/total-sessions-statistics-for-user",
            get(statistics),
        )
        .route(
            "/reporting/total-sessions-by-location-for-user",
            get(by_location),
        )
        .route(
            "/reporting/total-sessions-and-participants-count-by-location-for-user",
            get(participants_by_location),
        )
}

/// The reference's query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Domain of the sessions; empty means all.
    pub(crate) domain: Option<String>,
    /// Type of session; empty means all.
    pub(crate) session_type: Option<String>,
    /// ISO country code of the session's location.
    pub(crate) country_code: Option<String>,
    /// Country name.
    pub(crate) country_name: Option<String>,
    /// City name.
    pub(crate) city_name: Option<String>,
    /// Earliest start: ISO 8601 date-time, or a date (its first millisecond); empty means none.
    #[param(schema_with = keywords::report_date)]
    pub(crate) start_date_range: Option<String>,
    /// Latest start: ISO 8601 date-time, or a date (its last millisecond); empty means none. An end before the start selects nothing.
    #[param(schema_with = keywords::report_date)]
    pub(crate) end_date_range: Option<String>,
    /// The host; the caller by default (also when empty). Only admins may name another.
    #[serde(rename = "userID")]
    #[param(pattern = r"^\s*([0-9a-fA-F]{24}\s*)?$")]
    pub(crate) user_id: Option<String>,
}

fn present(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A date or date-time as the read model stores times; a bare date is the day's
/// first (`end`: last) millisecond.
fn date(field: &str, value: &Option<String>, end: bool) -> Result<Option<String>, Error> {
    let Some(value) = present(value) else {
        return Ok(None);
    };
    let time = if let Ok(t) = DateTime::parse_from_rfc3339(&value) {
        t.with_timezone(&Utc)
    } else if let Ok(d) = NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
        let t = if end {
            d.and_hms_milli_opt(23, 59, 59, 999)
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        t.map(|t| t.and_utc()).ok_or_else(|| {
            Error::invalid(
                field,
                "must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
            )
        })?
    } else {
        return Err(Error::invalid(
            field,
            "must be a date (YYYY-MM-DD) or an ISO 8601 date-time",
        ));
    };
    Ok(Some(altegon_projections::api_time(time)))
}

impl ReportQuery {
    /// The filter the caller may run: their own sessions, or any host's for admins.
    pub fn filter(&self, user: &AuthUser) -> Result<ReportFilter, Error> {
        let host = match present(&self.user_id) {
            Some(id) => {
                let id: UserId = parse_id("userID", &id)?;
                user.may_act_for(&id)?;
                id
            }
            None => user.id,
        };
        let start = date("startDateRange", &self.start_date_range, false)?;
        let end = date("endDateRange", &self.end_date_range, true)?;
        Ok(ReportFilter {
            host_id: host.to_string(),
            domain: present(&self.domain).map(|d| d.to_lowercase()),
            session_type: present(&self.session_type).map(|t| t.to_lowercase()),
            country_code: present(&self.country_code).map(|c| c.to_uppercase()),
            country_name: present(&self.country_name),
            city: present(&self.city_name),
            start,
            end,
        })
    }
}

/// The filter of a reporting request: the caller (signed in), the read models
/// caught up to `x-altegon-position` when given, the query checked.
pub struct Report(ReportFilter);

impl FromRequestParts<AppState> for Report {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        Consistent::from_request_parts(parts, state).await?;
        let crate::json::ValidQuery(query) =
            crate::json::ValidQuery::<ReportQuery>::from_request_parts(parts, state).await?;
        Ok(Report(query.filter(&user)?))
    }
}

/// Completed sessions matching the filters
#[utoipa::path(
    get,
    path = "/reporting/total-sessions-for-user",
    tag = "reporting",
    security(("bearer" = [])),
    params(ReportQuery, WaitForPosition),
    responses(
        (status = 200, description = "Counts over completed sessions.", body = inline(bodies::reporting::TotalSessions)),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
    ),
)]
async fn total(
    State(state): State<AppState>,
    Report(filter): Report,
) -> Result<impl IntoResponse, Error> {
    let total = sessions::total_sessions(state.read_pool(), &filter).await?;
    Ok(Json(
        json!({ "success": true, "data": { "totalSessions": total } }),
    ))
}

/// Completed sessions per start day (UTC) and domain
#[utoipa::path(
    get,
    path = "/reporting/total-sessions-aggregation-for-user",
    tag = "reporting",
    security(("bearer" = [])),
    params(ReportQuery, WaitForPosition),
    responses(
        (status = 200, description = "Counts over completed sessions.", body = inline(bodies::reporting::SessionsPerDay)),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
    ),
)]
async fn aggregation(
    State(state): State<AppState>,
    Report(filter): Report,
) -> Result<impl IntoResponse, Error> {
    let rows = sessions::per_day_and_domain(state.read_pool(), &filter).await?;
    let mut days: Vec<serde_json::Value> = Vec::new();
    let mut current: Option<(String, Vec<serde_json::Value>)> = None;
    for (day, domain, count) in rows {
        if current.as_ref().is_some_and(|(d, _)| *d != day)
            && let Some((d, counts)) = current.take()
        {
            days.push(day_entry(&d, counts));
        }
        current
            .get_or_insert_with(|| (day.clone(), Vec::new()))
            .1
            .push(json!({ "domain": domain, "count": count }));
    }
    if let Some((d, counts)) = current {
        days.push(day_entry(&d, counts));
    }
    Ok(Json(json!({ "success": true, "data": days })))
}

fn day_entry(day: &str, counts: Vec<serde_json::Value>) -> serde_json::Value {
    json!({ "domainCounts": counts, "date": format!("{day}T00:00:00.000Z") })
}

/// Completed sessions in total and per session type
#[utoipa::path(
    get,
    path = "/reporting/total-sessions-statistics-for-user",
    tag = "reporting",
    security(("bearer" = [])),
    params(ReportQuery, WaitForPosition),
    responses(
        (status = 200, description = "Counts over completed sessions.", body = inline(bodies::reporting::SessionStatistics)),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
    ),
)]
async fn statistics(
    State(state): State<AppState>,
    Report(filter): Report,
) -> Result<impl IntoResponse, Error> {
    let by_type = sessions::per_type(state.read_pool(), &filter).await?;
    let total: i64 = by_type.iter().map(|(_, n)| n).sum();
    Ok(Json(json!({
        "success": true,
        "data": {
            "totalSessions": total,
            "totalSessionsByType": by_type
                .into_iter()
                .map(|(t, n)| json!({ "sessionType": t, "totalSessions": n }))
                .collect::<Vec<_>>(),
        },
    })))
}

/// Completed sessions per city, region and country, most first
#[utoipa::path(
    get,
    path = "/reporting/total-sessions-by-location-for-user",
    tag = "reporting",
    security(("bearer" = [])),
    params(ReportQuery, WaitForPosition),
    responses(
        (status = 200, description = "Counts over completed sessions.", body = inline(bodies::reporting::SessionsPerLocation)),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
    ),
)]
async fn by_location(
    State(state): State<AppState>,
    Report(filter): Report,
) -> Result<impl IntoResponse, Error> {
    let rows = sessions::per_location(state.read_pool(), &filter).await?;
    Ok(Json(json!({
        "success": true,
        "data": rows
            .into_iter()
            .map(|(city, region, country, country_name, count)| json!({
                "_id": {
                    "city": city,
                    "region": region,
                    "country": country,
                    "country_name": country_name,
                },
                "count": count,
            }))
            .collect::<Vec<_>>(),
    })))
}

/// Completed sessions and their distinct participants per city, most sessions first
#[utoipa::path(
    get,
    path = "/reporting/total-sessions-and-participants-count-by-location-for-user",
    tag = "reporting",
    security(("bearer" = [])),
    params(ReportQuery, WaitForPosition),
    responses(
        (status = 200, description = "Counts over completed sessions.", body = inline(bodies::reporting::SessionsPerCity)),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
    ),
)]
async fn participants_by_location(
    State(state): State<AppState>,
    Report(filter): Report,
) -> Result<impl IntoResponse, Error> {
    let rows = sessions::sessions_and_participants_per_city(state.read_pool(), &filter).await?;
    Ok(Json(json!({
        "success": true,
        "data": rows
            .into_iter()
            .map(|(city, sessions, participants)| json!({
                "_id": city,
                "totalSessions": sessions,
                "totalParticipants": participants,
            }))
            .collect::<Vec<_>>(),
    })))
}
