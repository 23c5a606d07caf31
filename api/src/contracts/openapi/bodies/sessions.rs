//! `/sessions/*`.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct Session {
    #[schema(rename = "_id", required = false)]
    id: String,
    #[schema(required = false)]
    room_id: String,
    #[schema(required = false)]
    host_id: String,
    #[schema(required = false)]
    session_type: String,
    #[schema(required = false)]
    domain: String,
    #[schema(required = false, inline)]
    location: Place,
    #[schema(required = false, inline)]
    status: SessionStatus,
    #[schema(required = false)]
    started_at: DateTime<Utc>,
    #[schema(required = false)]
    ended_at: Option<DateTime<Utc>>,
    #[schema(required = false)]
    participants_count: i64,
    #[schema(required = false, inline)]
    participants: Vec<SessionParticipant>,
}

// A place as the read models keep it (snake_case `country_name`, as the reports send it).
#[derive(ToSchema)]
pub(crate) struct Place {
    #[schema(required = false)]
    city: String,
    #[schema(required = false)]
    region: String,
    #[schema(required = false)]
    country: String,
    #[schema(required = false)]
    country_name: String,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum SessionStatus {
    Live,
    Completed,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct SessionParticipant {
    #[schema(required = false)]
    user_id: String,
    #[schema(required = false)]
    name: String,
    #[schema(required = false)]
    present: bool,
    #[schema(required = false)]
    joined_at: String,
    #[schema(required = false)]
    left_at: Option<String>,
    #[schema(required = false, inline)]
    location: Place,
}

#[derive(ToSchema)]
pub(crate) struct SessionAnswer {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    msg: String,
    #[schema(required = false)]
    data: Session,
}
