//! The OpenAI summarizer against a local OpenAI-compatible stand-in (axum on
//! 127.0.0.1:0, no real network). The stand-in checks every request it receives
//! (path, model or deployment, `api-version`, the key header, system and user
//! messages, JSON mode) and refuses a wrong one with 400; it replies with canned
//! completions or errors, in turn.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use altegon_commands::summary::{
    CHAT_SUMMARY_PROMPT, ChatLine, DEFAULT_CHUNK_TOKENS, MEETING_NOTES_PROMPT, OpenAiSettings,
    OpenAiSummarizer, RETRY_PROMPT, Summarizer, SummaryError, TranscriptLine, estimate_tokens,
    format_timestamp, parse_timestamp,
};
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{Duration as Span, TimeZone, Utc};
use serde_json::{Value, json};

const OPENAI_KEY: &str = "sk-test-0123456789abcdef";
const AZURE_KEY: &str = "azure-test-key-0123456789";

fn meeting() -> Vec<TranscriptLine> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/meeting-30min.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture"))
        .expect("fixture lines")
}

/// What the stand-in expects of every request.
#[derive(Clone)]
enum Expect {
    OpenAi {
        model: &'static str,
    },
    Azure {
        deployment: &'static str,
        version: &'static str,
    },
}

/// One reply of the stand-in.
enum Reply {
    /// A completion with this message content.
    Content(String),
    /// An error status with this body.
    Status(u16, Value),
    /// A reply that comes too late.
    Slow(Duration),
}

/// A request the stand-in accepted.
struct Seen {
    path: String,
    body: Value,
}

type Responder = Box<dyn Fn(&Value) -> Reply + Send + Sync>;

struct StandIn {
    expect: Expect,
    script: Mutex<VecDeque<Reply>>,
    /// Replies once the script is used up.
    fallback: Responder,
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
}

impl StandIn {
    fn seen(&self) -> Vec<(String, Value)> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|s| (s.path.clone(), s.body.clone()))
            .collect()
    }
    fn problems(&self) -> Vec<String> {
        self.problems.lock().expect("lock").clone()
    }
    fn user_messages(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|(_, b)| {
                b["messages"][1]["content"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }
}

/// What is wrong with a request.
fn check(expect: &Expect, uri: &axum::http::Uri, headers: &HeaderMap, body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut want = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    want(
        header("content-type") == Some("application/json"),
        "content-type is not JSON".into(),
    );
    match expect {
        Expect::OpenAi { model } => {
            want(
                uri.path() == "/v1/chat/completions",
                format!("path {}", uri.path()),
            );
            want(
                header("authorization") == Some(&format!("Bearer {OPENAI_KEY}")),
                "no Bearer key".into(),
            );
            want(header("api-key").is_none(), "an api-key header".into());
            want(body["model"] == *model, format!("model {}", body["model"]));
        }
        Expect::Azure {
            deployment,
            version,
        } => {
            want(
                uri.path() == format!("/openai/deployments/{deployment}/chat/completions"),
                format!("path {}", uri.path()),
            );
            want(
                uri.query() == Some(&format!("api-version={version}")),
                format!("query {:?}", uri.query()),
            );
            want(header("api-key") == Some(AZURE_KEY), "no api-key".into());
            want(
                header("authorization").is_none(),
                "an authorization header".into(),
            );
        }
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    want(messages.len() >= 2, format!("{} messages", messages.len()));
    if let [first, second, rest @ ..] = messages.as_slice() {
        let prompt = first["content"].as_str().unwrap_or("");
        want(
            first["role"] == "system"
                && (prompt == MEETING_NOTES_PROMPT || prompt == CHAT_SUMMARY_PROMPT),
            "the first message is not one of the system prompts".into(),
        );
        want(
            second["role"] == "user" && second["content"].as_str().is_some_and(|c| !c.is_empty()),
            "the second message is not the user's input".into(),
        );
        want(
            rest.iter().all(|m| m["role"] == "user"),
            "unexpected messages after the input".into(),
        );
    }
    want(
        body["response_format"] == json!({ "type": "json_object" }),
        format!("response_format {}", body["response_format"]),
    );
    want(
        body.get("stream").is_none_or(|s| *s == false),
        "streaming asked for".into(),
    );
    problems
}

async fn completions(
    State(stand_in): State<Arc<StandIn>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let problems = check(&stand_in.expect, &uri, &headers, &body);
    if !problems.is_empty() {
        let message = problems.join("; ");
        stand_in.problems.lock().expect("lock").extend(problems);
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": { "message": message, "type": "invalid_request_error" } })),
        )
            .into_response();
    }
    let next = stand_in.script.lock().expect("lock").pop_front();
    let reply = next.unwrap_or_else(|| (stand_in.fallback)(&body));
    stand_in.seen.lock().expect("lock").push(Seen {
        path: uri.path().to_owned(),
        body,
    });
    match reply {
        Reply::Content(content) => axum::Json(json!({
            "id": "chatcmpl-standin", "object": "chat.completion", "created": 1_760_000_000,
            "model": "stand-in",
            "choices": [{
                "index": 0, "finish_reason": "stop",
                "message": { "role": "assistant", "content": content }
            }],
            "usage": { "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2 }
        }))
        .into_response(),
        Reply::Status(status, body) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(body),
        )
            .into_response(),
        Reply::Slow(delay) => {
            tokio::time::sleep(delay).await;
            axum::Json(json!({})).into_response()
        }
    }
}

/// A stand-in listening on 127.0.0.1, and its base URL (`http://127.0.0.1:PORT`).
async fn start_stand_in(
    expect: Expect,
    script: Vec<Reply>,
    fallback: Responder,
) -> (String, Arc<StandIn>) {
    let state = Arc::new(StandIn {
        expect,
        script: Mutex::new(script.into()),
        fallback,
        seen: Mutex::default(),
        problems: Mutex::default(),
    });
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .route(
            "/openai/deployments/{deployment}/chat/completions",
            post(completions),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

fn no_more_replies() -> Responder {
    Box::new(|_| Reply::Status(500, json!({ "error": { "message": "no reply scripted" } })))
}

fn openai(base: &str) -> OpenAiSummarizer {
    OpenAiSummarizer::new(OpenAiSettings::OpenAi {
        api_base: format!("{base}/v1"),
        api_key: OPENAI_KEY.into(),
        model: "gpt-test".into(),
    })
}

const OPENAI: Expect = Expect::OpenAi { model: "gpt-test" };

/// Notes as the service would write them for the fixture meeting, with gaps the
/// summarizer fills (blank assignee, "N/A" due date).
fn valid_notes(title: &str, chapter_at: &str) -> String {
    json!({
        "title": title,
        "summary": format!("{title}: the team chose pause based chunking and event driven invoices."),
        "highlights": ["Pause based chunking wins on sentence accuracy.", "Invoices will follow storage events."],
        "chapters": [{ "timestamp": chapter_at, "title": title, "bullets": ["Chunking by word count breaks sentences."] }],
        "decisions": ["Keep the current speech model until the test results are in (Agreed by Shah)."],
        "actions": [
            { "action": "Build the chunking test script", "assignee": "Aisha", "due_date": "Wednesday" },
            { "action": "Update the batch runbook", "assignee": "", "due_date": "N/A" }
        ],
        "qna": [{ "question": "Which model was used in phase one?", "answer": "" }],
        "participants": [{ "name": "Faheem", "role": "Host" }, { "name": "Aisha", "role": "Engineer" }],
        "topics": ["Chunking"], "keywords": ["chunking"], "ambiguities": []
    })
    .to_string()
}

#[tokio::test]
async fn notes_are_requested_in_json_mode_and_normalised() {
    let (base, stand_in) = start_stand_in(
        OPENAI,
        vec![Reply::Content(valid_notes("Chunking review", "00:00"))],
        no_more_replies(),
    )
    .await;
    let summarizer = openai(&base);
    assert_eq!(summarizer.name(), "openai");
    let notes = summarizer.meeting_notes(&meeting()).await.expect("notes");
    assert_eq!(stand_in.problems(), Vec::<String>::new());
    assert_eq!(notes.title, "Chunking review");
    assert_eq!(notes.actions[1].assignee, "Unassigned");
    assert_eq!(notes.actions[1].due_date, "No due date");
    assert_eq!(notes.qna[0].answer, "Not specified");
    assert_eq!(notes.validate(), Ok(()));

    let seen = stand_in.seen();
    assert_eq!(seen.len(), 1);
    let (path, body) = &seen[0];
    assert_eq!(path, "/v1/chat/completions");
    assert_eq!(body["messages"][0]["content"], MEETING_NOTES_PROMPT);
    let input = &stand_in.user_messages()[0];
    let lines = meeting();
    assert_eq!(input.lines().count(), lines.len());
    assert!(input.starts_with("[00:00] Faheem: Good morning everyone"));
    let billing = lines
        .iter()
        .find(|l| l.message.contains("Let's move on"))
        .expect("the billing line");
    let stamp = format_timestamp((billing.at - lines[0].at).num_seconds());
    assert!(input.contains(&format!(
        "[{stamp}] Shah: Welcome Omar. Let's move on to the billing dashboard"
    )));
    assert!(!input.contains("Part 1 of"));
}

#[tokio::test]
async fn an_invalid_reply_is_asked_for_again_with_the_reason() {
    let (base, stand_in) = start_stand_in(
        OPENAI,
        vec![
            Reply::Content("Here are your notes: title Chunking".into()),
            Reply::Content(valid_notes("Second try", "00:00")),
        ],
        no_more_replies(),
    )
    .await;
    let notes = openai(&base)
        .meeting_notes(&meeting())
        .await
        .expect("notes");
    assert_eq!(notes.title, "Second try");
    assert_eq!(stand_in.problems(), Vec::<String>::new());
    let seen = stand_in.seen();
    assert_eq!(seen.len(), 2);
    let retry = &seen[1].1["messages"];
    assert_eq!(retry.as_array().map(Vec::len), Some(3));
    assert_eq!(retry[1], seen[0].1["messages"][1], "the same input again");
    let feedback = retry[2]["content"].as_str().unwrap_or("");
    let (before, after) = RETRY_PROMPT.split_once("{reason}").expect("a placeholder");
    assert!(feedback.starts_with(before) && feedback.ends_with(after));
    assert!(
        feedback.contains("not the meeting-notes JSON object"),
        "{feedback}"
    );
}

#[tokio::test]
async fn two_invalid_replies_are_an_error_and_no_notes() {
    let too_many_highlights = {
        let mut notes: Value = serde_json::from_str(&valid_notes("Many", "00:00")).expect("json");
        notes["highlights"] = json!(["1", "2", "3", "4", "5", "6", "7"]);
        notes.to_string()
    };
    let (base, stand_in) = start_stand_in(
        OPENAI,
        vec![
            Reply::Content("{\"title\": 1}".into()),
            Reply::Content(too_many_highlights),
        ],
        no_more_replies(),
    )
    .await;
    let result = openai(&base).meeting_notes(&meeting()).await;
    match result {
        Err(SummaryError::InvalidReply(reason)) => {
            assert!(reason.contains("7 highlights"), "{reason}")
        }
        other => panic!("expected an invalid reply, got {other:?}"),
    }
    assert_eq!(stand_in.seen().len(), 2);

    // A chapter stamped outside the transcript's times is refused too.
    let (base, stand_in) = start_stand_in(
        OPENAI,
        vec![
            Reply::Content(valid_notes("Late", "95:00")),
            Reply::Content(valid_notes("Later", "99:00")),
        ],
        no_more_replies(),
    )
    .await;
    let result = openai(&base).meeting_notes(&meeting()).await;
    assert!(
        matches!(&result, Err(SummaryError::InvalidReply(r)) if r.contains("outside")),
        "{result:?}"
    );
    assert_eq!(stand_in.seen().len(), 2);

    // And chat summaries follow the same rule.
    let (base, stand_in) = start_stand_in(
        OPENAI,
        vec![
            Reply::Content("{\"text\": \"no\"}".into()),
            Reply::Content("{\"summary\": \"\"}".into()),
        ],
        no_more_replies(),
    )
    .await;
    let result = openai(&base).chat_summary(&chat()).await;
    assert!(
        matches!(result, Err(SummaryError::InvalidReply(_))),
        "{result:?}"
    );
    assert_eq!(stand_in.seen().len(), 2);
}

/// A three-hour meeting, about 65,000 estimated tokens.
fn long_meeting() -> Vec<TranscriptLine> {
    let start = Utc.with_ymd_and_hms(2025, 10, 13, 9, 0, 0).unwrap();
    let speakers = ["Faheem", "Shah", "Aisha", "Omar"];
    (0..1440)
        .map(|i| TranscriptLine {
            user_name: speakers[i % 4].into(),
            message: format!(
                "Point {i}: the chunking test on recording {i} kept sentences whole, \
                 and the invoice export for customer {i} streamed its rows without delay."
            ),
            at: start + Span::milliseconds(i as i64 * 7_500),
        })
        .collect()
}

/// Notes for whatever part was sent: a chapter at its first stamp, its speakers
/// as participants.
fn notes_for_part(body: &Value) -> Reply {
    let input = body["messages"][1]["content"].as_str().unwrap_or("");
    let header = input.lines().next().unwrap_or("").to_owned();
    let first_stamp = input
        .lines()
        .find_map(|l| {
            l.strip_prefix('[')?
                .split_once(']')
                .map(|(t, _)| t.to_owned())
        })
        .unwrap_or_default();
    let mut speakers: Vec<String> = Vec::new();
    for l in input.lines() {
        if let Some(name) = l
            .split_once("] ")
            .and_then(|(_, rest)| rest.split_once(':'))
            .map(|(n, _)| n.to_owned())
            && !speakers.contains(&name)
        {
            speakers.push(name);
        }
    }
    Reply::Content(
        json!({
            "title": header, "summary": format!("Summary of {header}"),
            "highlights": [format!("{header} first"), format!("{header} second"), format!("{header} third")],
            "chapters": [{ "timestamp": first_stamp, "title": format!("From {first_stamp}"), "bullets": ["b"] }],
            "decisions": [], "actions": [], "qna": [],
            "participants": speakers.iter().map(|n| json!({ "name": n, "role": "" })).collect::<Vec<_>>(),
            "topics": ["Chunking"], "keywords": ["chunking", header], "ambiguities": []
        })
        .to_string(),
    )
}

#[tokio::test]
async fn a_long_transcript_goes_in_parts_under_the_budget_and_the_notes_are_merged() {
    let lines = long_meeting();
    let total: usize = lines.iter().map(|l| estimate_tokens(&l.message)).sum();
    assert!(total > 4 * DEFAULT_CHUNK_TOKENS, "{total} tokens");

    let (base, stand_in) = start_stand_in(OPENAI, vec![], Box::new(notes_for_part)).await;
    let summarizer = openai(&base);
    assert_eq!(summarizer.chunk_tokens(), DEFAULT_CHUNK_TOKENS);
    let notes = summarizer.meeting_notes(&lines).await.expect("notes");
    assert_eq!(stand_in.problems(), Vec::<String>::new());

    let inputs = stand_in.user_messages();
    let n = inputs.len();
    assert!(n >= 5, "{n} requests");
    for (i, input) in inputs.iter().enumerate() {
        assert!(
            estimate_tokens(input) <= DEFAULT_CHUNK_TOKENS,
            "request {i}: {} tokens",
            estimate_tokens(input)
        );
        assert!(input.starts_with(&format!("Part {} of {n}.\n[", i + 1)));
    }
    // Every line was sent once, in order.
    let sent: Vec<&str> = inputs.iter().flat_map(|i| i.lines().skip(1)).collect();
    assert_eq!(sent.len(), lines.len());
    assert!(sent[0].starts_with("[00:00] Faheem: Point 0:"));
    assert!(sent[lines.len() - 1].starts_with("[179:52] Omar: Point 1439:"));

    // Merged: the first title, summaries in order, chapters in order with their
    // meeting timestamps, participants once each, at most six highlights.
    assert_eq!(notes.title, format!("Part 1 of {n}."));
    let summaries: Vec<String> = (1..=n)
        .map(|i| format!("Summary of Part {i} of {n}."))
        .collect();
    assert_eq!(notes.summary, summaries.join(" "));
    assert_eq!(notes.chapters.len(), n);
    let starts: Vec<i64> = notes
        .chapters
        .iter()
        .map(|c| parse_timestamp(&c.timestamp).expect("MM:SS"))
        .collect();
    assert_eq!(starts[0], 0);
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    assert!(starts[n - 1] > 100 * 60);
    let names: Vec<&str> = notes.participants.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["Faheem", "Shah", "Aisha", "Omar"]);
    assert!(notes.participants.iter().all(|p| p.role == "Not specified"));
    assert_eq!(notes.highlights.len(), 6);
    assert_eq!(notes.highlights[0], format!("Part 1 of {n}. first"));
    assert_eq!(notes.highlights[1], format!("Part 2 of {n}. first"));
    assert_eq!(notes.topics, vec!["Chunking"]);
    assert_eq!(notes.validate(), Ok(()));

    // A smaller budget: more, smaller requests.
    let (base, stand_in) = start_stand_in(OPENAI, vec![], Box::new(notes_for_part)).await;
    openai(&base)
        .with_chunk_tokens(500)
        .meeting_notes(&meeting())
        .await
        .expect("notes");
    let inputs = stand_in.user_messages();
    assert!(inputs.len() >= 3, "{} requests", inputs.len());
    assert!(inputs.iter().all(|i| estimate_tokens(i) <= 500));
}

fn chat() -> Vec<ChatLine> {
    let at = Utc.with_ymd_and_hms(2025, 10, 13, 9, 0, 0).unwrap();
    [
        ("John", "Launch in March?"),
        ("Mary", "Only if marketing confirms the campaign date."),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (u, m))| ChatLine {
        user_name: u.into(),
        message: m.into(),
        at: at + Span::seconds(i as i64 * 20),
    })
    .collect()
}

#[tokio::test]
async fn azure_requests_name_the_deployment_version_and_key() {
    let azure = Expect::Azure {
        deployment: "notes-deployment",
        version: "2024-10-21",
    };
    let (base, stand_in) = start_stand_in(
        azure,
        vec![
            Reply::Content(
                json!({ "summary": "John and Mary\nplanned a March launch." }).to_string(),
            ),
            Reply::Content(valid_notes("Chunking review", "00:00")),
        ],
        no_more_replies(),
    )
    .await;
    let summarizer = OpenAiSummarizer::new(OpenAiSettings::Azure {
        endpoint: format!("{base}/"),
        deployment: "notes-deployment".into(),
        api_version: "2024-10-21".into(),
        api_key: AZURE_KEY.into(),
    });
    assert_eq!(summarizer.name(), "azure-openai");
    assert_eq!(
        summarizer.chat_summary(&chat()).await,
        Ok("John and Mary planned a March launch.".to_owned())
    );
    let notes = summarizer.meeting_notes(&meeting()).await.expect("notes");
    assert_eq!(notes.title, "Chunking review");
    assert_eq!(stand_in.problems(), Vec::<String>::new());
    let seen = stand_in.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].1["messages"][0]["content"], CHAT_SUMMARY_PROMPT);
    assert_eq!(
        seen[0].1["messages"][1]["content"],
        "[00:00] John: Launch in March?\n[00:20] Mary: Only if marketing confirms the campaign date.\n"
    );
    assert_eq!(seen[1].1["messages"][0]["content"], MEETING_NOTES_PROMPT);
}

#[tokio::test]
async fn the_stand_in_refuses_a_wrong_key_and_errors_keep_the_status_not_the_key() {
    // A wrong key is refused by the stand-in: its checks are live.
    let (base, stand_in) = start_stand_in(OPENAI, vec![], no_more_replies()).await;
    let wrong = OpenAiSummarizer::new(OpenAiSettings::OpenAi {
        api_base: format!("{base}/v1"),
        api_key: "sk-wrong-key-000000".into(),
        model: "gpt-test".into(),
    });
    let result = wrong.meeting_notes(&meeting()).await;
    match &result {
        Err(SummaryError::Upstream { status, message }) => {
            assert_eq!(*status, Some(400));
            assert!(message.contains("no Bearer key"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(stand_in.problems(), vec!["no Bearer key".to_owned()]);

    // The service's message may quote the key: it is blanked out.
    let (base, stand_in) = start_stand_in(
        OPENAI,
        vec![Reply::Status(
            401,
            json!({ "error": {
                "message": format!("Incorrect API key provided: {OPENAI_KEY}."),
                "type": "invalid_request_error", "code": "invalid_api_key"
            } }),
        )],
        no_more_replies(),
    )
    .await;
    let error = openai(&base)
        .meeting_notes(&meeting())
        .await
        .expect_err("unauthorized");
    assert_eq!(stand_in.seen().len(), 1, "a 401 is not retried");
    match &error {
        SummaryError::Upstream { status, message } => {
            assert_eq!(*status, Some(401));
            assert!(
                message.contains("Incorrect API key provided: [redacted]"),
                "{message}"
            );
        }
        other => panic!("expected an upstream error, got {other:?}"),
    }
    assert!(!error.to_string().contains(OPENAI_KEY));
    assert!(error.to_string().contains("status 401"));

    // Server errors are retried by the client (three times), then reported.
    let (base, stand_in) = start_stand_in(OPENAI, vec![], no_more_replies()).await;
    let error = openai(&base)
        .chat_summary(&chat())
        .await
        .expect_err("server error");
    assert!(
        matches!(
            error,
            SummaryError::Upstream {
                status: Some(500),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(stand_in.seen().len(), 4);
}

#[tokio::test]
async fn a_slow_service_times_out() {
    let (base, _stand_in) = start_stand_in(
        OPENAI,
        vec![Reply::Slow(Duration::from_secs(5))],
        no_more_replies(),
    )
    .await;
    let result = openai(&base)
        .with_timeout(Duration::from_millis(300))
        .chat_summary(&chat())
        .await;
    assert_eq!(
        result,
        Err(SummaryError::Timeout(Duration::from_millis(300)))
    );
}

#[tokio::test]
async fn misconfiguration_and_empty_input_never_reach_the_service() {
    let (base, stand_in) = start_stand_in(OPENAI, vec![], no_more_replies()).await;
    assert_eq!(
        openai(&base).meeting_notes(&[]).await,
        Err(SummaryError::EmptyInput)
    );
    let bad = OpenAiSummarizer::new(OpenAiSettings::OpenAi {
        api_base: format!("{base}/v1"),
        api_key: "sk-with\nnewline".into(),
        model: "gpt-test".into(),
    });
    assert!(matches!(
        bad.chat_summary(&chat()).await,
        Err(SummaryError::Configuration(_))
    ));
    assert!(stand_in.seen().is_empty() && stand_in.problems().is_empty());
}

#[test]
fn the_documentation_quotes_the_prompts_verbatim() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/summaries.md"))
            .expect("docs/summaries.md");
    for prompt in [MEETING_NOTES_PROMPT, CHAT_SUMMARY_PROMPT, RETRY_PROMPT] {
        assert!(docs.contains(prompt), "docs/summaries.md lacks:\n{prompt}");
    }
}
