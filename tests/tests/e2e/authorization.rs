//! The route → rule table (`altegon_api::auth::route_rules`) walked as a second
//! user: every route that names another account's resource, and every
//! administrators' route, refuses them with 403; and the table has a rule for
//! every operation of the OpenAPI document.

use altegon_api::auth::route_rules::{ROUTE_RULES, Rule};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Log, TestApp};

/// The owner's resources the stranger aims at.
struct Owned {
    user: String,
    room: String,
    meeting: String,
    recording: &'static str,
    file: &'static str,
    session: String,
    webhook: String,
}

/// The request a stranger makes for a route: method, concrete path, JSON body.
fn request(method: &str, path: &str, o: &Owned) -> Option<(Method, String, Option<Value>)> {
    let rec = format!(
        "/recordings/user/{}/room/{}/recording/{}",
        o.user, o.room, o.recording
    );
    let report = |name: &str| format!("/reporting/{name}?userID={}", o.user);
    let (m, p, body) = match (method, path) {
        ("POST", "/auth/revoke") => (
            "POST",
            "/auth/revoke".into(),
            Some(json!({ "userId": o.user })),
        ),
        ("POST", "/room/{roomId}/token") => {
            ("POST", format!("/room/{}/token", o.room), Some(json!({})))
        }
        ("POST", "/meetings/create") => (
            "POST",
            "/meetings/create".into(),
            Some(json!({ "title": "Not mine", "hostId": o.user, "transcriptEnabled": false })),
        ),
        ("POST", "/meetings/update/{meetingId}") => (
            "POST",
            format!("/meetings/update/{}", o.meeting),
            Some(json!({ "userId": o.user, "title": "Taken" })),
        ),
        ("GET", "/meetings/list/{userId}") => ("GET", format!("/meetings/list/{}", o.user), None),
        ("GET", "/view-transcript/{meetingId}") => {
            ("GET", format!("/view-transcript/{}", o.meeting), None)
        }
        ("POST", "/transcription/generate-summary/{meetingId}") => (
            "POST",
            format!("/transcription/generate-summary/{}", o.meeting),
            Some(json!({})),
        ),
        ("GET", "/meeting/{meetingId}/summary") => {
            ("GET", format!("/meeting/{}/summary", o.meeting), None)
        }
        ("POST", "/chat/generate-summary/{meetingId}") => (
            "POST",
            format!("/chat/generate-summary/{}", o.meeting),
            Some(json!({})),
        ),
        ("POST", "/recording/start") => (
            "POST",
            "/recording/start".into(),
            Some(
                json!({ "roomId": o.room, "userName": "X", "streamId": "1", "recordingId": "other_1",
                "startTime": 1756364334634u64, "videoType": "video", "status": "pending" }),
            ),
        ),
        ("POST", "/recording/stop") => (
            "POST",
            "/recording/stop".into(),
            Some(
                json!({ "roomId": o.room, "recordingId": o.recording, "streamId": "1", "endTime": 1756364339634u64 }),
            ),
        ),
        (
            "POST",
            "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/upload-to-blob",
        ) => (
            "POST",
            format!("{rec}/upload-to-blob"),
            Some(json!({ "filePath": "x.mp4" })),
        ),
        ("GET", "/recordings/user/{userId}/storage-info") => (
            "GET",
            format!("/recordings/user/{}/storage-info", o.user),
            None,
        ),
        ("PUT", "/recordings/user/{userId}/storage-limit") => (
            "PUT",
            format!("/recordings/user/{}/storage-limit", o.user),
            Some(json!({ "newLimit": 1_000_000_000u64 })),
        ),
        (
            "DELETE",
            "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/{fileName}",
        ) => ("DELETE", format!("{rec}/{}", o.file), None),
        ("GET", "/recordings/admin/exceeded-storage-users") => (
            "GET",
            "/recordings/admin/exceeded-storage-users".into(),
            None,
        ),
        (
            "GET",
            "/recordings/user/{userId}/room/{roomId}/recording/{recordingId}/file/{fileName}/sas-url",
        ) => ("GET", format!("{rec}/file/{}/sas-url", o.file), None),
        ("POST", "/room/{roomId}/upload") => ("POST", format!("/room/{}/upload", o.room), None),
        ("GET", "/room/{roomId}/files/{filename}") => {
            ("GET", format!("/room/{}/files/notes.txt", o.room), None)
        }
        ("GET", "/room/{roomId}/files/{filename}/download") => (
            "GET",
            format!("/room/{}/files/notes.txt/download", o.room),
            None,
        ),
        ("DELETE", "/room/{roomId}/files") => ("DELETE", format!("/room/{}/files", o.room), None),
        ("POST", "/sessions") => (
            "POST",
            "/sessions".into(),
            Some(json!({ "roomId": o.room, "sessionType": "meeting" })),
        ),
        ("GET", "/sessions/{sessionId}") => ("GET", format!("/sessions/{}", o.session), None),
        ("POST", "/sessions/{sessionId}/join") => (
            "POST",
            format!("/sessions/{}/join", o.session),
            Some(json!({})),
        ),
        ("POST", "/sessions/{sessionId}/end") => (
            "POST",
            format!("/sessions/{}/end", o.session),
            Some(json!({})),
        ),
        ("GET", "/reporting/total-sessions-for-user") => {
            ("GET", report("total-sessions-for-user"), None)
        }
        ("GET", "/reporting/total-sessions-aggregation-for-user") => {
            ("GET", report("total-sessions-aggregation-for-user"), None)
        }
        ("GET", "/reporting/total-sessions-statistics-for-user") => {
            ("GET", report("total-sessions-statistics-for-user"), None)
        }
        ("GET", "/reporting/total-sessions-by-location-for-user") => {
            ("GET", report("total-sessions-by-location-for-user"), None)
        }
        ("GET", "/reporting/total-sessions-and-participants-count-by-location-for-user") => (
            "GET",
            report("total-sessions-and-participants-count-by-location-for-user"),
            None,
        ),
        ("GET", "/audit") => ("GET", "/audit".into(), None),
        ("GET", "/webhooks/{webhookId}") => ("GET", format!("/webhooks/{}", o.webhook), None),
        ("PUT", "/webhooks/{webhookId}") => (
            "PUT",
            format!("/webhooks/{}", o.webhook),
            Some(json!({ "enabled": false })),
        ),
        ("DELETE", "/webhooks/{webhookId}") => ("DELETE", format!("/webhooks/{}", o.webhook), None),
        ("POST", "/webhooks/{webhookId}/test") => (
            "POST",
            format!("/webhooks/{}/test", o.webhook),
            Some(json!({})),
        ),
        ("GET", "/webhooks/{webhookId}/deliveries") => {
            ("GET", format!("/webhooks/{}/deliveries", o.webhook), None)
        }
        ("POST", "/webhooks/{webhookId}/replay") => (
            "POST",
            format!("/webhooks/{}/replay", o.webhook),
            Some(json!({ "after": "0" })),
        ),
        _ => return None,
    };
    Some((Method::from_bytes(m.as_bytes()).ok()?, p, body))
}

#[tokio::test]
async fn every_protected_route_refuses_a_second_user() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.webhook_allow_http = true;
        c.webhook_allow_private_addresses = true;
    })
    .await;
    let (user, owner) = app.user("owner@altegon.com").await;
    let (_, stranger) = app.user("stranger@altegon.com").await;
    let room = app.room(&owner, true).await;
    let r = app
        .post_as(
            &owner,
            "/meetings/create",
            json!({ "title": "Mine", "hostId": user, "transcriptEnabled": false }),
        )
        .await;
    let meeting = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.start_recording(&owner, &room, "rec_1").await;
    let r = app
        .upload_as(
            &owner,
            &format!("/recordings/user/{user}/room/{room}/recording/rec_1/upload-to-blob"),
            "take.mp4",
            vec![7; 1024],
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .upload_as(
            &owner,
            &format!("/room/{room}/upload"),
            "notes.txt",
            vec![1; 10],
        )
        .await;
    assert!(r.status().is_success());
    let r = app
        .post_as(
            &owner,
            "/sessions",
            json!({ "roomId": room, "sessionType": "meeting" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let session = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_as(
            &owner,
            "/webhooks",
            json!({ "url": "http://127.0.0.1:9/hook", "eventTypes": ["meeting.created"] }),
        )
        .await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let webhook = r.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owned = Owned {
        user,
        room,
        meeting,
        recording: "rec_1",
        file: "take.mp4",
        session,
        webhook,
    };

    let mut walked = 0;
    for route in ROUTE_RULES {
        if !matches!(route.rule, Rule::Owner(_) | Rule::Admin) {
            continue;
        }
        let (method, path, body) = request(route.method, route.path, &owned)
            .unwrap_or_else(|| panic!("no stranger's request for {} {}", route.method, route.path));
        let mut req = app
            .client
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(&stranger);
        if path.ends_with("/upload") {
            let part = reqwest::multipart::Part::bytes(vec![1]).file_name("x.txt");
            req = req.multipart(reqwest::multipart::Form::new().part("file", part));
        } else if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        assert_eq!(
            r.status(),
            403,
            "{} {} ({:?}) answered a stranger: {}",
            route.method,
            route.path,
            route.rule,
            r.text().await.unwrap_or_default()
        );
        walked += 1;
    }
    assert_eq!(walked, 37, "protected routes walked");

    // The owner's things are untouched.
    let r = app
        .get_as(&owner, &format!("/meetings/list/{}", owned.user))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["data"][0]["title"], "Mine");
    app.stop().await;
}

#[test]
fn every_operation_of_the_openapi_document_has_a_rule() {
    let document: Value =
        serde_json::from_str(include_str!("../../../schemas/openapi.json")).unwrap();
    let mut documented = Vec::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete"].contains(&method.as_str()) {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    let mut ruled: Vec<(String, String)> = ROUTE_RULES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    documented.sort();
    ruled.sort();
    assert_eq!(documented, ruled);
}
