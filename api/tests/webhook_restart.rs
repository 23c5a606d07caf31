//! A server killed (SIGKILL) in the middle of a burst of webhook deliveries loses
//! none after a restart, and sends again only deliveries it had not recorded as
//! acknowledged.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use altegon_tests::webhook_receiver::Receiver;
use serde_json::{Value, json};
use sqlx::Connection;

mod support;
use support::{binary, post, register_and_login, serve};

const BURST: usize = 120;

/// Delivery ids the dispatcher has recorded as acknowledged.
async fn acknowledged(data: &std::path::Path) -> HashSet<String> {
    let url = format!("sqlite://{}?mode=ro", data.join("read-models.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM webhook_deliveries WHERE status = 'delivered'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    ids.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_delivery_and_repeats_only_unacknowledged_ones() {
    let data = tempfile::tempdir().unwrap();
    let server_cmd = || {
        let mut cmd = binary(data.path());
        cmd.env("ALTEGON_WEBHOOK_ALLOW_HTTP", "true")
            .env("ALTEGON_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
            .env("ALTEGON_WEBHOOK_RETRY_BASE_MS", "50")
            .env(
                "ALTEGON_JWT_SECRET",
                "a-shared-secret-of-at-least-32-characters",
            );
        cmd
    };
    // A slow receiver keeps deliveries in flight when the kill comes.
    let receiver = Receiver::start().await;
    receiver.set_delay(Duration::from_secs(2));
    let first = serve(server_cmd());
    let (host, token) = register_and_login(&first.base, "host@altegon.com").await;
    let r = post(
        &first.base,
        Some(&token),
        "/webhooks",
        json!({ "url": receiver.url, "eventTypes": ["meeting.created"] }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let mut meetings = HashSet::new();
    for n in 0..BURST {
        let r = post(
            &first.base,
            Some(&token),
            "/meetings/create",
            json!({ "title": format!("m{n}"), "hostId": host, "transcriptEnabled": false }),
        )
        .await;
        assert_eq!(r.status(), 201);
        meetings.insert(
            r.json::<Value>().await.unwrap()["data"]["_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    receiver
        .wait_for(Duration::from_secs(60), |r| r.len() >= 16)
        .await;
    drop(first); // SIGKILL
    let acked_at_kill = acknowledged(data.path()).await;
    let before_restart = receiver.received().len();
    assert!(before_restart < BURST, "the kill came mid-burst");

    receiver.set_delay(Duration::ZERO);
    let _second = serve(server_cmd());
    let received = receiver
        .wait_for(Duration::from_secs(120), |r| {
            r.iter()
                .map(|r| r.id.as_str())
                .collect::<HashSet<_>>()
                .len()
                >= BURST
        })
        .await;

    let mut times: HashMap<&str, usize> = HashMap::new();
    for r in &received {
        *times.entry(r.id.as_str()).or_default() += 1;
    }
    let delivered: HashSet<String> = received
        .iter()
        .map(|r| {
            r.json()["data"]["meetingId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(delivered, meetings, "every meeting was announced");
    let repeated: Vec<&str> = times
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    for id in &repeated {
        assert!(
            !acked_at_kill.contains(*id),
            "{id} was acknowledged before the kill and sent again"
        );
    }
    eprintln!(
        "{BURST} deliveries; {before_restart} requests before the kill, {} recorded as acknowledged, {} sent again",
        acked_at_kill.len(),
        repeated.len()
    );
}
