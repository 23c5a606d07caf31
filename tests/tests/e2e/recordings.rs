//! Recording controls: start (201), stop (204, then 409), listings per room owner,
//! and a meeting's `recordingIds` following its recordings.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

fn stop_body(recording_id: &str) -> Value {
    json!({
        "recordingId": recording_id,
        "streamId": "755961800257348400",
        "endTime": "2025-08-28T07:00:00.000Z",
    })
}

#[tokio::test]
async fn a_recording_starts_stops_once_and_is_listed_to_its_room_owner() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, token) = app.user("host@altegon.com").await;
    let (_, other) = app.user("other@altegon.com").await;
    let (_, admin) = app.admin("admin@altegon.com").await;
    let room = app.room(&token, false).await;

    // The room's meeting picks up the recording.
    let r = app
        .post_as(
            &token,
            "/meetings/create",
            json!({ "title": "Weekly", "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    let meeting = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_as(
            &token,
            &format!("/meetings/update/{meeting}"),
            json!({ "userId": host, "roomId": room }),
        )
        .await;
    assert_eq!(r.status(), 204);

    let started = app
        .start_recording(&token, &room, "1756364334628_738386")
        .await;
    let data = &started["data"];
    assert_eq!(data["recordingId"], "1756364334628_738386");
    assert_eq!(data["roomId"], room.as_str());
    assert_eq!(data["hostName"], "Haseeb Asif");
    assert_eq!(data["streamId"], "755961800257348400");
    assert_eq!(data["status"], false);
    assert_eq!(data["startTime"], "2025-08-28T06:58:54.634Z");
    assert_eq!(data["_id"].as_str().unwrap().len(), 24);
    assert_eq!(data["meetingId"], meeting.as_str());

    let meetings: Value = app
        .get_as(&token, &format!("/meetings/list/{host}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        meetings["data"][0]["recordingIds"],
        json!(["1756364334628_738386"])
    );

    // The same recording id again: conflict.
    let r = app
        .post_as(
            &token,
            "/recording/start",
            json!({
                "roomId": room, "userName": "x", "streamId": "1",
                "recordingId": "1756364334628_738386", "startTime": 1,
                "videoType": "video", "status": "pending",
            }),
        )
        .await;
    assert_eq!(r.status(), 409);

    // Someone else may not record this room.
    let r = app
        .post_as(
            &other,
            "/recording/start",
            json!({
                "roomId": room, "userName": "x", "streamId": "1",
                "recordingId": "999_1", "startTime": 1,
                "videoType": "video", "status": "pending",
            }),
        )
        .await;
    assert_eq!(r.status(), 403);

    let list: Vec<Value> = app
        .get_as(&token, "/recordings/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["recordingId"], "1756364334628_738386");
    let others: Vec<Value> = app
        .get_as(&other, "/recordings/list")
        .await
        .json()
        .await
        .unwrap();
    assert!(others.is_empty(), "{others:?}");

    // Stop: 204, then a clear 409; unknown: 404; another user: 403.
    let r = app
        .post_as(&other, "/recording/stop", stop_body("1756364334628_738386"))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post_as(&token, "/recording/stop", stop_body("1756364334628_738386"))
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .post_as(&token, "/recording/stop", stop_body("1756364334628_738386"))
        .await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("already stopped")
    );
    let r = app
        .post_as(&token, "/recording/stop", stop_body("1_404"))
        .await;
    assert_eq!(r.status(), 404);

    let list: Vec<Value> = app
        .get_as(&admin, "/recordings/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "an admin sees every recording");
    assert_eq!(list[0]["status"], true);
    assert_eq!(list[0]["endTime"], "2025-08-28T07:00:00.000Z");
    app.stop().await;
}

#[tokio::test]
async fn malformed_recording_requests_name_their_field() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token) = app.user("host@altegon.com").await;
    let room = app.room(&token, false).await;
    let base = json!({
        "roomId": room, "userName": "Haseeb", "streamId": "1",
        "recordingId": "1_1", "startTime": 1756364334634u64,
        "videoType": "video", "status": "pending",
    });
    for (field, bad) in [
        ("roomId", json!("nope")),
        ("recordingId", json!("../etc")),
        ("startTime", json!("yesterday")),
        ("streamId", json!({"a": 1})),
        ("userName", json!("")),
    ] {
        let mut body = base.clone();
        body[field] = bad;
        let r = app.post_as(&token, "/recording/start", body).await;
        assert_eq!(r.status(), 400, "{field}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], field);
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("videoType");
    let r = app.post_as(&token, "/recording/start", missing).await;
    assert_eq!(r.status(), 400);
    // A room that does not exist.
    let mut body = base.clone();
    body["roomId"] = json!("68affe24fabc0702c5d30c29");
    let r = app.post_as(&token, "/recording/start", body).await;
    assert_eq!(r.status(), 404);
    app.stop().await;
}
