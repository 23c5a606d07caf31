//! Transcripts and summaries: `POST /send-transcript`, `GET /view-transcript/:meetingId`,
//! `POST /transcription/generate-summary/:meetingId`, `GET /meeting/:meetingId/summary`,
//! `POST /chat/generate-summary/:meetingId`, and `GET /api/get-speech-token`.
//!
//! Lines arrive encrypted by the web client and are stored as they came; they are
//! decrypted only to be shown or summarized. Summaries are encrypted before they
//! become events, so the log and the read models hold ciphertext only.

use altegon_commands::handlers::transcripts::{
    NewTranscriptLine, add_transcript_line, record_summary,
};
use altegon_commands::summary::{ChatLine, MeetingNotes, TranscriptLine};
use altegon_domain::MeetingId;
use altegon_projections::models::meetings::{self, MeetingRow};
use altegon_projections::models::transcripts::{self, LineRow};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::params::{MeetingParam, WaitForPosition};
use crate::contracts::openapi::responses::{
    BadRequest, NotFound, NotOwner, NotYetVisible, SummarizerFailed, Unauthorized,
};
use crate::error::Error;
use crate::json::ValidJson;
use crate::state::AppState;

/// Transcript, summary and speech-token routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/send-transcript", post(send))
        .route("/view-transcript/{meeting_id}", get(view))
        .route(
            "/transcription/generate-summary/{meeting_id}",
            post(generate_summary),
        )
        .route("/meeting/{meeting_id}/summary", get(summary))
        .route("/chat/generate-summary/{meeting_id}", post(chat_summary))
        .route("/api/get-speech-token", get(speech_token))
}

/// The meeting, if the caller hosts it or is an admin.
async fn hosted_meeting(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<(MeetingId, MeetingRow), Error> {
    let meeting_id: MeetingId = parse_id("meetingId", id)?;
    let row = meetings::by_id(state.read_pool(), &meeting_id.to_string())
        .await?
        .ok_or_else(|| Error::NotFound("meeting".into()))?;
    user.may_host_meeting(&row)?;
    Ok((meeting_id, row))
}

/// Decrypts a stored text; text that does not decrypt is returned as it is (lines
/// stored in clear by older clients).
pub(crate) fn readable(state: &AppState, stored: &str) -> String {
    state
        .cipher
        .decrypt(stored)
        .unwrap_or_else(|_| stored.to_owned())
}

fn arrival(row: &LineRow) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&row.created_at)
        .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = SendTranscriptRequest)]
struct SendBody {
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    meeting_id: String,
    #[schema(max_length = 100, pattern = r"\S")]
    user_name: String,
    /// Encrypted by the client (see docs/encryption.md); stored as sent. At most 64 KiB.
    #[schema(max_length = 65536, pattern = r"\S")]
    message: String,
}

/// Store an encrypted transcript line
#[utoipa::path(
    post,
    path = "/send-transcript",
    tag = "transcripts",
    security(("bearer" = [])),
    request_body = SendBody,
    responses(
        (status = 201, description = "Stored as sent.", body = bodies::transcripts::SendTranscriptResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn send(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<SendBody>,
) -> Result<impl IntoResponse, Error> {
    let meeting_id: MeetingId = parse_id("meetingId", &body.meeting_id)?;
    let line = NewTranscriptLine {
        meeting_id,
        user_name: body.user_name,
        message: body.message,
        sent_by: Some(user.id),
    };
    let (line_id, outcome) = add_transcript_line(&state.bus, &ctx, line).await?;
    wait_until_visible(&state, outcome.position).await?;
    let Some(altegon_domain::DomainEvent::TranscriptLineAdded(added)) = outcome.events.first()
    else {
        return Err(Error::Internal("the line was not recorded".into()));
    };
    Ok((
        StatusCode::CREATED,
        position_header(outcome.position),
        Json(json!({
            "success": true,
            "message": "Transcript saved successfully",
            "data": {
                "_id": line_id,
                "meetingId": meeting_id,
                "userName": added.user_name,
                "message": added.message,
                "isEncrypted": added.is_encrypted,
                "createdAt": altegon_projections::api_time(added.added_at),
            },
        })),
    ))
}

/// A meeting's transcript, decrypted, in order
#[utoipa::path(
    get,
    path = "/view-transcript/{meetingId}",
    tag = "transcripts",
    security(("bearer" = [])),
    params(MeetingParam, WaitForPosition),
    responses(
        (status = 200, description = "The lines.", body = bodies::transcripts::TranscriptView),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn view(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(meeting_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let (meeting_id, _) = hosted_meeting(&state, &user, &meeting_id).await?;
    let lines = transcripts::transcript(state.read_pool(), &meeting_id.to_string()).await?;
    let data: Vec<_> = lines
        .iter()
        .map(|l| {
            json!({
                "_id": l.id,
                "meetingId": l.meeting_id,
                "userName": l.user_name,
                "message": readable(&state, &l.message),
                "createdAt": l.created_at,
            })
        })
        .collect();
    Ok(Json(json!({ "success": true, "data": data })))
}

/// Writes a hosted meeting's notes from its transcript and records them
/// (encrypted); answers the notes and the position to wait for.
pub(crate) async fn write_notes(
    state: &AppState,
    ctx: &altegon_commands::CommandContext,
    user: &AuthUser,
    meeting_id: &str,
) -> Result<(MeetingNotes, u64), Error> {
    let (meeting_id, _) = hosted_meeting(state, user, meeting_id).await?;
    let rows = transcripts::transcript(state.read_pool(), &meeting_id.to_string()).await?;
    if rows.is_empty() {
        return Err(Error::NotFound("transcript".into()));
    }
    let lines: Vec<TranscriptLine> = rows
        .iter()
        .map(|r| TranscriptLine {
            user_name: r.user_name.clone(),
            message: readable(state, &r.message),
            at: arrival(r),
        })
        .collect();
    let notes = state
        .summarizer
        .meeting_notes(&lines)
        .await
        .map_err(|e| Error::Upstream(format!("the summary could not be generated: {e}")))?;
    let plain = serde_json::to_string(&notes).map_err(|e| Error::Internal(e.to_string()))?;
    let encrypted = state
        .cipher
        .encrypt(&plain)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let count = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    let outcome = record_summary(
        &state.bus,
        ctx,
        meeting_id,
        user.caller(),
        encrypted,
        state.summarizer.name(),
        count,
    )
    .await?;
    wait_until_visible(state, outcome.position).await?;
    Ok((notes, outcome.position))
}

/// Generate meeting notes from the transcript
#[utoipa::path(
    post,
    path = "/transcription/generate-summary/{meetingId}",
    tag = "transcripts",
    security(("bearer" = [])),
    params(MeetingParam),
    responses(
        (status = 200, description = "Generated and stored encrypted.",
            body = bodies::transcripts::GenerateSummaryResponse, headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such meeting, or no transcript yet.", body = ErrorBody),
        (status = 503, response = inline(SummarizerFailed)),
    ),
)]
async fn generate_summary(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(meeting_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let (notes, position) = write_notes(&state, &ctx, &user, &meeting_id).await?;
    Ok((
        StatusCode::OK,
        position_header(position),
        Json(json!({
            "success": true,
            "message": "Summary generated successfully",
            "data": { "summary": notes.summary, "notes": notes },
        })),
    ))
}

/// A meeting's latest notes, decrypted
#[utoipa::path(
    get,
    path = "/meeting/{meetingId}/summary",
    tag = "transcripts",
    security(("bearer" = [])),
    params(MeetingParam, WaitForPosition),
    responses(
        (status = 200, description = "The notes.", body = bodies::transcripts::SummaryResponse),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such meeting or no summary yet.", body = ErrorBody),
    ),
)]
async fn summary(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(meeting_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let (meeting_id, _) = hosted_meeting(&state, &user, &meeting_id).await?;
    let row = transcripts::summary(state.read_pool(), &meeting_id.to_string())
        .await?
        .ok_or_else(|| Error::NotFound("summary".into()))?;
    let text = readable(&state, &row.summary);
    let body = match serde_json::from_str::<MeetingNotes>(&text) {
        Ok(notes) => json!({
            "summary": notes.summary,
            "notes": notes,
            "summarizer": row.summarizer,
            "generatedAt": row.generated_at,
        }),
        // A summary stored as plain prose.
        Err(_) => json!({ "summary": text, "generatedAt": row.generated_at }),
    };
    Ok(Json(body))
}

/// Summarize a meeting's chat
#[utoipa::path(
    post,
    path = "/chat/generate-summary/{meetingId}",
    tag = "transcripts",
    security(("bearer" = [])),
    params(MeetingParam, WaitForPosition),
    responses(
        (status = 200, description = "One paragraph.", body = bodies::transcripts::ChatSummaryResponse),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, description = "No such meeting or no chat.", body = ErrorBody),
        (status = 503, response = inline(SummarizerFailed)),
    ),
)]
async fn chat_summary(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(meeting_id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let (meeting_id, _) = hosted_meeting(&state, &user, &meeting_id).await?;
    let rows = transcripts::chat(state.read_pool(), &meeting_id.to_string()).await?;
    if rows.is_empty() {
        return Err(Error::NotFound("chat".into()));
    }
    let chat: Vec<ChatLine> = rows
        .iter()
        .map(|r| ChatLine {
            user_name: r.user_name.clone(),
            message: r.message.clone(),
            at: arrival(r),
        })
        .collect();
    let summary =
        state.summarizer.chat_summary(&chat).await.map_err(|e| {
            Error::Upstream(format!("the chat summary could not be generated: {e}"))
        })?;
    Ok(Json(
        json!({ "success": true, "summary": summary, "messages": chat.len() }),
    ))
}

/// A short-lived Azure Speech token
#[utoipa::path(
    get,
    path = "/api/get-speech-token",
    tag = "transcripts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Token and region (cached until shortly before it expires).",
            body = bodies::transcripts::SpeechTokenResponse),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, description = "Speech is not configured, or the token service failed.",
            body = ErrorBody, headers(("Retry-After" = u32))),
    ),
)]
async fn speech_token(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<impl IntoResponse, Error> {
    let speech = state
        .speech
        .as_ref()
        .ok_or_else(|| Error::Upstream("speech is not configured on this server".into()))?;
    let token = speech.token().await?;
    Ok(Json(json!({ "token": token, "region": speech.region() })))
}
