//! Webhooks end to end: endpoints managed over REST, deliveries received by a real
//! HTTP receiver in this process, signed, retried, in order per meeting; URLs
//! that point inside the network refused.

use std::time::Duration;

use altegon_tests::webhook_receiver::{Received, Receiver};
use serde_json::{Value, json};

use crate::support::{Log, TestApp};

const WAIT: Duration = Duration::from_secs(30);

/// A server that may deliver to the receiver on loopback, retrying quickly.
async fn app(log: Log) -> TestApp {
    TestApp::start_with(log, |c| {
        c.webhook_allow_http = true;
        c.webhook_allow_private_addresses = true;
        c.webhook_retry_base_ms = 20;
        c.webhook_retry_max_delay_secs = 1;
    })
    .await
}

/// Registers an endpoint; returns (id, secret).
async fn register(app: &TestApp, token: &str, url: &str, types: &[&str]) -> (String, String) {
    let r = app
        .post_as(
            token,
            "/webhooks",
            json!({ "url": url, "eventTypes": types }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    (
        body["data"]["id"].as_str().unwrap().to_owned(),
        body["data"]["secret"].as_str().unwrap().to_owned(),
    )
}

async fn create_meeting(app: &TestApp, token: &str, host: &str, title: &str) -> String {
    let r = app
        .post_as(
            token,
            "/meetings/create",
            json!({ "title": title, "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn update_meeting(app: &TestApp, token: &str, host: &str, meeting: &str, title: &str) {
    let r = app
        .post_as(
            token,
            &format!("/meetings/update/{meeting}"),
            json!({ "userId": host, "title": title }),
        )
        .await;
    assert_eq!(r.status(), 204);
}

async fn deliveries(app: &TestApp, token: &str, endpoint: &str) -> Vec<Value> {
    let r = app
        .get_as(token, &format!("/webhooks/{endpoint}/deliveries"))
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

fn types(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn owners_manage_their_endpoints_and_nobody_else_may() {
    let app = app(Log::Sqlite).await;
    let (_, owner) = app.user("owner@altegon.com").await;
    let (_, stranger) = app.user("stranger@altegon.com").await;
    let r = app
        .post_as(
            &owner,
            "/webhooks",
            json!({ "url": "https://hooks.example.com/in", "eventTypes": ["session.started", "session.ended"], "description": "CRM" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    let secret = body["data"]["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(body["data"]["enabled"], true);
    assert_eq!(body["data"]["scope"], "user");

    // The secret is shown once.
    let shown: Value = app
        .get_as(&owner, &format!("/webhooks/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["data"]["description"], "CRM");
    assert!(shown["data"].get("secret").is_none());
    assert!(!shown.to_string().contains(secret));
    let listed: Value = app.get_as(&owner, "/webhooks").await.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let listed: Value = app
        .get_as(&stranger, "/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["data"].as_array().unwrap().is_empty());

    // Every route naming the endpoint refuses a second user.
    let path = format!("/webhooks/{id}");
    assert_eq!(app.get_as(&stranger, &path).await.status(), 403);
    assert_eq!(
        app.put_as(&stranger, &path, json!({ "enabled": false }))
            .await
            .status(),
        403
    );
    assert_eq!(app.delete_as(&stranger, &path).await.status(), 403);
    assert_eq!(
        app.post_as(&stranger, &format!("{path}/test"), json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get_as(&stranger, &format!("{path}/deliveries"))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_as(&stranger, &format!("{path}/replay"), json!({ "after": 0 }))
            .await
            .status(),
        403
    );

    // Changes, pause, bad input.
    let r = app
        .put_as(
            &owner,
            &path,
            json!({ "eventTypes": ["*"], "enabled": false }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["data"]["eventTypes"], json!(["*"]));
    assert_eq!(changed["data"]["enabled"], false);
    assert_eq!(changed["data"]["disabledReason"], "disabled by a user");
    for (body, field) in [
        (
            json!({ "url": "https://x.example/", "eventTypes": ["meeting.exploded"] }),
            "eventTypes",
        ),
        (
            json!({ "url": "https://x.example/", "eventTypes": [] }),
            "eventTypes",
        ),
        (
            json!({ "url": "ftp://x.example/", "eventTypes": ["*"] }),
            "url",
        ),
        (
            json!({ "url": "https://x.example/", "eventTypes": ["*"], "scope": "galaxy" }),
            "scope",
        ),
    ] {
        let r = app.post_as(&owner, "/webhooks", body).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["field"], field);
    }
    let r = app
        .post_as(
            &owner,
            "/webhooks",
            json!({ "url": "https://x.example/", "eventTypes": ["*"], "scope": "app" }),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.get_as(&owner, "/webhooks/000000000000000000000000")
            .await
            .status(),
        404
    );
    assert_eq!(app.get_as(&owner, "/webhooks/nope").await.status(), 400);

    let types: Value = app
        .get_as(&owner, "/webhooks/event-types")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        types["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "summary.ready" && t["domainEvent"] == "MeetingSummaryGenerated")
    );

    assert_eq!(app.delete_as(&owner, &path).await.status(), 200);
    assert_eq!(app.get_as(&owner, &path).await.status(), 404);
    app.stop().await;
}

async fn signed_deliveries_arrive_in_order_per_meeting(log: Log) {
    let app = app(log).await;
    let receiver = Receiver::start().await;
    let (host, token) = app.user("host@altegon.com").await;
    let (other, other_token) = app.user("other@altegon.com").await;
    let (endpoint, secret) = register(
        &app,
        &token,
        &receiver.url,
        &["meeting.created", "meeting.updated"],
    )
    .await;

    let first = create_meeting(&app, &token, &host, "Standup").await;
    let second = create_meeting(&app, &token, &host, "Review").await;
    for n in 1..=3 {
        update_meeting(&app, &token, &host, &first, &format!("Standup {n}")).await;
        update_meeting(&app, &token, &host, &second, &format!("Review {n}")).await;
    }
    // Someone else's meeting is not this endpoint's business.
    create_meeting(&app, &other_token, &other, "Elsewhere").await;

    let received = receiver.wait_for(WAIT, |r| r.len() >= 8).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = {
        let later = receiver.received();
        assert_eq!(later.len(), received.len(), "nothing beyond the 8 events");
        later
    };
    assert_eq!(received.len(), 8);
    for r in &received {
        assert!(r.verifies(&secret), "signature of {}", r.id);
        let body = r.json();
        assert_eq!(body["id"], r.id.as_str());
        assert_ne!(body["data"]["meetingId"], json!(null));
    }
    // Per meeting, the log's order.
    for (meeting, titles) in [
        (&first, ["Standup", "Standup 1", "Standup 2", "Standup 3"]),
        (&second, ["Review", "Review 1", "Review 2", "Review 3"]),
    ] {
        let seen: Vec<_> = received
            .iter()
            .map(Received::json)
            .filter(|b| b["data"]["meetingId"] == meeting.as_str())
            .collect();
        assert_eq!(seen[0]["type"], "meeting.created");
        let got: Vec<_> = seen
            .iter()
            .map(|b| b["data"]["title"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, titles);
        let positions: Vec<u64> = seen
            .iter()
            .map(|b| b["position"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }
    // A wrong secret does not verify.
    assert!(!received[0].verifies("whsec_c2VjcmV0LWJ1dC1ub3QtdGhpcy1lbmRwb2ludHM="));

    let listed = deliveries(&app, &token, &endpoint).await;
    assert_eq!(listed.len(), 8);
    assert!(
        listed
            .iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1)
    );
    app.stop().await;
}

#[tokio::test]
async fn signed_deliveries_arrive_in_order_per_meeting_on_sqlite() {
    signed_deliveries_arrive_in_order_per_meeting(Log::Sqlite).await;
}

#[tokio::test]
async fn signed_deliveries_arrive_in_order_per_meeting_on_postgres() {
    signed_deliveries_arrive_in_order_per_meeting(Log::Postgres).await;
}

#[tokio::test]
async fn a_receiver_failing_three_times_gets_the_event_until_it_acknowledges() {
    let app = app(Log::Sqlite).await;
    let receiver = Receiver::answering(|_, n| if n < 3 { 500 } else { 200 }).await;
    let (host, token) = app.user("host@altegon.com").await;
    let (endpoint, _) = register(&app, &token, &receiver.url, &["meeting.created"]).await;
    create_meeting(&app, &token, &host, "Retry me").await;

    let received = receiver
        .wait_for(WAIT, |r| r.iter().any(|r| r.answered == 200))
        .await;
    let statuses: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
    assert!(
        received.iter().all(|r| r.id == received[0].id),
        "one delivery id"
    );
    // Acknowledged: never sent again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 4);
    let listed = deliveries(&app, &token, &endpoint).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "delivered");
    assert_eq!(listed[0]["attempts"], 4);
    assert_eq!(listed[0]["lastStatusCode"], 200);
    assert_eq!(listed[0]["id"], received[0].id.as_str());
    app.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_for_the_whole_window_is_disabled_and_its_owner_sees_why() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.webhook_allow_http = true;
        c.webhook_allow_private_addresses = true;
        c.webhook_retry_base_ms = 50;
        c.webhook_retry_max_delay_secs = 1;
        c.webhook_retry_window_secs = 1;
    })
    .await;
    let receiver = Receiver::answering(|_, _| 503).await;
    let (host, token) = app.user("host@altegon.com").await;
    let (endpoint, _) = register(&app, &token, &receiver.url, &["meeting.created"]).await;
    create_meeting(&app, &token, &host, "Doomed").await;

    let deadline = std::time::Instant::now() + WAIT;
    let shown = loop {
        let shown: Value = app
            .get_as(&token, &format!("/webhooks/{endpoint}"))
            .await
            .json()
            .await
            .unwrap();
        if shown["data"]["enabled"] == false {
            break shown;
        }
        assert!(std::time::Instant::now() < deadline, "never disabled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let reason = shown["data"]["disabledReason"].as_str().unwrap();
    assert!(
        reason.contains("kept failing") && reason.contains("503"),
        "{reason}"
    );
    let listed = deliveries(&app, &token, &endpoint).await;
    assert_eq!(listed[0]["status"], "failed");
    assert!(listed[0]["attempts"].as_i64().unwrap() >= 2);
    assert_eq!(listed[0]["lastStatusCode"], 503);
    let tried = receiver.received().len();

    // Disabled: new events are not sent. Enabled again, they are.
    create_meeting(&app, &token, &host, "While off").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), tried);
    receiver.answer_with(|_, _| 200);
    let r = app
        .put_as(
            &token,
            &format!("/webhooks/{endpoint}"),
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(r.status(), 200);
    create_meeting(&app, &token, &host, "Back on").await;
    let received = receiver
        .wait_for(WAIT, |r| r.iter().any(|r| r.answered == 200))
        .await;
    let last = received.last().unwrap().json();
    assert_eq!(last["data"]["title"], "Back on");
    app.stop().await;
}

#[tokio::test]
async fn a_test_event_is_sent_at_once_and_a_replay_sends_events_again_with_their_ids() {
    let app = app(Log::Sqlite).await;
    let receiver = Receiver::start().await;
    let (host, token) = app.user("host@altegon.com").await;
    let (endpoint, secret) = register(&app, &token, &receiver.url, &["meeting.created"]).await;

    let r = app
        .post_as(&token, &format!("/webhooks/{endpoint}/test"), json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["statusCode"], 200);
    let test = &receiver.received()[0];
    assert_eq!(test.json()["type"], "webhook.test");
    assert!(test.verifies(&secret));
    assert_eq!(body["data"]["deliveryId"], test.id.as_str());

    create_meeting(&app, &token, &host, "One").await;
    create_meeting(&app, &token, &host, "Two").await;
    let first = receiver.wait_for(WAIT, |r| r.len() >= 3).await;
    let r = app
        .post_as(
            &token,
            &format!("/webhooks/{endpoint}/replay"),
            json!({ "after": "0" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["data"]["queued"], 2);
    let all = receiver.wait_for(WAIT, |r| r.len() >= 5).await;
    let original: Vec<_> = first[1..].iter().map(|r| r.id.clone()).collect();
    let replayed: Vec<_> = all[3..].iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        original, replayed,
        "replays keep their delivery ids and order"
    );
    assert_eq!(types(&all[3..]), ["meeting.created", "meeting.created"]);
    let r = app
        .post_as(
            &token,
            &format!("/webhooks/{endpoint}/replay"),
            json!({ "after": "soon" }),
        )
        .await;
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn sessions_and_their_participants_reach_the_room_owner() {
    let app = app(Log::Sqlite).await;
    let receiver = Receiver::start().await;
    let (_, host) = app.user("host@altegon.com").await;
    let (_, guest) = app.user("guest@altegon.com").await;
    register(
        &app,
        &host,
        &receiver.url,
        &[
            "session.started",
            "participant.joined",
            "participant.left",
            "session.ended",
        ],
    )
    .await;
    let room = app.room(&host, false).await;
    let r = app
        .post_as(
            &host,
            "/sessions",
            json!({ "roomId": room, "sessionType": "meeting" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let session = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, action) in [(&guest, "join"), (&guest, "leave"), (&host, "leave")] {
        let r = app
            .post_as(who, &format!("/sessions/{session}/{action}"), json!({}))
            .await;
        assert!(r.status().is_success(), "{action}: {}", r.status());
    }
    let received = receiver.wait_for(WAIT, |r| r.len() >= 6).await;
    assert_eq!(
        types(&received),
        [
            "session.started",
            "participant.joined",
            "participant.joined",
            "participant.left",
            "participant.left",
            "session.ended"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn urls_pointing_inside_the_network_are_refused_by_default() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token) = app.user("owner@altegon.com").await;
    for url in [
        "http://hooks.example.com/in",
        "https://127.0.0.1/in",
        "https://localhost:8443/in",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/in",
        "https://192.168.0.10/in",
        "https://[::1]/in",
        "https://[fd12::1]/in",
        "https://2130706433/in",
    ] {
        let r = app
            .post_as(
                &token,
                "/webhooks",
                json!({ "url": url, "eventTypes": ["*"] }),
            )
            .await;
        assert_eq!(r.status(), 400, "{url}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], "url", "{url}");
    }
    let r = app
        .post_as(
            &token,
            "/webhooks",
            json!({ "url": "https://hooks.example.com/in", "eventTypes": ["*"] }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .put_as(
            &token,
            &format!("/webhooks/{id}"),
            json!({ "url": "https://127.0.0.1:9/in" }),
        )
        .await;
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn graphql_manages_endpoints_and_lists_their_deliveries() {
    let app = app(Log::Sqlite).await;
    let receiver = Receiver::start().await;
    let (host, token) = app.user("host@altegon.com").await;
    let (_, stranger) = app.user("stranger@altegon.com").await;
    let gql = |token: String, query: &'static str, variables: Value| {
        let client = app.client.clone();
        let url = format!("{}/graphql", app.base);
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let registered = gql(
        token.clone(),
        "mutation($url: String!) { registerWebhook(input: { url: $url, eventTypes: [\"meeting.created\"] }) { secret endpoint { id enabled eventTypes } } }",
        json!({ "url": receiver.url }),
    )
    .await;
    let endpoint = registered["data"]["registerWebhook"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = registered["data"]["registerWebhook"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    create_meeting(&app, &token, &host, "From GraphQL").await;
    let received = receiver.wait_for(WAIT, |r| !r.is_empty()).await;
    assert!(received[0].verifies(&secret));

    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let listed = gql(
            token.clone(),
            "query($id: ID!) { webhookEndpoint(id: $id) { url deliveries(first: 10) { edges { node { id status attempts eventType } } } } }",
            json!({ "id": endpoint }),
        )
        .await;
        let edges = listed["data"]["webhookEndpoint"]["deliveries"]["edges"].clone();
        if edges[0]["node"]["status"] == "delivered" {
            assert_eq!(edges[0]["node"]["id"], received[0].id.as_str());
            assert_eq!(edges[0]["node"]["eventType"], "meeting.created");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{listed}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = gql(
        stranger.clone(),
        "mutation($id: ID!) { deleteWebhook(id: $id) }",
        json!({ "id": endpoint }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let refused = gql(
        token.clone(),
        "mutation { registerWebhook(input: { url: \"https://x.example/\", eventTypes: [\"nope\"] }) { secret } }",
        json!({}),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "eventTypes");
    let paused = gql(
        token.clone(),
        "mutation($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { enabled disabledReason } }",
        json!({ "id": endpoint }),
    )
    .await;
    assert_eq!(paused["data"]["updateWebhook"]["enabled"], false);
    let deleted = gql(
        token.clone(),
        "mutation($id: ID!) { deleteWebhook(id: $id) }",
        json!({ "id": endpoint }),
    )
    .await;
    assert_eq!(deleted["data"]["deleteWebhook"], true);
    app.stop().await;
}
