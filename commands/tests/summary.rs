//! Both summarizers on a realistic 30-minute meeting: the offline one finds what
//! was planted in it; the OpenAI one is driven against a local OpenAI-compatible
//! stand-in that checks every request it receives.

use std::sync::{Arc, Mutex};

use altegon_commands::summary::{
    ChatLine, MeetingNotes, OfflineSummarizer, OpenAiSettings, OpenAiSummarizer, Summarizer,
    SummaryError, TranscriptLine,
};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureLine {
    user_name: String,
    message: String,
    at: DateTime<Utc>,
}

fn meeting() -> Vec<TranscriptLine> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/meeting-30min.json"
    );
    let lines: Vec<FixtureLine> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    lines
        .into_iter()
        .map(|l| TranscriptLine {
            user_name: l.user_name,
            message: l.message,
            at: l.at,
        })
        .collect()
}

#[tokio::test]
async fn the_offline_summarizer_finds_what_the_meeting_contained() {
    let lines = meeting();
    let notes = OfflineSummarizer.meeting_notes(&lines).await.unwrap();
    let again = OfflineSummarizer.meeting_notes(&lines).await.unwrap();
    assert_eq!(notes, again, "deterministic");

    let names: Vec<_> = notes.participants.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Faheem", "Shah", "Aisha"]);
    assert!(notes.participants.iter().any(|p| p.role == "Host"));

    let action = |needle: &str| {
        notes
            .actions
            .iter()
            .find(|a| a.action.contains(needle))
            .unwrap_or_else(|| panic!("no action about {needle}: {:#?}", notes.actions))
    };
    let script = action("test script that replays");
    assert_eq!(script.assignee, "Aisha");
    let check = action("check with the team lead");
    assert_eq!(
        (check.assignee.as_str(), check.due_date.as_str()),
        ("Faheem", "Friday")
    );
    let plan = action("migration plan");
    assert_eq!(
        (plan.assignee.as_str(), plan.due_date.as_str()),
        ("Shah", "End of the month")
    );
    assert_eq!(action("ready by Wednesday").due_date, "Wednesday");
    assert_eq!(
        action("follow up with the finance team").due_date,
        "Tomorrow"
    );

    assert!(
        notes
            .decisions
            .iter()
            .any(|d| d.contains("keep the current speech model"))
    );
    assert!(
        notes
            .decisions
            .iter()
            .any(|d| d.contains("event subscription for invoices"))
    );
    let phase_one = notes
        .qna
        .iter()
        .find(|q| q.question.contains("phase one"))
        .expect("the phase-one question");
    assert!(phase_one.answer.contains("team lead"));
    assert!(
        notes
            .ambiguities
            .iter()
            .any(|a| a.contains("to be decided") || a.contains("unclear"))
    );

    // A chapter starts after the long pause, at the billing topic.
    assert!(notes.chapters.len() >= 2, "{:#?}", notes.chapters);
    assert_eq!(notes.chapters[0].timestamp, "00:00");
    assert!(
        notes.chapters.iter().any(|c| c.timestamp == "18:00"),
        "{:#?}",
        notes.chapters
    );
    assert!(notes.keywords.iter().any(|k| k == "chunking"));
    assert!(!notes.summary.is_empty() && notes.highlights.len() <= 6);
}

#[tokio::test]
async fn the_offline_chat_summary_names_people_and_topics() {
    let at = Utc::now();
    let chat: Vec<ChatLine> = [
        ("John", "Hello everyone! Shall we review the launch plan?"),
        ("Mary", "Yes, the launch plan needs a firm date."),
    ]
    .into_iter()
    .map(|(u, m)| ChatLine {
        user_name: u.into(),
        message: m.into(),
        at,
    })
    .collect();
    let summary = OfflineSummarizer.chat_summary(&chat).await.unwrap();
    assert!(
        summary.contains("John") && summary.contains("Mary") && summary.contains("launch"),
        "{summary}"
    );
    assert_eq!(
        OfflineSummarizer.chat_summary(&[]).await,
        Err(SummaryError::EmptyInput)
    );
}

/// What the stand-in replies, in turn, and what it saw.
#[derive(Default)]
struct StandIn {
    replies: Vec<String>,
    requests: Vec<(HeaderMap, Option<String>, Value)>,
}

fn valid_notes(title: &str, timestamp: &str) -> String {
    json!({
        "title": title, "summary": format!("{title} summary."),
        "highlights": [format!("{title} highlight")],
        "chapters": [{ "timestamp": timestamp, "title": title, "bullets": ["point"] }],
        "decisions": [], "actions": [{ "action": "Do it", "assignee": "", "due_date": "" }],
        "qna": [], "participants": [{ "name": "Faheem", "role": "Technical Lead" }],
        "topics": [title], "keywords": [title.to_lowercase()], "ambiguities": []
    })
    .to_string()
}

async fn stand_in(replies: Vec<String>) -> (String, Arc<Mutex<StandIn>>) {
    #[derive(Deserialize)]
    struct Version {
        #[serde(rename = "api-version")]
        api_version: Option<String>,
    }
    async fn complete(
        State(state): State<Arc<Mutex<StandIn>>>,
        Query(version): Query<Version>,
        headers: HeaderMap,
        body: axum::Json<Value>,
    ) -> axum::Json<Value> {
        let mut s = state.lock().unwrap();
        let content = if s.replies.is_empty() {
            "{}".to_owned()
        } else {
            s.replies.remove(0)
        };
        s.requests.push((headers, version.api_version, body.0));
        axum::Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{ "index": 0, "finish_reason": "stop", "message": { "role": "assistant", "content": content } }]
        }))
    }
    let state = Arc::new(Mutex::new(StandIn {
        replies,
        requests: vec![],
    }));
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(complete))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(complete),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

fn openai(base: &str) -> OpenAiSummarizer {
    OpenAiSummarizer::new(OpenAiSettings::OpenAi {
        api_base: format!("{base}/v1"),
        api_key: "sk-test".into(),
        model: "gpt-test".into(),
    })
}

#[tokio::test]
async fn openai_notes_are_requested_in_json_mode_and_validated() {
    let (base, seen) = stand_in(vec![valid_notes("Chunking", "00:00")]).await;
    let notes: MeetingNotes = openai(&base).meeting_notes(&meeting()).await.unwrap();
    assert_eq!(notes.title, "Chunking");
    assert_eq!(notes.actions[0].assignee, "Unassigned");
    assert_eq!(notes.actions[0].due_date, "No due date");
    let s = seen.lock().unwrap();
    assert_eq!(s.requests.len(), 1);
    let (headers, _, body) = &s.requests[0];
    assert_eq!(headers["authorization"], "Bearer sk-test");
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["response_format"]["type"], "json_object");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(
        body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Output ONLY valid JSON")
    );
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.starts_with("[00:00] Faheem: Good morning"));
    assert!(user.contains("[18:00] Shah: Let's move on to the billing dashboard"));
}

#[tokio::test]
async fn an_invalid_reply_is_retried_once_then_reported() {
    let (base, seen) = stand_in(vec!["not json".into(), valid_notes("Second try", "00:00")]).await;
    let notes = openai(&base).meeting_notes(&meeting()).await.unwrap();
    assert_eq!(notes.title, "Second try");
    assert_eq!(seen.lock().unwrap().requests.len(), 2);

    let bad_timestamp = valid_notes("Bad", "3 minutes");
    let (base, seen) = stand_in(vec!["{\"title\": 1}".into(), bad_timestamp]).await;
    let result = openai(&base).meeting_notes(&meeting()).await;
    assert!(
        matches!(result, Err(SummaryError::InvalidReply(_))),
        "{result:?}"
    );
    assert_eq!(seen.lock().unwrap().requests.len(), 2);
}

#[tokio::test]
async fn a_long_transcript_is_sent_in_parts_and_the_notes_merged() {
    let replies = (0..20)
        .map(|i| valid_notes(&format!("Part{i}"), &format!("{:02}:00", i * 5)))
        .collect();
    let (base, seen) = stand_in(replies).await;
    let budget = 300;
    let notes = openai(&base)
        .with_chunk_tokens(budget)
        .meeting_notes(&meeting())
        .await
        .unwrap();
    let s = seen.lock().unwrap();
    assert!(s.requests.len() >= 3, "{} requests", s.requests.len());
    for (_, _, body) in &s.requests {
        let user = body["messages"][1]["content"].as_str().unwrap();
        assert!(user.chars().count().div_ceil(4) <= budget);
    }
    assert_eq!(notes.title, "Part0");
    assert_eq!(notes.chapters.len(), s.requests.len());
    assert_eq!(notes.participants.len(), 1);
    assert!(notes.highlights.len() <= 6);
}

#[tokio::test]
async fn azure_requests_name_the_deployment_version_and_key() {
    let (base, seen) = stand_in(vec![
        json!({ "summary": "John and Mary planned the launch." }).to_string(),
    ])
    .await;
    let azure = OpenAiSummarizer::new(OpenAiSettings::Azure {
        endpoint: base,
        deployment: "notes-deployment".into(),
        api_version: "2024-10-21".into(),
        api_key: "azure-key".into(),
    });
    let chat = vec![ChatLine {
        user_name: "John".into(),
        message: "Launch in March?".into(),
        at: Utc::now(),
    }];
    assert_eq!(
        azure.chat_summary(&chat).await.unwrap(),
        "John and Mary planned the launch."
    );
    let s = seen.lock().unwrap();
    let (headers, version, _) = &s.requests[0];
    assert_eq!(headers["api-key"], "azure-key");
    assert_eq!(version.as_deref(), Some("2024-10-21"));
}
