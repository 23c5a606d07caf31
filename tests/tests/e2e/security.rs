//! Response hardening: security headers on every answer, CORS only for the
//! configured origins.

use crate::support::{Log, TestApp};

#[tokio::test]
async fn every_answer_carries_security_headers_and_cors_is_off_by_default() {
    let app = TestApp::start(Log::Sqlite).await;
    for path in [
        "/healthz",
        "/meetings/list/68aff60d0d7bbb02c917906d",
        "/nope",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/meetings/create", app.base),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn configured_origins_may_call_the_api_from_a_browser() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.cors_allowed_origins = "https://meet.example, https://admin.example".into();
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/meetings/create", app.base),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://admin.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://admin.example"
    );
    let headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(headers.contains("idempotency-key"), "{headers}");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("origin", "https://meet.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://meet.example"
    );
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(exposed.contains("x-altegon-position"), "{exposed}");
    app.stop().await;
}

#[tokio::test]
async fn malformed_query_strings_get_the_json_error_body() {
    let app = TestApp::start(Log::Sqlite).await;
    let (user, token) = app.user("query@altegon.com").await;
    for path in [
        format!("/meetings/list/{user}?limit=many"),
        "/recordings/list?offset=-1".to_owned(),
        "/webhooks?limit=x".to_owned(),
        "/reporting/total-sessions-for-user?startDateRange=soon".to_owned(),
    ] {
        let r = app.get_as(&token, &path).await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["success"], false, "{path}");
        assert!(body["field"].is_string(), "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_position_past_the_end_of_the_log_is_refused_at_once() {
    let app = TestApp::start(Log::Sqlite).await;
    let (user, token) = app.user("position@altegon.com").await;
    // A 409 at once, not the 503 a wait for the read-your-writes bound would end in.
    let r = app
        .client
        .get(format!("{}/meetings/list/{user}", app.base))
        .bearer_auth(&token)
        .header("x-altegon-position", "9223372036854775808")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: serde_json::Value = r.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("x-altegon-position") && message.contains("past the end of the log"),
        "{body}"
    );
    app.stop().await;
}
