//! The room sockets with the web client's library (socket.io-client from npm,
//! `tools/realtime-client.js`): tokens, relaying, host-only controls, limits,
//! late joiners' whiteboard, removal, and chat kept in the log.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

async fn room_token(app: &TestApp, token: &str, room: &str, role: Option<&str>) -> String {
    let body = match role {
        Some(r) => json!({ "role": r }),
        None => json!({}),
    };
    let r = app
        .post_as(token, &format!("/room/{room}/token"), body)
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn room_sockets_relay_check_and_keep_what_matters() {
    let app = TestApp::start_with(Log::Sqlite, |c| c.realtime_leave_grace_ms = 300).await;
    let (host, host_token) = app.user("host@altegon.com").await;
    let (guest, guest_token) = app.user("guest@altegon.com").await;
    let (_, viewer_token) = app.user("viewer@altegon.com").await;
    let (_, legacy_token) = app.user("legacy@altegon.com").await;
    let (_, plain_token) = app.user("plain@altegon.com").await;
    let room = app.room(&host_token, false).await;
    let r = app
        .post_as(
            &host_token,
            "/meetings/create",
            json!({ "title": "Standup", "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let meeting = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plan = json!({
        "url": app.base,
        "hostToken": room_token(&app, &host_token, &room, None).await,
        "guestToken": room_token(&app, &guest_token, &room, None).await,
        "viewerToken": room_token(&app, &viewer_token, &room, Some("viewer")).await,
        "guestId": guest,
        "meetingId": meeting,
        "hostAccessToken": host_token,
        "legacyToken": room_token(&app, &legacy_token, &room, None).await,
        "wsToken": room_token(&app, &plain_token, &room, None).await,
        "roomId": room,
    });
    let seen = altegon_tests::node::last_result("realtime-client.js", &plan).await;

    assert!(
        seen["noToken"]
            .as_str()
            .unwrap()
            .contains("room token is required")
    );
    assert!(
        seen["badToken"]
            .as_str()
            .unwrap()
            .contains("room token refused")
    );
    assert_eq!(
        seen["lateJoinerStage"]["msg"]["stage"]["attrs"]["width"],
        800
    );
    assert_eq!(seen["hostSawGuestJoin"], true);
    assert!(seen["viewCounts"].as_array().unwrap().contains(&json!(2)));
    assert_eq!(seen["hostChat"]["msg"], "Hello everyone!");
    assert_eq!(seen["hostChat"]["username"], "Guest");
    assert_eq!(
        seen["guestEcho"], 0,
        "the sender does not get its own message back"
    );
    assert_eq!(
        seen["legacyChat"]["msg"], "Hi v2",
        "the v2 client hears the room"
    );
    assert_eq!(
        seen["hostSawLegacy"]["id"], "legacy",
        "the room hears the v2 client"
    );
    assert_eq!(seen["plainConnected"]["type"], "room_connected");
    assert!(seen["plainConnected"]["sessionId"].is_string());
    assert_eq!(
        seen["plainHeard"], true,
        "the plain WebSocket client hears the room"
    );
    assert_eq!(
        seen["hostHeardPlain"], true,
        "the room hears the plain WebSocket client"
    );
    assert_eq!(seen["plainRefused"]["status"], 403);
    assert_eq!(seen["plainBadToken"]["event"], "error");
    assert_eq!(seen["plainBadToken"]["data"]["status"], 401);
    assert_eq!(seen["recordingStartStatus"], 201);
    assert_eq!(
        seen["guestEvents"],
        json!([["RecordingStarted", "live_1"]]),
        "the room hears of events in the log"
    );
    assert_eq!(seen["guestHostControl"]["status"], 403);
    assert_eq!(seen["guestHostControl"]["type"], "mute-all-participants");
    assert_eq!(
        seen["hostSawMuteAll"], 0,
        "a refused control is not relayed"
    );
    assert_eq!(seen["guestMuted"]["mute"], true);
    assert_eq!(seen["oversized"]["status"], 413);
    assert_eq!(seen["drawingInOrder"], true);
    let relayed = seen["drawingRelayed"].as_u64().unwrap();
    let limited = seen["rateErrors"].as_u64().unwrap();
    assert!(
        relayed > 0 && limited > 0,
        "{relayed} relayed, {limited} refused"
    );
    assert_eq!(relayed + limited, 300);
    assert_eq!(seen["meetJoin"]["ok"], true);
    assert_eq!(seen["meetJoin"]["roomId"], room.as_str());
    assert_eq!(seen["meetBadJoin"]["ok"], false);
    assert_eq!(seen["viewerChat"]["status"], 403);
    assert_eq!(seen["removedNotice"], true);
    assert_eq!(seen["guestDisconnected"], true);
    assert!(
        seen["rejoin"]
            .as_str()
            .unwrap()
            .contains("removed from this room")
    );

    // Presence was the room's session: the host started it with their declared
    // location, the others joined; once everyone is gone it is completed.
    let session = seen["sessionId"].as_str().expect("a session id").to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let view = loop {
        let r = app
            .get_as(&host_token, &format!("/sessions/{session}"))
            .await;
        assert_eq!(r.status(), 200);
        let view: Value = r.json().await.unwrap();
        if view["data"]["status"] == "completed" || std::time::Instant::now() > deadline {
            break view["data"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(view["sessionType"], "webinar");
    assert_eq!(view["location"]["city"], "Lahore");
    assert_eq!(
        view["participantsCount"], 5,
        "host, guest, legacy client, plain WebSocket client and viewer"
    );
    let names: Vec<&str> = view["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Host") && names.contains(&"Guest"),
        "{names:?}"
    );

    // The transcript line is kept encrypted and reads back in clear.
    assert_eq!(seen["hostTranscript"]["msg"], "We ship on Friday.");
    let lines = app.stream_events(&format!("transcript-{meeting}")).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, "TranscriptLineAdded");
    assert!(
        !lines[0].1.to_string().contains("Friday"),
        "no transcript text in clear in the log"
    );
    let r = app
        .get_as(&host_token, &format!("/view-transcript/{meeting}"))
        .await;
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["data"][0]["message"], "We ship on Friday.");
    assert_eq!(view["data"][0]["userName"], "Guest");

    // The recording toggle is in the room's stream.
    assert_eq!(seen["guestRecording"]["msg"]["status"], "start");
    let toggles = app.stream_events(&format!("room-{room}")).await;
    let toggled: Vec<_> = toggles
        .iter()
        .filter(|(t, _)| t == "RoomRecordingToggled")
        .map(|(_, e)| (e["recording"].clone(), e["toggledBy"].clone()))
        .collect();
    assert_eq!(toggled, [(json!(true), json!(host))]);

    // Notes ready is pushed to the room, without the notes.
    assert_eq!(seen["summaryStatus"], 200);
    assert_eq!(
        seen["guestSummaryEvent"]["meetingId"].as_str(),
        Some(meeting.as_str())
    );
    assert!(seen["guestSummaryEvent"].get("summary").is_none());

    // Refused host controls and refused connections are in the audit trail.
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let audit = app.stream_events(&format!("audit-{today}")).await;
    let denied: Vec<(String, Value, Value)> = audit
        .iter()
        .filter(|(_, e)| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("SOCKET"))
        })
        .map(|(_, e)| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["status"].clone(),
                e["actorId"].clone(),
            )
        })
        .collect();
    assert!(
        denied.contains(&(
            "SOCKET mute-all-participants".into(),
            json!(403),
            json!(guest)
        )),
        "{denied:?}"
    );
    assert!(
        denied
            .iter()
            .any(|(a, status, actor)| a == "SOCKET connect" && *status == 401 && actor.is_null()),
        "{denied:?}"
    );

    // The chat lines are in the meeting's chat stream, in order.
    let events = app.stream_events(&format!("chat-{meeting}")).await;
    let lines: Vec<(&str, &str)> = events
        .iter()
        .map(|(t, e)| {
            assert_eq!(t, "ChatMessagePosted");
            (
                e["userName"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("Guest", "Hello everyone!"),
            ("Host", "Hi v2"),
            ("Host", "Hi plain")
        ]
    );
    app.stop().await;
}
