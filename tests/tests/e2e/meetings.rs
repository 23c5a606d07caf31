//! Meetings: create, update, list; read-your-writes; ownership; idempotent retries.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

async fn create(app: &TestApp, token: &str, host: &str, title: &str) -> Value {
    let r = app
        .post_as(
            token,
            "/meetings/create",
            json!({ "title": title, "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    assert_eq!(r.status(), 201, "create {title}");
    r.json::<Value>().await.unwrap()["data"].clone()
}

async fn list(app: &TestApp, token: &str, user: &str) -> Vec<Value> {
    let r = app.get_as(token, &format!("/meetings/list/{user}")).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_created_meeting_is_listed_at_once_every_time(log: Log) {
    let app = TestApp::start(log).await;
    let (host, token) = app.user("host@example.com").await;
    for i in 0..200 {
        let meeting = create(&app, &token, &host, &format!("Meeting {i}")).await;
        let listed = list(&app, &token, &host).await;
        assert_eq!(listed.len(), i + 1, "meeting {i} missing from the list");
        assert_eq!(listed[0]["_id"], meeting["_id"], "newest first");
    }
    app.stop().await;
}

#[tokio::test]
async fn sqlite_reads_its_writes_200_times_in_a_row() {
    a_created_meeting_is_listed_at_once_every_time(Log::Sqlite).await;
}

#[tokio::test]
async fn postgres_reads_its_writes_200_times_in_a_row() {
    a_created_meeting_is_listed_at_once_every_time(Log::Postgres).await;
}

#[tokio::test]
async fn meetings_are_created_updated_and_listed_in_the_reference_shape() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("shape@example.com").await;
    let meeting = create(&app, &token, &host, "dsa").await;
    let id = meeting["_id"].as_str().unwrap().to_owned();
    for field in [
        "_id",
        "title",
        "hostId",
        "transcriptEnabled",
        "summaryGenerated",
        "recordingIds",
        "createdAt",
    ] {
        assert!(meeting.get(field).is_some(), "{field} missing in {meeting}");
    }
    assert_eq!(meeting["hostId"], host);
    assert_eq!(meeting["recordingIds"], json!([]));

    let room = "68aff60da51d6c83a24245a2";
    let r = app
        .post_as(
            &token,
            &format!("/meetings/update/{id}"),
            json!({ "userId": host, "title": "Test Meeting", "transcriptEnabled": true,
                    "summaryGenerated": false, "roomId": room, "recordingId": "1737978989992_59591" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert!(r.headers().contains_key("x-altegon-position"));
    let listed = list(&app, &token, &host).await;
    assert_eq!(listed[0]["title"], "Test Meeting");
    assert_eq!(listed[0]["transcriptEnabled"], true);
    assert_eq!(listed[0]["recordingIds"], json!(["1737978989992_59591"]));
    assert_eq!(listed[0]["roomId"], room);

    let unknown = "68ee4b39b22d6134386fc5dc";
    let r = app
        .post_as(
            &token,
            &format!("/meetings/update/{unknown}"),
            json!({ "userId": host, "title": "x" }),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .post_as(
            &token,
            &format!("/meetings/update/{id}"),
            json!({ "userId": host, "title": "  " }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "title");
    let r = app
        .post_as(
            &token,
            "/meetings/create",
            json!({ "title": "x", "hostId": host }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["field"],
        "transcriptEnabled"
    );
    app.stop().await;
}

#[tokio::test]
async fn only_the_host_or_an_admin_touches_a_meeting() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, host_token) = app.user("owner-m@example.com").await;
    let (other, other_token) = app.user("other-m@example.com").await;
    let meeting = create(&app, &host_token, &host, "Private").await;
    let id = meeting["_id"].as_str().unwrap();

    // Another user can neither create for the host, update, nor list the host's meetings.
    let r = app
        .post_as(
            &other_token,
            "/meetings/create",
            json!({ "title": "x", "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_as(
            &other_token,
            &format!("/meetings/update/{id}"),
            json!({ "userId": other, "title": "Mine" }),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_as(
            &other_token,
            &format!("/meetings/update/{id}"),
            json!({ "userId": host, "title": "Mine" }),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.get_as(&other_token, &format!("/meetings/list/{host}"))
            .await
            .status(),
        403
    );

    let (admin, admin_token) = app.admin("root@example.com").await;
    assert_eq!(list(&app, &admin_token, &host).await.len(), 1);
    let r = app
        .post_as(
            &admin_token,
            &format!("/meetings/update/{id}"),
            json!({ "userId": admin, "title": "Moderated" }),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        list(&app, &host_token, &host).await[0]["title"],
        "Moderated"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_create_retried_with_its_idempotency_key_makes_one_meeting_and_the_key_fits_one_request()
{
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("retry-m@example.com").await;
    let send = || async {
        let r = app
            .client
            .post(format!("{}/meetings/create", app.base))
            .bearer_auth(&token)
            .header("Idempotency-Key", "create-weekly-1")
            .json(&json!({ "title": "Weekly", "hostId": host, "transcriptEnabled": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["data"]["_id"].clone()
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first, second);
    assert_eq!(list(&app, &token, &host).await.len(), 1);

    // The same key on a different request is refused, not answered with the first.
    let keyed = |body: Value| {
        app.client
            .post(format!("{}/meetings/create", app.base))
            .bearer_auth(&token)
            .header("Idempotency-Key", "create-weekly-1")
            .json(&body)
            .send()
    };
    let r = keyed(json!({ "title": "Monthly", "hostId": host, "transcriptEnabled": true }))
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("different request")),
        "{body}"
    );
    assert_eq!(list(&app, &token, &host).await.len(), 1);
    // A keyed body over the JSON limit is refused before anything is decided.
    let r = keyed(json!({ "title": "x".repeat(100_000), "hostId": host }))
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    let r = app
        .client
        .post(format!("{}/meetings/create", app.base))
        .bearer_auth(&token)
        .header("Idempotency-Key", "")
        .json(&json!({ "title": "Weekly", "hostId": host, "transcriptEnabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_and_metrics_count_requests() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("big@example.com").await;
    let r = app
        .post_as(
            &token,
            "/meetings/create",
            json!({ "title": "x".repeat(100_000), "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    assert_eq!(r.status(), 413);
    // The refused request's audit entry is in the log; let the read models take it.
    app.wait_for_projections().await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("altegon_http_requests_total"), "{metrics}");
    assert!(metrics.contains("altegon_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("altegon_events_appended_total"));
    assert!(metrics.contains("altegon_projection_position{projection=\"meetings\"}"));
    assert!(metrics.contains("altegon_projection_lag_events{projection=\"meetings\"} 0"));
    app.stop().await;
}
