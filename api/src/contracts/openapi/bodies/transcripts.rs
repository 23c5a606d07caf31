//! Transcripts, meeting notes, chat summaries and speech tokens.

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct TranscriptLine {
    #[schema(rename = "_id", required = false)]
    id: String,
    #[schema(required = false)]
    meeting_id: String,
    #[schema(required = false)]
    user_name: String,
    #[schema(required = false)]
    message: String,
    #[schema(required = false)]
    is_encrypted: bool,
    #[schema(required = false)]
    created_at: DateTime<Utc>,
}

#[derive(ToSchema)]
pub(crate) struct SendTranscriptResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    message: String,
    #[schema(required = false)]
    data: TranscriptLine,
}

#[derive(ToSchema)]
pub(crate) struct TranscriptView {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    data: Vec<TranscriptLine>,
}

// Mirrors `altegon_commands::summary::MeetingNotes`: the commands crate does not
// depend on utoipa.
#[derive(ToSchema)]
pub(crate) struct MeetingNotes {
    title: String,
    summary: String,
    #[schema(max_items = 6)]
    highlights: Vec<String>,
    #[schema(inline)]
    chapters: Vec<Chapter>,
    decisions: Vec<String>,
    #[schema(inline)]
    actions: Vec<Action>,
    #[schema(inline)]
    qna: Vec<Qna>,
    #[schema(inline)]
    participants: Vec<NotesParticipant>,
    topics: Vec<String>,
    keywords: Vec<String>,
    ambiguities: Vec<String>,
}

#[derive(ToSchema)]
pub(crate) struct Chapter {
    #[schema(required = false, pattern = "^[0-9]{2,}:[0-5][0-9]$")]
    timestamp: String,
    #[schema(required = false)]
    title: String,
    #[schema(required = false)]
    bullets: Vec<String>,
}

#[derive(ToSchema)]
pub(crate) struct Action {
    #[schema(required = false)]
    action: String,
    #[schema(required = false)]
    assignee: String,
    #[schema(required = false)]
    due_date: String,
}

#[derive(ToSchema)]
pub(crate) struct Qna {
    #[schema(required = false)]
    question: String,
    #[schema(required = false)]
    answer: String,
}

#[derive(ToSchema)]
pub(crate) struct NotesParticipant {
    #[schema(required = false)]
    name: String,
    #[schema(required = false)]
    role: String,
}

#[derive(ToSchema)]
pub(crate) struct GenerateSummaryResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    message: String,
    #[schema(required = false, inline)]
    data: GeneratedSummary,
}

#[derive(ToSchema)]
pub(crate) struct GeneratedSummary {
    #[schema(required = false)]
    summary: String,
    #[schema(required = false)]
    notes: MeetingNotes,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct SummaryResponse {
    summary: String,
    #[schema(required = false)]
    notes: MeetingNotes,
    #[schema(required = false)]
    summarizer: String,
    #[schema(required = false)]
    generated_at: DateTime<Utc>,
}

#[derive(ToSchema)]
pub(crate) struct ChatSummaryResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    summary: String,
    #[schema(required = false)]
    messages: u64,
}

#[derive(ToSchema)]
pub(crate) struct SpeechTokenResponse {
    token: String,
    region: String,
}
