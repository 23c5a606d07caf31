//! Meeting notes and chat summaries. A [`Summarizer`] turns decrypted transcript
//! lines into [`MeetingNotes`] (the reference's structure, validated) and chat
//! messages into a paragraph. Two implementations: [`OfflineSummarizer`], built in
//! and deterministic (the embedded default), and [`OpenAiSummarizer`] for OpenAI or
//! Azure OpenAI. Both chunk long input and merge the parts.

mod chunk;
mod notes;
mod offline;
mod openai;
mod text;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use notes::{Action, Chapter, MeetingNotes, Participant, Qna};
pub use offline::OfflineSummarizer;
pub use openai::{OpenAiSettings, OpenAiSummarizer};

/// One decrypted transcript line.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptLine {
    /// Who spoke.
    pub user_name: String,
    /// What was said.
    pub message: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatLine {
    /// Who wrote it.
    pub user_name: String,
    /// What was written.
    pub message: String,
    /// When it was posted.
    pub at: DateTime<Utc>,
}

/// Why no summary was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    /// There was nothing to summarize.
    #[error("nothing to summarize")]
    EmptyInput,
    /// The summarization service failed.
    #[error("summarization service failed: {0}")]
    Upstream(String),
    /// The service's reply was not valid notes, also after a retry.
    #[error("summarization service replied with invalid notes: {0}")]
    InvalidReply(String),
}

/// Writes meeting notes and chat summaries.
#[async_trait]
pub trait Summarizer: Send + Sync {
    /// A short name, stored with the notes.
    fn name(&self) -> &'static str;

    /// Structured notes of a transcript.
    async fn meeting_notes(
        &self,
        transcript: &[TranscriptLine],
    ) -> Result<MeetingNotes, SummaryError>;

    /// One paragraph about a chat.
    async fn chat_summary(&self, chat: &[ChatLine]) -> Result<String, SummaryError>;
}
