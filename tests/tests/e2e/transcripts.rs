//! Transcripts as the web client sends them, summaries from both summarizers, chat
//! summaries and speech tokens; the log and read models hold only ciphertext.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use altegon_commands::crypto::{Pbkdf2Digest, TranscriptCipher};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

use crate::support::{Log, TestApp};

/// The cipher a web client configured with the server's secret would use.
fn client_cipher(app: &TestApp) -> TranscriptCipher {
    let secret = std::fs::read_to_string(app.config().data_dir.join("transcript-secret")).unwrap();
    TranscriptCipher::new(secret.trim().to_owned().into(), Pbkdf2Digest::Sha512).unwrap()
}

const LINES: &[(&str, &str)] = &[
    (
        "Faheem",
        "Good morning everyone, let's review the transcription accuracy work.",
    ),
    (
        "Shah",
        "The chunking by fixed word count causes translation issues.",
    ),
    ("Faheem", "What model did we use in phase one?"),
    (
        "Shah",
        "We used the base model; I will check with the team lead by Friday.",
    ),
    (
        "Faheem",
        "We agreed to build a test script for evaluating chunking methods.",
    ),
    ("Shah", "Faheem will create the testing script next week."),
];

async fn meeting_with_transcript(app: &TestApp) -> (String, String, String) {
    let (host, token) = app.user("speaker@example.com").await;
    let r = app
        .post_as(
            &token,
            "/meetings/create",
            json!({ "title": "Chunking", "hostId": host, "transcriptEnabled": true }),
        )
        .await;
    let meeting = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cipher = client_cipher(app);
    for (speaker, text) in LINES {
        let r = app
            .post_as(
                &token,
                "/send-transcript",
                json!({ "meetingId": meeting, "userName": speaker, "message": cipher.encrypt(text).unwrap() }),
            )
            .await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["data"]["isEncrypted"], true);
        assert_ne!(
            body["data"]["message"], *text,
            "stored as sent, not decrypted"
        );
    }
    (host, token, meeting)
}

#[tokio::test]
async fn encrypted_lines_are_viewed_in_order_and_summarized_offline() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token, meeting) = meeting_with_transcript(&app).await;

    let r = app
        .get_as(&token, &format!("/view-transcript/{meeting}"))
        .await;
    assert_eq!(r.status(), 200);
    let lines = r.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone();
    let got: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["userName"].as_str().unwrap(),
                l["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, LINES);

    assert_eq!(
        app.get_as(&token, &format!("/meeting/{meeting}/summary"))
            .await
            .status(),
        404
    );
    let r = app
        .post_as(
            &token,
            &format!("/transcription/generate-summary/{meeting}"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .get_as(&token, &format!("/meeting/{meeting}/summary"))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(!body["summary"].as_str().unwrap().is_empty());
    assert_eq!(body["summarizer"], "offline");
    let notes = &body["notes"];
    for field in [
        "title",
        "summary",
        "highlights",
        "chapters",
        "decisions",
        "actions",
        "qna",
        "participants",
        "topics",
        "keywords",
        "ambiguities",
    ] {
        assert!(notes.get(field).is_some(), "{field} missing from {notes}");
    }
    let list = app
        .get_as(&token, &format!("/meetings/list/{host}"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["summaryGenerated"], true);

    // Nothing readable at rest: neither the log nor the read models hold plaintext.
    let store = altegon_api::stores::open_event_store(app.config())
        .await
        .unwrap();
    let events = store.read_all(0, 10_000).await.unwrap();
    store.close().await;
    let db = std::fs::read(app.config().data_dir.join("read-models.db")).unwrap();
    let db = String::from_utf8_lossy(&db);
    for (_, text) in LINES {
        assert!(
            events.iter().all(|e| !e.data.contains(text)),
            "plaintext in the log: {text}"
        );
        assert!(!db.contains(text), "plaintext in the read models: {text}");
    }
    let summary_text = notes["summary"].as_str().unwrap();
    assert!(events.iter().all(|e| !e.data.contains(summary_text)));
    app.stop().await;
}

#[tokio::test]
async fn only_the_host_reads_and_summarizes_and_bad_input_is_refused() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, _, meeting) = meeting_with_transcript(&app).await;
    let (_, other) = app.user("listener@example.com").await;
    assert_eq!(
        app.get_as(&other, &format!("/view-transcript/{meeting}"))
            .await
            .status(),
        403
    );
    let r = app
        .post_as(
            &other,
            &format!("/transcription/generate-summary/{meeting}"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let unknown = "68cd413466eab302c9f078cd";
    let r = app
        .post_as(
            &other,
            "/send-transcript",
            json!({ "meetingId": unknown, "userName": "x", "message": "y" }),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .post_as(
            &other,
            "/send-transcript",
            json!({ "meetingId": meeting, "userName": "x" }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "message");
    app.stop().await;
}

#[tokio::test]
async fn a_chat_is_summarized() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("chatty@example.com").await;
    let r = app
        .post_as(
            &token,
            "/meetings/create",
            json!({ "title": "Chat", "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    let meeting: altegon_domain::MeetingId = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        app.post_as(
            &token,
            &format!("/chat/generate-summary/{meeting}"),
            json!({})
        )
        .await
        .status(),
        404
    );

    // Chat events as the realtime relay will append them.
    let store = altegon_api::stores::open_event_store(app.config())
        .await
        .unwrap();
    let bus = altegon_commands::CommandBus::new(store.clone());
    let ctx = altegon_commands::CommandContext::new(altegon_commands::Actor::system());
    let mut position = 0;
    for (who, text) in [
        ("John", "Hello everyone! Shall we discuss the launch plan?"),
        ("Mary", "Yes, the launch plan needs a date."),
        ("John", "Let's go with March for the launch."),
    ] {
        let outcome = altegon_commands::handlers::transcripts::post_chat_message(
            &bus,
            &ctx,
            meeting,
            who.into(),
            None,
            text.into(),
        )
        .await
        .unwrap();
        position = outcome.position;
    }
    store.close().await;
    let r = app
        .client
        .post(format!("{}/chat/generate-summary/{meeting}", app.base))
        .bearer_auth(&token)
        .header("x-altegon-position", position.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["messages"], 3);
    let summary = body["summary"].as_str().unwrap();
    assert!(
        summary.contains("John") && summary.contains("Mary"),
        "{summary}"
    );
    app.stop().await;
}

/// An OpenAI-compatible stand-in that checks what it receives.
async fn openai_stand_in(requests: Arc<AtomicUsize>) -> String {
    async fn complete(
        State(requests): State<Arc<AtomicUsize>>,
        headers: HeaderMap,
        body: axum::Json<Value>,
    ) -> axum::Json<Value> {
        requests.fetch_add(1, Ordering::SeqCst);
        assert_eq!(headers["authorization"], "Bearer test-key");
        assert_eq!(body["model"], "gpt-test");
        let messages = body["messages"].as_array().unwrap();
        assert_eq!(messages[0]["role"], "system");
        assert!(messages.iter().any(|m| m["role"] == "user" && m["content"].as_str().unwrap().contains("chunking")));
        let notes = json!({
            "title": "Chunking review", "summary": "The team reviewed chunking.",
            "highlights": ["Chunking causes issues"],
            "chapters": [{ "timestamp": "00:00", "title": "Review", "bullets": ["Chunking"] }],
            "decisions": ["Build a test script"],
            "actions": [{ "action": "Create the testing script", "assignee": "Faheem", "due_date": "No due date" }],
            "qna": [{ "question": "Which model?", "answer": "The base model" }],
            "participants": [{ "name": "Faheem", "role": "Technical Lead" }],
            "topics": ["Chunking"], "keywords": ["chunking"], "ambiguities": []
        });
        axum::Json(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "gpt-test",
            "choices": [{ "index": 0, "finish_reason": "stop",
                "message": { "role": "assistant", "content": notes.to_string() } }],
            "usage": { "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2 }
        }))
    }
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(complete))
        .with_state(requests);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn summaries_come_from_an_openai_compatible_service_when_configured() {
    let requests = Arc::new(AtomicUsize::new(0));
    let base = openai_stand_in(requests.clone()).await;
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.summarizer = "openai".into();
        c.openai_api_base = Some(base);
        c.openai_api_key = Some("test-key".to_owned().into());
        c.openai_model = Some("gpt-test".into());
    })
    .await;
    let (_, token, meeting) = meeting_with_transcript(&app).await;
    let r = app
        .post_as(
            &token,
            &format!("/transcription/generate-summary/{meeting}"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(requests.load(Ordering::SeqCst) >= 1);
    let body: Value = app
        .get_as(&token, &format!("/meeting/{meeting}/summary"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["summary"], "The team reviewed chunking.");
    assert_eq!(body["notes"]["actions"][0]["assignee"], "Faheem");
    app.stop().await;
}

#[tokio::test]
async fn speech_tokens_are_exchanged_cached_and_refused_when_unconfigured() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token) = app.user("speech@example.com").await;
    let r = app.get_as(&token, "/api/get-speech-token").await;
    assert_eq!(r.status(), 503);
    assert!(
        r.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("not configured")
    );
    app.stop().await;

    let issued = Arc::new(AtomicUsize::new(0));
    async fn issue(
        State(issued): State<Arc<AtomicUsize>>,
        headers: HeaderMap,
    ) -> (axum::http::StatusCode, String) {
        if headers
            .get("ocp-apim-subscription-key")
            .and_then(|v| v.to_str().ok())
            != Some("speech-key-123")
        {
            return (axum::http::StatusCode::UNAUTHORIZED, String::new());
        }
        let n = issued.fetch_add(1, Ordering::SeqCst);
        (axum::http::StatusCode::OK, format!("speech-token-{n}"))
    }
    let sts = axum::Router::new()
        .route("/sts/v1.0/issueToken", post(issue))
        .with_state(issued.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, sts).await });

    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.speech_key = Some("speech-key-123".to_owned().into());
        c.speech_region = Some("eastus2".into());
        c.speech_token_url = Some(format!("http://{addr}/sts/v1.0/issueToken"));
    })
    .await;
    let (_, token) = app.user("speech@example.com").await;
    for _ in 0..3 {
        let r = app.get_as(&token, "/api/get-speech-token").await;
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("speech-key-123"),
            "the key never leaves the server"
        );
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!({ "token": "speech-token-0", "region": "eastus2" })
        );
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1, "the token is cached");
    assert_eq!(app.get("/api/get-speech-token").await.status(), 401);
    app.stop().await;
}
