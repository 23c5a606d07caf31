//! Token revocation: logout and an administrator's revocation are events; a
//! revoked token is refused (REST and GraphQL) until it expires, also after a
//! restart; other tokens keep working.

use serde_json::{Value, json};

use crate::support::{Log, TestApp};

async fn me(app: &TestApp, token: &str) -> Value {
    let r = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn logged_out_and_revoked_tokens_are_refused_until_they_expire() {
    let mut app = TestApp::start(Log::Sqlite).await;
    let (user, first) = app.user("leaving@altegon.com").await;
    let second = app.login("leaving@altegon.com").await;
    let list = format!("/meetings/list/{user}");
    assert_eq!(app.get_as(&first, &list).await.status(), 200);

    // Logout revokes the token it carries, and only that one.
    let r = app
        .client
        .post(format!("{}/auth/logout", app.base))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app.get_as(&first, &list).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "token revoked");
    assert_eq!(
        me(&app, &first).await["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(app.get_as(&second, &list).await.status(), 200);
    assert!(me(&app, &second).await["data"]["me"]["id"].is_string());

    // The log remembers across a restart.
    app.restart().await;
    assert_eq!(app.get_as(&first, &list).await.status(), 401);
    assert_eq!(app.get_as(&second, &list).await.status(), 200);

    // An administrator revokes every token of the account; a stranger may not.
    let (_, admin) = app.admin("security@altegon.com").await;
    let (_, stranger) = app.user("stranger@altegon.com").await;
    let revoke = |token: String| {
        let app = &app;
        let user = user.clone();
        async move {
            app.post_as(&token, "/auth/revoke", json!({ "userId": user }))
                .await
                .status()
        }
    };
    assert_eq!(revoke(stranger.clone()).await, 403);
    assert_eq!(revoke(admin.clone()).await, 204);
    assert_eq!(app.get_as(&second, &list).await.status(), 401);
    assert_eq!(
        app.post_as(&admin, "/auth/revoke", json!({ "userId": "nope" }))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.post_as(
            &admin,
            "/auth/revoke",
            json!({ "userId": "68aff60d0d7bbb02c917906d" })
        )
        .await
        .status(),
        404
    );

    // A new login (a second later: tokens count in whole seconds) works again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = app.login("leaving@altegon.com").await;
    assert_eq!(app.get_as(&fresh, &list).await.status(), 200);

    // The revocations are in the account's stream.
    let events = app.stream_events(&format!("user-{user}")).await;
    let kinds: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert!(kinds.contains(&"AccessTokenRevoked"), "{kinds:?}");
    assert!(kinds.contains(&"UserTokensRevoked"), "{kinds:?}");
    app.stop().await;
}
