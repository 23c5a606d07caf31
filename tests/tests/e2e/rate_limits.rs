//! Rate limits per caller and route group: login attempts by address, other
//! groups by account, 429 with `Retry-After`, GraphQL logins in the same
//! allowance, and refusals in the audit trail.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

#[tokio::test]
async fn callers_past_their_allowance_get_429_with_retry_after() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.rate_limiting = true;
        c.rate_limit_auth_per_minute = 6;
        c.rate_limit_default_per_minute = 5;
    })
    .await;
    // Two registrations and two logins of the six attempts per minute.
    let (host, token) = app.user("limited@altegon.com").await;
    let (_, other_token) = app.user("other@altegon.com").await;

    // Logins: by address, whoever they are for, REST and GraphQL alike.
    let login = json!({ "userName": "limited@altegon.com", "password": crate::support::PASSWORD });
    assert_eq!(app.post("/auth/login", login.clone()).await.status(), 200);
    let graphql = app
        .post(
            "/graphql",
            json!({ "query": format!("mutation {{ login(email: \"limited@altegon.com\", password: \"{}\") {{ token }} }}", crate::support::PASSWORD) }),
        )
        .await;
    let body: Value = graphql.json().await.unwrap();
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
    let refused = app.post("/auth/login", login.clone()).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("too many requests")
    );
    let graphql = app
        .post(
            "/graphql",
            json!({ "query": "mutation { login(email: \"x@altegon.com\", password: \"whatever1\") { token } }" }),
        )
        .await;
    let body: Value = graphql.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );

    // Other routes: by account, so one caller's burst leaves the other alone.
    let list = format!("/meetings/list/{host}");
    for _ in 0..5 {
        assert_eq!(app.get_as(&token, &list).await.status(), 200);
    }
    let r = app.get_as(&token, &list).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        app.get_as(&other_token, "/recordings/list").await.status(),
        200,
        "another account has its own allowance"
    );
    // Health and metrics are not limited.
    for _ in 0..10 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }

    // Refusals are in the audit trail.
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let audit = app.stream_events(&format!("audit-{today}")).await;
    assert!(
        audit
            .iter()
            .any(|(_, e)| e["status"] == 429 && e["action"] == "POST /auth/login"),
        "a refused login is audited"
    );
    app.stop().await;
}
