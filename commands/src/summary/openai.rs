//! Notes and chat summaries from OpenAI, an OpenAI-compatible service or Azure
//! OpenAI: chat completions in JSON mode through `async-openai`.
//!
//! Input goes in parts of at most `chunk_tokens` estimated tokens (one request
//! each, in order); the parts' notes are merged by [`merge_parts`]. A reply that
//! is not valid notes is asked for once more, with what was wrong; a second bad
//! reply is an error, never notes. Rate limits and server errors are retried by
//! `async-openai` itself (three times, with backoff); the whole call is bounded by
//! a timeout.

use std::fmt;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::{AzureConfig, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequest, ResponseFormat,
};
use async_trait::async_trait;
use serde::Deserialize;

use super::chunk::{MIN_BUDGET_TOKENS, Part, parts};
use super::merge::merge_parts;
use super::notes::{MeetingNotes, format_timestamp, parse_timestamp};
use super::prompts::{CHAT_SUMMARY_PROMPT, MEETING_NOTES_PROMPT, RETRY_PROMPT};
use super::{ChatLine, Summarizer, SummaryError, TranscriptLine, chat_lines, transcript_lines};

/// Estimated tokens of transcript (or chat) per request, by default.
pub const DEFAULT_CHUNK_TOKENS: usize = 12_000;
/// Longest wait for one reply, retries by `async-openai` included, by default.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Tokens of each budget kept for the "Part i of n." line.
const HEADER_TOKENS: usize = 16;
/// How far a chapter may start outside the time range of its part.
const CHAPTER_SLACK_SECS: i64 = 60;
/// Longest error text kept from the service.
const MAX_ERROR_CHARS: usize = 500;

/// Which service to use and how to reach it. The server fills this from its
/// environment; nothing here reads environment variables. `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub enum OpenAiSettings {
    /// OpenAI or any OpenAI-compatible service (`Authorization: Bearer` key).
    OpenAi {
        /// API base, e.g. `https://api.openai.com/v1`.
        api_base: String,
        /// API key.
        api_key: String,
        /// Model name, e.g. `gpt-4o-mini`.
        model: String,
    },
    /// Azure OpenAI (`api-key` header, deployment in the path, `api-version`
    /// query parameter).
    Azure {
        /// Resource endpoint, e.g. `https://NAME.openai.azure.com`.
        endpoint: String,
        /// Deployment name.
        deployment: String,
        /// API version, e.g. `2024-10-21`.
        api_version: String,
        /// API key.
        api_key: String,
    },
}

impl fmt::Debug for OpenAiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OpenAi {
                api_base, model, ..
            } => f
                .debug_struct("OpenAi")
                .field("api_base", api_base)
                .field("api_key", &"[redacted]")
                .field("model", model)
                .finish(),
            Self::Azure {
                endpoint,
                deployment,
                api_version,
                ..
            } => f
                .debug_struct("Azure")
                .field("endpoint", endpoint)
                .field("deployment", deployment)
                .field("api_version", api_version)
                .field("api_key", &"[redacted]")
                .finish(),
        }
    }
}

enum Backend {
    OpenAi(Client<OpenAIConfig>),
    Azure(Client<AzureConfig>),
}

/// The OpenAI / Azure OpenAI summarizer.
pub struct OpenAiSummarizer {
    /// The client, or why the settings cannot work (reported by every call).
    backend: Result<Backend, SummaryError>,
    name: &'static str,
    /// Model name (OpenAI) or deployment name (Azure, where it is ignored).
    model: String,
    /// Kept to blank it out of error messages.
    api_key: String,
    chunk_tokens: usize,
    timeout: Duration,
}

impl fmt::Debug for OpenAiSummarizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiSummarizer")
            .field("name", &self.name)
            .field("model", &self.model)
            .field("chunk_tokens", &self.chunk_tokens)
            .field("timeout", &self.timeout)
            .field("configured", &self.backend.is_ok())
            .finish_non_exhaustive()
    }
}

fn misconfigured(message: String) -> SummaryError {
    SummaryError::Configuration(message)
}

/// The key, trimmed, when it can be sent as an HTTP header value.
fn checked_key(key: &str) -> Result<String, SummaryError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(misconfigured("the API key is empty".into()));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(misconfigured(
            "the API key has characters an HTTP header cannot carry".into(),
        ));
    }
    Ok(key.to_owned())
}

/// An `http(s)://` base without the trailing slash.
fn checked_base(what: &str, base: &str) -> Result<String, SummaryError> {
    let base = base.trim().trim_end_matches('/');
    if !(base.starts_with("https://") || base.starts_with("http://")) || base.contains(' ') {
        return Err(misconfigured(format!(
            "the {what} must be an http(s) URL, not {base:?}"
        )));
    }
    Ok(base.to_owned())
}

/// A name that can stand in a URL path or query as is.
fn checked_segment(what: &str, value: &str) -> Result<String, SummaryError> {
    let value = value.trim();
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(misconfigured(format!(
            "the {what} must be letters, digits, '.', '_' or '-', not {value:?}"
        )));
    }
    Ok(value.to_owned())
}

fn backend(settings: &OpenAiSettings) -> Result<Backend, SummaryError> {
    Ok(match settings {
        OpenAiSettings::OpenAi {
            api_base,
            api_key,
            model,
        } => {
            if model.trim().is_empty() {
                return Err(misconfigured("the model is empty".into()));
            }
            // Org and project ids are set to nothing so that no OPENAI_* variable
            // of the process ends up in the requests.
            Backend::OpenAi(Client::with_config(
                OpenAIConfig::new()
                    .with_api_base(checked_base("API base", api_base)?)
                    .with_api_key(checked_key(api_key)?)
                    .with_org_id("")
                    .with_project_id(""),
            ))
        }
        OpenAiSettings::Azure {
            endpoint,
            deployment,
            api_version,
            api_key,
        } => Backend::Azure(Client::with_config(
            AzureConfig::new()
                .with_api_base(checked_base("Azure endpoint", endpoint)?)
                .with_deployment_id(checked_segment("deployment", deployment)?)
                .with_api_version(checked_segment("API version", api_version)?)
                .with_api_key(checked_key(api_key)?),
        )),
    })
}

fn system(content: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
        content: content.into(),
        name: None,
    })
}

fn user(content: String) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
        content: content.into(),
        name: None,
    })
}

/// At most `max` characters of `s`.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_owned(),
    }
}

/// The reply without a Markdown code fence around it, should there be one.
fn unfenced(reply: &str) -> &str {
    let reply = reply.trim();
    match reply.strip_prefix("```") {
        Some(rest) => rest
            .trim_start_matches("json")
            .trim_end()
            .trim_end_matches("```")
            .trim(),
        None => reply,
    }
}

/// Notes of one part, normalised and validated, with chapters inside the
/// part's time range (give or take a minute).
fn part_notes(reply: &str, part: &Part) -> Result<MeetingNotes, String> {
    let notes: MeetingNotes = serde_json::from_str(unfenced(reply))
        .map_err(|e| format!("it is not the meeting-notes JSON object ({e})"))?;
    let notes = notes.normalized().map_err(|e| e.to_string())?;
    let (from, to) = (
        part.first - CHAPTER_SLACK_SECS,
        part.last + CHAPTER_SLACK_SECS,
    );
    if let Some(c) = notes
        .chapters
        .iter()
        .find(|c| parse_timestamp(&c.timestamp).is_some_and(|at| !(from..=to).contains(&at)))
    {
        return Err(format!(
            "chapter {:?} at {} lies outside the transcript's times ({} to {})",
            c.title,
            c.timestamp,
            format_timestamp(part.first),
            format_timestamp(part.last)
        ));
    }
    Ok(notes)
}

#[derive(Deserialize)]
struct ChatReply {
    summary: String,
}

fn chat_paragraph(reply: &str) -> Result<String, String> {
    let reply: ChatReply = serde_json::from_str(unfenced(reply))
        .map_err(|e| format!("it is not a JSON object {{\"summary\": \"...\"}} ({e})"))?;
    let paragraph = reply
        .summary
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if paragraph.is_empty() {
        return Err("the summary is empty".into());
    }
    Ok(paragraph)
}

/// The user messages for `parts`: the part alone, or headed "Part i of n.".
fn user_messages(parts: &[Part]) -> impl Iterator<Item = (String, &Part)> {
    let n = parts.len();
    parts.iter().enumerate().map(move |(i, part)| {
        let text = if n == 1 {
            part.text.clone()
        } else {
            format!("Part {} of {n}.\n{}", i + 1, part.text)
        };
        (text, part)
    })
}

impl OpenAiSummarizer {
    /// A summarizer for `settings`. Settings that cannot work (an empty or
    /// malformed key, a base that is not a URL, ...) are reported by every call
    /// as [`SummaryError::Configuration`]; [`OpenAiSummarizer::try_new`] reports
    /// them at once.
    pub fn new(settings: OpenAiSettings) -> Self {
        let (name, model, api_key) = match &settings {
            OpenAiSettings::OpenAi { model, api_key, .. } => ("openai", model, api_key),
            OpenAiSettings::Azure {
                deployment,
                api_key,
                ..
            } => ("azure-openai", deployment, api_key),
        };
        Self {
            backend: backend(&settings),
            name,
            model: model.trim().to_owned(),
            api_key: api_key.trim().to_owned(),
            chunk_tokens: DEFAULT_CHUNK_TOKENS,
            timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// A summarizer for `settings`, or why they cannot work.
    pub fn try_new(settings: OpenAiSettings) -> Result<Self, SummaryError> {
        let summarizer = Self::new(settings);
        match &summarizer.backend {
            Ok(_) => Ok(summarizer),
            Err(e) => Err(e.clone()),
        }
    }

    /// The same summarizer sending at most `tokens` estimated tokens of
    /// transcript or chat per request (at least 216).
    pub fn with_chunk_tokens(mut self, tokens: usize) -> Self {
        self.chunk_tokens = tokens.max(MIN_BUDGET_TOKENS + HEADER_TOKENS);
        self
    }

    /// The same summarizer waiting at most `timeout` for each reply.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The token budget of each request's user message.
    pub fn chunk_tokens(&self) -> usize {
        self.chunk_tokens
    }

    /// The service's error, with the API key blanked out and the text clipped.
    fn upstream(&self, error: OpenAIError) -> SummaryError {
        let (status, message) = match error {
            OpenAIError::ApiError(e) => (Some(e.status_code.as_u16()), e.api_error.to_string()),
            OpenAIError::Reqwest(e) => (
                e.status().map(|s| s.as_u16()),
                format!("the service could not be reached: {e}"),
            ),
            OpenAIError::JSONDeserialize(e, _) => (
                None,
                format!("the service's answer was not a chat completion: {e}"),
            ),
            other => (None, other.to_string()),
        };
        let message = if self.api_key.len() >= 4 {
            message.replace(&self.api_key, "[redacted]")
        } else {
            message
        };
        SummaryError::Upstream {
            status,
            message: clip(&message, MAX_ERROR_CHARS),
        }
    }

    /// One chat completion in JSON mode; its text, if it has any.
    async fn complete(
        &self,
        messages: Vec<ChatCompletionRequestMessage>,
    ) -> Result<Option<String>, SummaryError> {
        let backend = self.backend.as_ref().map_err(Clone::clone)?;
        let request = CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            response_format: Some(ResponseFormat::JsonObject),
            ..Default::default()
        };
        let call = async {
            match backend {
                Backend::OpenAi(client) => client.chat().create(request).await,
                Backend::Azure(client) => client.chat().create(request).await,
            }
        };
        let response = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| SummaryError::Timeout(self.timeout))?
            .map_err(|e| self.upstream(e))?;
        Ok(response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content))
    }

    /// Asks with `prompt` and `input`; a reply `accept` refuses is asked for once
    /// more, told what was wrong, and a second refusal is an error.
    async fn ask<T>(
        &self,
        prompt: &str,
        input: String,
        accept: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, SummaryError> {
        let mut messages = vec![system(prompt), user(input)];
        let mut reason = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tracing::warn!(summarizer = self.name, %reason, "asking again after an invalid reply");
                messages.push(user(RETRY_PROMPT.replace("{reason}", &reason)));
            }
            let reply = self.complete(messages.clone()).await?;
            match reply
                .ok_or_else(|| "the reply had no content".to_owned())
                .and_then(|r| accept(&r))
            {
                Ok(value) => return Ok(value),
                Err(why) => reason = clip(&why, 300),
            }
        }
        Err(SummaryError::InvalidReply(reason))
    }
}

#[async_trait]
impl Summarizer for OpenAiSummarizer {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn meeting_notes(
        &self,
        transcript: &[TranscriptLine],
    ) -> Result<MeetingNotes, SummaryError> {
        let lines = transcript_lines(transcript)?;
        let parts = parts(&lines, self.chunk_tokens - HEADER_TOKENS);
        let mut notes = Vec::with_capacity(parts.len());
        for (input, part) in user_messages(&parts) {
            notes.push(
                self.ask(MEETING_NOTES_PROMPT, input, |reply| part_notes(reply, part))
                    .await?,
            );
        }
        merge_parts(notes)
    }

    /// One paragraph per part, joined in order when the chat needed several.
    async fn chat_summary(&self, chat: &[ChatLine]) -> Result<String, SummaryError> {
        let lines = chat_lines(chat)?;
        let parts = parts(&lines, self.chunk_tokens - HEADER_TOKENS);
        let mut paragraphs = Vec::with_capacity(parts.len());
        for (input, _) in user_messages(&parts) {
            paragraphs.push(self.ask(CHAT_SUMMARY_PROMPT, input, chat_paragraph).await?);
        }
        Ok(paragraphs.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openai(key: &str, base: &str) -> OpenAiSettings {
        OpenAiSettings::OpenAi {
            api_base: base.into(),
            api_key: key.into(),
            model: "m".into(),
        }
    }

    #[test]
    fn settings_that_cannot_work_are_reported_without_the_key() {
        for bad in [
            openai("", "https://api.openai.com/v1"),
            openai("sk-line\nbreak", "https://api.openai.com/v1"),
            openai("sk-ok", "api.openai.com"),
            OpenAiSettings::Azure {
                endpoint: "https://x.openai.azure.com/".into(),
                deployment: "a/b".into(),
                api_version: "2024-10-21".into(),
                api_key: "k".into(),
            },
        ] {
            let error = OpenAiSummarizer::try_new(bad).unwrap_err();
            assert!(matches!(error, SummaryError::Configuration(_)), "{error}");
            assert!(!error.to_string().contains("sk-"), "{error}");
        }
        let fine = openai(" sk-secret ", "https://api.openai.com/v1/");
        assert!(!format!("{fine:?}").contains("sk-secret"));
        let summarizer = OpenAiSummarizer::try_new(fine).unwrap();
        assert!(!format!("{summarizer:?}").contains("sk-secret"));
        assert_eq!(summarizer.name(), "openai");
        assert_eq!(summarizer.with_chunk_tokens(1).chunk_tokens(), 216);
    }

    #[test]
    fn replies_are_parsed_strictly_but_fences_are_tolerated() {
        assert_eq!(
            chat_paragraph("```json\n{\"summary\": \"One\\n two.\"}\n```"),
            Ok("One two.".to_owned())
        );
        assert!(chat_paragraph("{\"summary\": \" \"}").is_err());
        assert!(chat_paragraph("Sure! Here it is").is_err());
        let part = Part {
            text: String::new(),
            first: 600,
            last: 1200,
        };
        let notes = |at: &str| {
            serde_json::json!({
                "title": "T", "summary": "S", "highlights": ["h"],
                "chapters": [{ "timestamp": at, "title": "C", "bullets": [] }]
            })
            .to_string()
        };
        assert!(part_notes(&notes("10:30"), &part).is_ok());
        assert!(part_notes(&notes("9:30"), &part).is_ok());
        let early = part_notes(&notes("00:00"), &part).unwrap_err();
        assert!(early.contains("outside"), "{early}");
        assert!(part_notes("{\"title\": 1}", &part).is_err());
    }
}
