//! The audit trail: denied requests, changes and reads of stored media are
//! recorded with who, what, where and the outcome, and administrators query them
//! over REST and GraphQL.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

#[tokio::test]
async fn denials_and_changes_are_audited_and_queryable_by_admins() {
    let app = TestApp::start(Log::Sqlite).await;
    let (host, host_token) = app.user("host@altegon.com").await;
    let (intruder, intruder_token) = app.user("intruder@altegon.com").await;
    let (_, admin_token) = app.admin("admin@altegon.com").await;
    let r = app
        .post_as(
            &host_token,
            "/meetings/create",
            json!({ "title": "Board", "hostId": host, "transcriptEnabled": false }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let meeting = r.json::<Value>().await.unwrap()["data"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_as(
            &intruder_token,
            &format!("/meetings/update/{meeting}"),
            json!({ "userId": intruder, "title": "Mine now" }),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.get(&format!("/meetings/list/{host}")).await.status(),
        401
    );
    let r = app
        .post(
            "/auth/login",
            json!({ "userName": "host@altegon.com", "password": "wrong-password" }),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(app.get_as(&host_token, "/audit").await.status(), 403);
    app.wait_for_projections().await;

    let denied: Value = app
        .get_as(&admin_token, "/audit?outcome=denied")
        .await
        .json()
        .await
        .unwrap();
    let entries = denied["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "POST /meetings/update/{meeting_id}",
        "GET /meetings/list/{user_id}",
        "POST /auth/login",
        "GET /audit",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let update = entries
        .iter()
        .find(|e| e["action"] == "POST /meetings/update/{meeting_id}")
        .unwrap();
    assert_eq!(update["actorId"], intruder.as_str());
    assert_eq!(update["status"], 403);
    assert_eq!(update["resource"], format!("/meetings/update/{meeting}"));
    assert_eq!(update["ip"], "127.0.0.1");
    assert!(entries.iter().all(|e| e["outcome"] == "denied"));
    // Nothing secret is kept: the failed login has no password anywhere.
    assert!(!denied.to_string().contains("wrong-password"));

    // Filters: one user's entries; a time range that ends before them is empty.
    let mine: Value = app
        .get_as(&admin_token, &format!("/audit?userId={host}"))
        .await
        .json()
        .await
        .unwrap();
    let mine = mine["data"].as_array().unwrap();
    assert!(
        mine.iter()
            .any(|e| e["action"] == "POST /meetings/create" && e["outcome"] == "allowed")
    );
    assert!(mine.iter().all(|e| e["actorId"] == host.as_str()));
    let none: Value = app
        .get_as(&admin_token, "/audit?until=2000-01-01T00:00:00Z")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
    let bad = app.get_as(&admin_token, "/audit?from=yesterday").await;
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "from");

    // The same trail over GraphQL.
    let r: Value = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&admin_token)
        .json(&json!({ "query": "query($u: ID) { auditEntries(userId: $u, outcome: \"denied\") { edges { node { action status actorId } } } }", "variables": { "u": intruder } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let edges = r["data"]["auditEntries"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{r}");
    assert_eq!(
        edges[0]["node"]["action"],
        "POST /meetings/update/{meeting_id}"
    );

    // Entries are events in the day's audit stream.
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let events = app.stream_events(&format!("audit-{day}")).await;
    assert!(events.iter().all(|(t, _)| t == "AuditRecorded"));
    assert!(events.len() >= entries.len());
    app.stop().await;
}
