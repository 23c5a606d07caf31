//! Rooms and room tokens.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

#[tokio::test]
async fn a_room_is_created_and_tokens_carry_grants() {
    let app = TestApp::start(Log::Sqlite).await;
    let (owner, owner_token) = app.user("owner@example.com").await;
    let (_, guest_token) = app.user("guest@example.com").await;

    let r = app
        .post_as(
            &owner_token,
            "/room/create",
            json!({ "name": "Haseeb Asif", "type": "conference", "p2p": true }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["msg"], "Room created Successfully!");
    assert_eq!(body["data"]["name"], "Haseeb Asif");
    assert_eq!(body["data"]["type"], "conference");
    assert_eq!(body["data"]["p2p"], true);
    let room = body["data"]["id"].as_str().unwrap().to_owned();

    // The owner gets every grant, including host controls.
    let r = app
        .post_as(&owner_token, &format!("/room/{room}/token"), json!({}))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["roomId"], room);
    assert_eq!(body["data"]["userId"], owner);
    assert!(
        body["data"]["grants"]
            .as_array()
            .unwrap()
            .contains(&json!("room-admin"))
    );

    // A guest presenter gets no host controls; a viewer only joins and subscribes.
    let r = app
        .post_as(&guest_token, &format!("/room/{room}/token"), json!({}))
        .await;
    let grants = r.json::<Value>().await.unwrap()["data"]["grants"].clone();
    assert_eq!(
        grants,
        json!(["join", "publish", "subscribe", "publish-data"])
    );
    let r = app
        .post_as(
            &guest_token,
            &format!("/room/{room}/token"),
            json!({ "role": "viewer" }),
        )
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["data"]["grants"],
        json!(["join", "subscribe"])
    );
    let r = app
        .post_as(
            &guest_token,
            &format!("/room/{room}/token"),
            json!({ "role": "king" }),
        )
        .await;
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn private_unknown_and_malformed_rooms_are_refused() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, owner) = app.user("private@example.com").await;
    let (_, guest) = app.user("outsider@example.com").await;
    let r = app
        .post_as(
            &owner,
            "/room/create",
            json!({ "name": "Board", "type": "meeting", "isPrivate": true }),
        )
        .await;
    let room = r.json::<Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post_as(&guest, &format!("/room/{room}/token"), json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_as(&owner, &format!("/room/{room}/token"), json!({}))
            .await
            .status(),
        201
    );
    let unknown = "68aff60d0d7bbb02c917906d";
    assert_eq!(
        app.post_as(&owner, &format!("/room/{unknown}/token"), json!({}))
            .await
            .status(),
        404
    );
    let r = app
        .post_as(&owner, "/room/not-an-id/token", json!({}))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "roomId");
    let r = app
        .post_as(
            &owner,
            "/room/create",
            json!({ "name": "", "type": "meeting" }),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "name");
    let r = app
        .post("/room/create", json!({ "name": "x", "type": "meeting" }))
        .await;
    assert_eq!(r.status(), 401);
    app.stop().await;
}
