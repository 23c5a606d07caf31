//! Liveness, readiness, request ids, and a restart that keeps the log.

use altegon_commands::CommandBus;
use altegon_commands::handlers::users::{RegisterUser, register_user};
use altegon_commands::{Actor, CommandContext};
use serde_json::Value;

use crate::support::{Log, TestApp};

async fn health_and_readiness(log: Log) {
    let app = TestApp::start(log).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");

    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected = match log {
        Log::Sqlite => "sqlite",
        Log::Postgres => "postgres",
    };
    assert_eq!(body["eventStore"], expected);
    app.stop().await;
}

#[tokio::test]
async fn sqlite_server_is_live_and_ready() {
    health_and_readiness(Log::Sqlite).await;
}

#[tokio::test]
async fn postgres_server_is_live_and_ready() {
    health_and_readiness(Log::Postgres).await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients() {
    let app = TestApp::start(Log::Sqlite).await;
    let r = app.get("/healthz").await;
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36);
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "client-chosen-id")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "client-chosen-id");
    assert_eq!(app.get("/no/such/route").await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_log_survives_a_restart_and_readiness_reports_its_position() {
    let mut app = TestApp::start(Log::Sqlite).await;
    let before: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(before["position"], 0);

    // Write through the command pipeline on the same log file while the server runs.
    let config = app.config().clone();
    let store = altegon_api::stores::open_event_store(&config)
        .await
        .unwrap();
    let bus = CommandBus::new(store.clone());
    let request = RegisterUser {
        email: "restart@example.com".into(),
        f_name: "Re".into(),
        l_name: "Start".into(),
        phone_number: "123456789".into(),
        country: "PK".into(),
        password: "AB1239001".into(),
        role: Default::default(),
    };
    let registered = register_user(&bus, &CommandContext::new(Actor::default()), request)
        .await
        .unwrap();
    store.close().await;

    app.restart().await;
    let after: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(after["position"], registered.position);
    app.stop().await;
}
