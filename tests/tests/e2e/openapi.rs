//! The published OpenAPI document is served, every route it documents exists, and
//! `/docs` shows every documented path.

use serde_json::Value;

use crate::support::{Log, TestApp};

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = TestApp::start(Log::Sqlite).await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 17);
    let id = "68aff60d0d7bbb02c917906d";
    for (path, operations) in paths {
        let concrete = path
            .replace("{roomId}", id)
            .replace("{meetingId}", id)
            .replace("{userId}", id)
            .replace("{recordingId}", "1_1")
            .replace("{fileName}", "a.mp4")
            .replace("{filename}", "a.txt")
            .replace("{path}", "a/b")
            .replace("{sessionId}", id);
        for method in operations.as_object().unwrap().keys() {
            let request = match method.as_str() {
                "get" => app.client.get(format!("{}{concrete}", app.base)),
                "post" => app
                    .client
                    .post(format!("{}{concrete}", app.base))
                    .json(&serde_json::json!({})),
                "put" => app
                    .client
                    .put(format!("{}{concrete}", app.base))
                    .json(&serde_json::json!({})),
                "delete" => app.client.delete(format!("{}{concrete}", app.base)),
                other => panic!("undocumented method {other}"),
            };
            let status = request.send().await.unwrap().status();
            // Unauthenticated, an existing route answers 401 (or 200/400 when public;
            // the signed blob route answers 403 to an unsigned request).
            assert_ne!(status, 404, "{method} {path} is documented but not served");
            assert_ne!(status, 405, "{method} {path} is served with another method");
        }
    }

    let r = app.get("/docs").await;
    assert_eq!(r.status(), 200);
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = r.text().await.unwrap();
    for path in paths.keys() {
        // The page escapes text; no documented path has a character to escape.
        assert!(
            page.contains(path.as_str()),
            "/docs does not mention {path}"
        );
    }
    app.stop().await;
}
