//! Live sessions without the realtime socket: `POST /sessions` (start, joining
//! first), `POST /sessions/{id}/join|leave|end`, `GET /sessions/{id}`. The
//! realtime relay calls the same commands.

use altegon_commands::handlers::sessions::{
    StartSessionRequest, end_session, join_session, leave_session, start_session,
};
use altegon_domain::{RoomId, SessionId};
use altegon_projections::models::{sessions, users};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx};
use crate::client_ip::ClientIp;
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::params::SessionParam;
use crate::contracts::openapi::responses::{
    BadRequest, NoSession, NotAllowed, NotInSession, SessionUnavailable, Unauthorized,
};
use crate::error::Error;
use crate::geo::DeclaredLocation;
use crate::json::ValidJson;
use crate::state::AppState;

/// `/sessions/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(start))
        .route("/sessions/{session_id}", get(show))
        .route("/sessions/{session_id}/join", post(join))
        .route("/sessions/{session_id}/leave", post(leave))
        .route("/sessions/{session_id}/end", post(end))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    room_id: String,
    /// meeting, conference, webinar, live, ... (one word, lowercased)
    #[schema(max_length = 32, pattern = r"^\s*[A-Za-z0-9_-]{1,32}\s*$")]
    session_type: String,
    /// Shown to the others; the account's name when absent or blank.
    #[schema(max_length = 200)]
    name: Option<String>,
    #[schema(inline)]
    location: Option<DeclaredLocation>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinBody {
    /// Shown to the others; the account's name when absent or blank.
    #[schema(max_length = 200)]
    name: Option<String>,
    #[schema(inline)]
    location: Option<DeclaredLocation>,
}

/// The caller's display name: as given, or their account's name.
async fn display_name(
    state: &AppState,
    user: &AuthUser,
    given: Option<String>,
) -> Result<String, Error> {
    if let Some(name) = given.filter(|n| !n.trim().is_empty()) {
        return Ok(name);
    }
    Ok(users::by_id(state.read_pool(), &user.id.to_string())
        .await?
        .map(|u| format!("{} {}", u.f_name, u.l_name).trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| user.id.to_string()))
}

/// Start a live session of a room; the caller joins first and the session's location is theirs
#[utoipa::path(
    post,
    path = "/sessions",
    tag = "sessions",
    security(("bearer" = [])),
    request_body = inline(StartBody),
    responses(
        (status = 201, description = "The started session.", body = bodies::sessions::SessionAnswer),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
        (status = 404, response = inline(NoSession)),
        (status = 503, response = inline(SessionUnavailable)),
    ),
)]
async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<StartBody>,
) -> Result<impl IntoResponse, Error> {
    let room_id: RoomId = parse_id("roomId", &body.room_id)?;
    let location = state.geo.locate(ip, body.location.as_ref())?;
    let request = StartSessionRequest {
        room_id,
        session_type: body.session_type,
        caller: user.caller(),
        name: display_name(&state, &user, body.name).await?,
        location,
        app_domain: state.config.session_domain.clone(),
    };
    let (session_id, outcome) = start_session(&state.bus, &ctx, request).await?;
    wait_until_visible(&state, outcome.position).await?;
    Ok((
        StatusCode::CREATED,
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "msg": "Session started",
            "data": view(&state, &session_id.to_string()).await?,
        })),
    ))
}

/// Join a live session (again: no change)
#[utoipa::path(
    post,
    path = "/sessions/{sessionId}/join",
    tag = "sessions",
    security(("bearer" = [])),
    params(SessionParam),
    request_body = inline(Option<JoinBody>),
    responses(
        (status = 200, description = "The session.", body = bodies::sessions::SessionAnswer),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
        (status = 404, response = inline(NoSession)),
        (status = 409, response = inline(NotInSession)),
        (status = 503, response = inline(SessionUnavailable)),
    ),
)]
async fn join(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ClientIp(ip): ClientIp,
    Path(session_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, Error> {
    let session_id: SessionId = parse_id("sessionId", &session_id)?;
    // The body is optional: name and location may be left out.
    let body: JoinBody = if body.iter().all(u8::is_ascii_whitespace) {
        JoinBody::default()
    } else {
        crate::json::parse(&body)?
    };
    let location = state.geo.locate(ip, body.location.as_ref())?;
    let name = display_name(&state, &user, body.name).await?;
    let outcome = join_session(&state.bus, &ctx, session_id, user.caller(), name, location).await?;
    wait_until_visible(&state, outcome.position).await?;
    answer(&state, session_id, outcome.position, "Joined the session").await
}

/// Leave a live session; the last one out ends it
#[utoipa::path(
    post,
    path = "/sessions/{sessionId}/leave",
    tag = "sessions",
    security(("bearer" = [])),
    params(SessionParam),
    responses(
        (status = 200, description = "The session.", body = bodies::sessions::SessionAnswer),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NoSession)),
        (status = 409, response = inline(NotInSession)),
        (status = 503, response = inline(SessionUnavailable)),
    ),
)]
async fn leave(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(session_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let session_id: SessionId = parse_id("sessionId", &session_id)?;
    let outcome = leave_session(&state.bus, &ctx, session_id, user.caller()).await?;
    wait_until_visible(&state, outcome.position).await?;
    answer(&state, session_id, outcome.position, "Left the session").await
}

/// End a live session for everyone (host or admin)
#[utoipa::path(
    post,
    path = "/sessions/{sessionId}/end",
    tag = "sessions",
    security(("bearer" = [])),
    params(SessionParam),
    responses(
        (status = 200, description = "The ended session.", body = bodies::sessions::SessionAnswer),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
        (status = 404, response = inline(NoSession)),
        (status = 409, response = inline(NotInSession)),
        (status = 503, response = inline(SessionUnavailable)),
    ),
)]
async fn end(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(session_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let session_id: SessionId = parse_id("sessionId", &session_id)?;
    let outcome = end_session(&state.bus, &ctx, session_id, user.caller()).await?;
    wait_until_visible(&state, outcome.position).await?;
    answer(&state, session_id, outcome.position, "Session ended").await
}

/// A session with its participants (host, participants and admins)
#[utoipa::path(
    get,
    path = "/sessions/{sessionId}",
    tag = "sessions",
    security(("bearer" = [])),
    params(SessionParam),
    responses(
        (status = 200, description = "The session.", body = bodies::sessions::SessionAnswer),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotAllowed)),
        (status = 404, response = inline(NoSession)),
    ),
)]
async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(session_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let session_id: SessionId = parse_id("sessionId", &session_id)?;
    let data = view(&state, &session_id.to_string()).await?;
    let host = data["hostId"].as_str().unwrap_or_default() == user.id.to_string();
    let participant = data["participants"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["userId"] == user.id.to_string()));
    if !host && !participant && !user.is_admin() {
        return Err(Error::Forbidden(
            "only the host, participants and admins see a session".into(),
        ));
    }
    Ok(Json(json!({ "success": true, "data": data })))
}

async fn answer(
    state: &AppState,
    session_id: SessionId,
    position: u64,
    msg: &str,
) -> Result<impl IntoResponse + use<>, Error> {
    Ok((
        position_header(position),
        Json(json!({
            "success": true,
            "msg": msg,
            "data": view(state, &session_id.to_string()).await?,
        })),
    ))
}

/// A session with its participants, in the API's shape.
async fn view(state: &AppState, session_id: &str) -> Result<Value, Error> {
    let pool = state.read_pool();
    let row = sessions::by_id(pool, session_id)
        .await?
        .ok_or_else(|| Error::NotFound("session".into()))?;
    let people = sessions::participants(pool, session_id).await?;
    Ok(json!({
        "_id": row.id,
        "roomId": row.room_id,
        "hostId": row.host_id,
        "sessionType": row.session_type,
        "domain": row.domain,
        "location": {
            "city": row.city,
            "region": row.region,
            "country": row.country,
            "country_name": row.country_name,
        },
        "status": if row.completed != 0 { "completed" } else { "live" },
        "startedAt": row.started_at,
        "endedAt": row.ended_at,
        "participantsCount": row.participants,
        "participants": people.iter().map(|p| json!({
            "userId": p.user_id,
            "name": p.name,
            "present": p.present != 0,
            "joinedAt": p.joined_at,
            "leftAt": p.left_at,
            "location": {
                "city": p.city,
                "region": p.region,
                "country": p.country,
                "country_name": p.country_name,
            },
        })).collect::<Vec<_>>(),
    }))
}
