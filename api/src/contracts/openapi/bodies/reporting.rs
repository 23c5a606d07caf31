//! `/reporting/*`: counts over completed sessions.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

use super::sessions::Place;

#[derive(ToSchema)]
pub(crate) struct TotalSessions {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: Total,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct Total {
    #[schema(required = false)]
    total_sessions: i64,
}

#[derive(ToSchema)]
pub(crate) struct SessionsPerDay {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: Vec<Day>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct Day {
    #[schema(required = false, inline)]
    domain_counts: Vec<DomainCount>,
    #[schema(required = false)]
    date: DateTime<Utc>,
}

#[derive(ToSchema)]
pub(crate) struct DomainCount {
    #[schema(required = false)]
    domain: String,
    #[schema(required = false)]
    count: i64,
}

#[derive(ToSchema)]
pub(crate) struct SessionStatistics {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: Statistics,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct Statistics {
    #[schema(required = false)]
    total_sessions: i64,
    #[schema(required = false, inline)]
    total_sessions_by_type: Vec<TypeCount>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct TypeCount {
    #[schema(required = false)]
    session_type: String,
    #[schema(required = false)]
    total_sessions: i64,
}

#[derive(ToSchema)]
pub(crate) struct SessionsPerLocation {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: Vec<LocationCount>,
}

#[derive(ToSchema)]
pub(crate) struct LocationCount {
    #[schema(rename = "_id", required = false, inline)]
    place: Place,
    #[schema(required = false)]
    count: i64,
}

#[derive(ToSchema)]
pub(crate) struct SessionsPerCity {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, inline)]
    data: Vec<CityCount>,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct CityCount {
    #[schema(rename = "_id", required = false)]
    city: String,
    #[schema(required = false)]
    total_sessions: i64,
    #[schema(required = false)]
    total_participants: i64,
}
