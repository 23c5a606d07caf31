//! Notes and chat summaries from OpenAI or Azure OpenAI (chat completions in JSON
//! mode, through `async-openai`). A reply that is not valid notes is asked for once
//! more, then reported; it is never stored. Long transcripts go in parts that each
//! fit `chunk_tokens`, and the parts' notes are merged.

use async_openai::Client;
use async_openai::config::{AzureConfig, OpenAIConfig};
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequest, ResponseFormat,
};
use async_trait::async_trait;
use serde::Deserialize;

use super::chunk::chunks;
use super::notes::MeetingNotes;
use super::{ChatLine, Summarizer, SummaryError, TranscriptLine};

/// Transcript tokens sent per request by default.
pub const DEFAULT_CHUNK_TOKENS: usize = 12_000;

const NOTES_PROMPT: &str = "You analyze a meeting transcript and produce structured meeting notes.\n\
Output ONLY valid JSON (no extra text or markdown) with exactly these fields:\n\
title: brief meeting title; summary: one paragraph of key outcomes; highlights: 3-6 important points;\n\
chapters: array of {\"timestamp\": \"MM:SS\", \"title\": ..., \"bullets\": [...]};\n\
decisions: decisions made, with who agreed; actions: array of {\"action\": ..., \"assignee\": ..., \"due_date\": ...};\n\
qna: array of {\"question\": ..., \"answer\": ...}; participants: array of {\"name\": ..., \"role\": ...};\n\
topics: list of topics; keywords: list of keywords; ambiguities: items needing clarification.\n\
Preserve the transcript's [MM:SS] timestamps for chapters. Use empty arrays, 'Unassigned' or \
'Not specified' when data is missing. Do NOT hallucinate: use only information from the transcript. \
Infer participant roles from context when possible.";

const CHAT_PROMPT: &str = "You summarize a chat conversation clearly, concisely and professionally.\n\
Identify key participants, intentions and main topics. Remove filler words, typos and irrelevant small \
talk. Clarify confusing statements where possible; mention ambiguities clearly rather than guessing.\n\
Reply with ONLY a JSON object {\"summary\": \"<one short paragraph>\"}.";

/// Where the service is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenAiSettings {
    /// OpenAI or any OpenAI-compatible service.
    OpenAi {
        /// API base, e.g. `https://api.openai.com/v1`.
        api_base: String,
        /// API key.
        api_key: String,
        /// Model name.
        model: String,
    },
    /// Azure OpenAI.
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

enum Backend {
    OpenAi(Client<OpenAIConfig>),
    Azure(Client<AzureConfig>),
}

/// The OpenAI / Azure OpenAI summarizer.
pub struct OpenAiSummarizer {
    backend: Backend,
    model: String,
    chunk_tokens: usize,
}

impl OpenAiSummarizer {
    /// A summarizer for `settings`.
    pub fn new(settings: OpenAiSettings) -> Self {
        match settings {
            OpenAiSettings::OpenAi {
                api_base,
                api_key,
                model,
            } => Self {
                backend: Backend::OpenAi(Client::with_config(
                    OpenAIConfig::new()
                        .with_api_base(api_base)
                        .with_api_key(api_key),
                )),
                model,
                chunk_tokens: DEFAULT_CHUNK_TOKENS,
            },
            OpenAiSettings::Azure {
                endpoint,
                deployment,
                api_version,
                api_key,
            } => Self {
                backend: Backend::Azure(Client::with_config(
                    AzureConfig::new()
                        .with_api_base(endpoint)
                        .with_deployment_id(deployment.clone())
                        .with_api_version(api_version)
                        .with_api_key(api_key),
                )),
                model: deployment,
                chunk_tokens: DEFAULT_CHUNK_TOKENS,
            },
        }
    }

    /// The same summarizer sending at most `tokens` of transcript per request.
    pub fn with_chunk_tokens(mut self, tokens: usize) -> Self {
        self.chunk_tokens = tokens.max(100);
        self
    }

    async fn complete(&self, system: &str, user: String) -> Result<String, SummaryError> {
        let request = CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: vec![
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                    content: system.into(),
                    name: None,
                }),
                ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                    content: user.into(),
                    name: None,
                }),
            ],
            response_format: Some(ResponseFormat::JsonObject),
            ..Default::default()
        };
        let response = match &self.backend {
            Backend::OpenAi(client) => client.chat().create(request).await,
            Backend::Azure(client) => client.chat().create(request).await,
        }
        .map_err(|e| SummaryError::Upstream(e.to_string()))?;
        response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| SummaryError::InvalidReply("the reply had no content".into()))
    }

    /// Asks for notes of one part, once more when the reply is not valid notes.
    async fn notes_for(&self, part: String) -> Result<MeetingNotes, SummaryError> {
        let mut last = SummaryError::InvalidReply("no reply".into());
        for _ in 0..2 {
            let reply = self.complete(NOTES_PROMPT, part.clone()).await?;
            match serde_json::from_str::<MeetingNotes>(&reply)
                .map_err(|e| SummaryError::InvalidReply(e.to_string()))
                .and_then(MeetingNotes::normalize)
            {
                Ok(notes) => return Ok(notes),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

#[derive(Deserialize)]
struct ChatReply {
    summary: String,
}

#[async_trait]
impl Summarizer for OpenAiSummarizer {
    fn name(&self) -> &'static str {
        match self.backend {
            Backend::OpenAi(_) => "openai",
            Backend::Azure(_) => "azure-openai",
        }
    }

    async fn meeting_notes(
        &self,
        transcript: &[TranscriptLine],
    ) -> Result<MeetingNotes, SummaryError> {
        let parts = chunks(transcript, self.chunk_tokens);
        if parts.is_empty() {
            return Err(SummaryError::EmptyInput);
        }
        let mut notes = Vec::with_capacity(parts.len());
        for part in parts {
            notes.push(self.notes_for(part).await?);
        }
        MeetingNotes::merge(notes).ok_or(SummaryError::EmptyInput)
    }

    async fn chat_summary(&self, chat: &[ChatLine]) -> Result<String, SummaryError> {
        if chat.is_empty() {
            return Err(SummaryError::EmptyInput);
        }
        let text: String = chat
            .iter()
            .map(|c| format!("{}: {}\n", c.user_name, c.message))
            .collect();
        let mut last = SummaryError::InvalidReply("no reply".into());
        for _ in 0..2 {
            let reply = self.complete(CHAT_PROMPT, text.clone()).await?;
            match serde_json::from_str::<ChatReply>(&reply) {
                Ok(r) if !r.summary.trim().is_empty() => return Ok(r.summary),
                Ok(_) => last = SummaryError::InvalidReply("empty summary".into()),
                Err(e) => last = SummaryError::InvalidReply(e.to_string()),
            }
        }
        Err(last)
    }
}
