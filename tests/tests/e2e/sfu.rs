//! The SFU with real browsers: two headless Chromium pages (fake camera and
//! microphone) in one room, one publishing and one subscribing over the room data
//! socket, media (in simulcast layers) through the server's UDP port, text
//! through the publisher's data channel (`tests/tools/sfu-browser.js`).

use crate::support::{Log, TestApp};

#[tokio::test]
async fn a_browser_sees_and_hears_another_through_the_sfu() {
    let chromium = std::env::var("ALTEGON_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "headless Chromium is needed at {chromium}: bash scripts/test.sh installs it"
    );
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.sfu_listen = Some("127.0.0.1:0".parse().expect("address"));
    })
    .await;
    let (_, host) = app.user("host@example.com").await;
    let (_, guest) = app.user("guest@example.com").await;
    // A room for one: one stream, and one subscriber per stream.
    let r = app
        .post_as(
            &host,
            "/room/create",
            serde_json::json!({ "name": "Studio", "type": "meeting", "maxParticipants": 1 }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let room = r.json::<serde_json::Value>().await.expect("json")["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, watcher) = app.user("viewer@example.com").await;
    let r = app
        .post_as(
            &watcher,
            &format!("/room/{room}/token"),
            serde_json::json!({ "role": "viewer" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let viewer_token = r.json::<serde_json::Value>().await.expect("json")["data"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let plan = serde_json::json!({
        "url": app.base,
        "chromium": chromium,
        "publisherToken": app.room_token(&host, &room).await,
        "subscriberToken": app.room_token(&guest, &room).await,
        "viewerToken": viewer_token,
    });
    let result = altegon_tests::node::last_result("sfu-browser.js", &plan).await;

    let refusals = &result["refusals"];
    assert_eq!(refusals["publish"]["ok"], false, "{result}");
    assert_eq!(
        refusals["publish"]["error"],
        "the room token lacks the publish grant"
    );
    assert_eq!(refusals["subscribe"]["ok"], false, "{result}");
    assert_eq!(
        refusals["subscribe"]["error"],
        "stream no-such-stream is not live in this room"
    );

    let slowed = refusals["slowDown"].as_u64().unwrap_or_default();
    assert!(
        (40..150).contains(&slowed),
        "a burst of 150 requests past the rate of 50/s (burst 100) is partly refused: {result}"
    );
    let published = result["published"].as_str().expect("a stream id");
    let received = &result["received"];
    assert!(received.get("timedOut").is_none(), "{result}");
    assert_eq!(received["errors"], serde_json::json!([]), "{result}");
    assert_eq!(received["added"][0]["id"], published, "{result}");
    assert_eq!(received["added"][0]["attributes"]["name"], "camera");
    let first = received["first"]["framesDecoded"]
        .as_f64()
        .unwrap_or_default();
    let later = received["later"]["framesDecoded"]
        .as_f64()
        .unwrap_or_default();
    assert!(
        later >= first + 20.0,
        "video frames keep being decoded: {result}"
    );
    assert!(
        received["later"]["audioEnergy"].as_f64() > received["first"]["audioEnergy"].as_f64(),
        "audio energy grows: {result}"
    );
    // Simulcast: with room on its connection the subscriber is moved up to (or
    // stays on) the full-size layer.
    assert!(
        received["upgrade"].get("timedOut").is_none(),
        "moves up to the high layer: {result}"
    );
    assert_eq!(
        received["upgrade"]["widths"]
            .as_array()
            .and_then(|w| w.last()),
        Some(&serde_json::json!(640))
    );
    // Data channel text: a room message by its `type`, anything else as stream-data.
    let data = &result["data"];
    assert_eq!(
        data["chat"][0]["msg"], "hello over the data channel",
        "{result}"
    );
    assert_eq!(data["chat"].as_array().map(Vec::len), Some(1), "{result}");
    assert_eq!(
        data["streamData"],
        serde_json::json!([{ "type": "stream-data", "id": published, "msg": "just text" }]),
        "{result}"
    );
    let limits = &result["limits"];
    assert_eq!(
        limits["publish"]["error"], "the room allows at most 1 streams published in this room",
        "{result}"
    );
    assert_eq!(
        limits["subscribe"]["error"], "the room allows at most 1 subscribers of this stream",
        "{result}"
    );
    assert!(
        result["removed"]
            .as_array()
            .is_some_and(|r| r.iter().any(|id| id == published)),
        "the subscriber hears that the stream ended: {result}"
    );
    // The room's log holds the stream's life: live, one subscriber, ended.
    let mut types = Vec::new();
    for _ in 0..100 {
        types = app
            .stream_events(&format!("room-{room}"))
            .await
            .into_iter()
            .filter(|(t, _)| t.starts_with("RoomStream"))
            .map(|(t, data)| (t, data["streamId"].clone(), data["subscribers"].clone()))
            .collect::<Vec<_>>();
        if types.iter().any(|(t, _, _)| t == "RoomStreamUnpublished") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let id = serde_json::json!(published);
    let none = serde_json::Value::Null;
    assert_eq!(
        types.first(),
        Some(&("RoomStreamPublished".to_owned(), id.clone(), none.clone())),
        "{types:?}"
    );
    assert!(
        types.contains(&(
            "RoomStreamSubscribersCounted".to_owned(),
            id.clone(),
            serde_json::json!(1)
        )),
        "{types:?}"
    );
    assert_eq!(
        types.last(),
        Some(&("RoomStreamUnpublished".to_owned(), id, none)),
        "{types:?}"
    );
    // The room's read model shows the stream's life to its host (GraphQL).
    let query = "query($id: ID!) { room(id: $id) { streams { id ownerId publishedAt unpublishedAt subscribers peakSubscribers } } }";
    let mut streams = serde_json::Value::Null;
    for _ in 0..100 {
        let r = app
            .client
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&host)
            .json(&serde_json::json!({ "query": query, "variables": { "id": room } }))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.expect("json");
        streams = body["data"]["room"]["streams"].clone();
        if streams[0]["unpublishedAt"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(streams.as_array().map(Vec::len), Some(1), "{streams}");
    assert_eq!(streams[0]["id"], published);
    assert_eq!(streams[0]["peakSubscribers"], 1, "{streams}");
    assert_eq!(streams[0]["subscribers"], 0, "{streams}");
    assert!(streams[0]["publishedAt"].is_string(), "{streams}");
    assert!(streams[0]["unpublishedAt"].is_string(), "{streams}");
    app.stop().await;
}
