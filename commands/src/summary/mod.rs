//! Meeting notes and chat summaries.
//!
//! A [`Summarizer`] turns decrypted transcript lines into [`MeetingNotes`] (the
//! reference API's structure, normalised and validated) and chat messages into one
//! paragraph. Two implementations:
//!
//! - [`OfflineSummarizer`], built in and deterministic, with no network: extractive
//!   notes from word frequencies and cue phrases;
//! - [`OpenAiSummarizer`], chat completions in JSON mode against OpenAI, any
//!   OpenAI-compatible service or Azure OpenAI. Long input goes in parts that fit a
//!   token budget ([`DEFAULT_CHUNK_TOKENS`]) and the parts' notes are merged.
//!
//! Module map: `notes` (types, normalisation, validation), `merge` (notes of
//! consecutive parts into one), `chunk` (parts under a token budget), `prompts`
//! (the system prompts), `openai` (the service client), `offline` (the built-in
//! summarizer) with `text` (words, sentences, key terms), `cues` (actions,
//! decisions, due dates, roles) and `chapters` (pauses and topic shifts).

mod chapters;
mod chunk;
mod cues;
mod merge;
mod notes;
mod offline;
mod openai;
mod prompts;
mod text;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use chunk::estimate_tokens;
pub use merge::merge_parts;
pub use notes::{
    Action, Chapter, MAX_HIGHLIGHTS, MeetingNotes, NO_DUE_DATE, NOT_SPECIFIED, Participant, Qna,
    UNASSIGNED, format_timestamp, parse_timestamp,
};
pub use offline::OfflineSummarizer;
pub use openai::{DEFAULT_CHUNK_TOKENS, DEFAULT_REQUEST_TIMEOUT, OpenAiSettings, OpenAiSummarizer};
pub use prompts::{CHAT_SUMMARY_PROMPT, MEETING_NOTES_PROMPT, RETRY_PROMPT};

/// One decrypted transcript line. Serialised as `{userName, message, at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptLine {
    /// Who spoke.
    pub user_name: String,
    /// What was said.
    pub message: String,
    /// When it was said.
    pub at: DateTime<Utc>,
}

/// One chat message, in plain text. Serialised as `{userName, message, at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatLine {
    /// Who wrote it.
    pub user_name: String,
    /// What was written.
    pub message: String,
    /// When it was posted.
    pub at: DateTime<Utc>,
}

/// Why no notes or summary were produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SummaryError {
    /// There was nothing to summarize (no lines, or only blank ones).
    #[error("nothing to summarize")]
    EmptyInput,
    /// The summarizer's settings cannot work (an API key that is not a valid
    /// header value, a deployment name that is not a URL segment, ...).
    #[error("the summarizer is misconfigured: {0}")]
    Configuration(String),
    /// The service failed or refused the request. `message` never contains the
    /// API key.
    #[error("summarization service failed{}: {message}", status.map(|s| format!(" with status {s}")).unwrap_or_default())]
    Upstream {
        /// The HTTP status, when the service answered.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// The service did not answer in time.
    #[error("summarization service did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The service's replies were not valid, also when asked a second time.
    #[error("summarization service replied with invalid notes twice: {0}")]
    InvalidReply(String),
    /// Notes that break the rules of [`MeetingNotes::validate`].
    #[error("invalid meeting notes: {0}")]
    InvalidNotes(String),
}

/// Writes meeting notes and chat summaries.
#[async_trait]
pub trait Summarizer: Send + Sync {
    /// A short name, stored with the notes (`offline`, `openai`, `azure-openai`).
    fn name(&self) -> &'static str;

    /// Structured, validated notes of a transcript (lines in any order; they are
    /// taken in time order, timestamps relative to the earliest line).
    async fn meeting_notes(
        &self,
        transcript: &[TranscriptLine],
    ) -> Result<MeetingNotes, SummaryError>;

    /// One paragraph about a chat.
    async fn chat_summary(&self, chat: &[ChatLine]) -> Result<String, SummaryError>;
}

/// A line of either kind, as the summarizers read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// Seconds since the earliest line.
    pub offset: i64,
    /// Who said or wrote it.
    pub speaker: &'a str,
    /// What was said or written.
    pub text: &'a str,
}

/// Non-blank lines in time order (stable for equal times), with offsets from
/// the earliest; `EmptyInput` when there are none.
pub(crate) fn ordered<'a>(
    lines: impl IntoIterator<Item = (&'a str, &'a str, DateTime<Utc>)>,
) -> Result<Vec<Line<'a>>, SummaryError> {
    let mut kept: Vec<_> = lines
        .into_iter()
        .filter(|(_, text, _)| !text.trim().is_empty())
        .collect();
    kept.sort_by_key(|(_, _, at)| *at);
    let first = kept.first().ok_or(SummaryError::EmptyInput)?.2;
    Ok(kept
        .into_iter()
        .map(|(speaker, text, at)| Line {
            offset: (at - first).num_seconds().max(0),
            speaker: match speaker.trim() {
                "" => "Unknown speaker",
                name => name,
            },
            text: text.trim(),
        })
        .collect())
}

/// Transcript lines as [`Line`]s.
pub(crate) fn transcript_lines(lines: &[TranscriptLine]) -> Result<Vec<Line<'_>>, SummaryError> {
    ordered(
        lines
            .iter()
            .map(|l| (l.user_name.as_str(), l.message.as_str(), l.at)),
    )
}

/// Chat lines as [`Line`]s.
pub(crate) fn chat_lines(lines: &[ChatLine]) -> Result<Vec<Line<'_>>, SummaryError> {
    ordered(
        lines
            .iter()
            .map(|l| (l.user_name.as_str(), l.message.as_str(), l.at)),
    )
}
