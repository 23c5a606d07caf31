//! Registration, login, and what the API does with bad or missing tokens.

use serde_json::{Value, json};

use crate::support::{Log, PASSWORD, TestApp, registration};

async fn register_and_login(log: Log) {
    let app = TestApp::start(log).await;
    let r = app
        .post("/auth/register", registration("Haseeb@Altegon.com"))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "User created successfully");
    let user = &body["data"]["user"];
    assert_eq!(user["fName"], "Haseeb");
    assert_eq!(user["lName"], "Asif");
    assert_eq!(user["email"], "Haseeb@Altegon.com");
    let id = user["_id"].as_str().unwrap();
    assert_eq!(id.len(), 24);

    // The same address in another spelling is taken.
    let r = app
        .post("/auth/register", registration("haseeb@altegon.COM"))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["success"], false);

    let r = app
        .post(
            "/auth/login",
            json!({ "userName": "haseeb@altegon.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["user"]["_id"], id);
    assert_eq!(body["data"]["user"]["roles"], json!(["user"]));
    assert!(body["data"]["token"].as_str().unwrap().split('.').count() == 3);
    app.stop().await;
}

#[tokio::test]
async fn register_and_login_on_sqlite() {
    register_and_login(Log::Sqlite).await;
}

#[tokio::test]
async fn register_and_login_on_postgres() {
    register_and_login(Log::Postgres).await;
}

#[tokio::test]
async fn bad_registrations_name_every_bad_field() {
    let app = TestApp::start(Log::Sqlite).await;
    let r = app
        .post(
            "/auth/register",
            json!({ "email": "not-an-email", "fName": "", "password": "short" }),
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in [
        "email",
        "fName",
        "lName",
        "phoneNumber",
        "country",
        "password",
    ] {
        assert!(fields.contains(&field), "{field} not named in {body}");
    }
    let r = app.post("/auth/register", json!({ "email": 42 })).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "email");
    let r = app
        .client
        .post(format!("{}/auth/register", app.base))
        .header("content-type", "application/json")
        .body("{ nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn a_failed_login_does_not_tell_whether_the_email_exists() {
    let app = TestApp::start(Log::Sqlite).await;
    app.register("known@example.com").await;
    let wrong_password = app
        .post(
            "/auth/login",
            json!({ "userName": "known@example.com", "password": "WRONG-pass1" }),
        )
        .await;
    let unknown = app
        .post(
            "/auth/login",
            json!({ "userName": "nobody@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown.status(), 401);
    let a: Value = wrong_password.json().await.unwrap();
    let b: Value = unknown.json().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a["message"], "Invalid email or password");
    let missing = app
        .post("/auth/login", json!({ "userName": "known@example.com" }))
        .await;
    assert_eq!(missing.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn protected_routes_refuse_missing_expired_tampered_and_unsigned_tokens() {
    use base64::Engine;
    let app = TestApp::start(Log::Sqlite).await;
    let (id, token) = app.user("guard@example.com").await;
    let path = format!("/meetings/list/{id}");
    assert_eq!(app.get_as(&token, &path).await.status(), 200);
    assert_eq!(app.get(&path).await.status(), 401);

    // Tampered: the payload changed, the signature kept.
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["roles"] = json!(["admin"]);
    let forged = b64.encode(claims.to_string());
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(app.get_as(&tampered, &path).await.status(), 401);

    // Unsigned: alg none.
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        forged
    );
    assert_eq!(app.get_as(&none, &path).await.status(), 401);

    // Expired: signed with the server's own secret, but past its expiry.
    let secret = std::fs::read_to_string(app.config().data_dir.join("jwt-secret")).unwrap();
    let keys = altegon_api::auth::JwtKeys::hs256(
        &secret.trim().to_owned().into(),
        "altegon-meet",
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(1),
    );
    let mut expired_claims = keys.verify_access(&token).unwrap();
    expired_claims.exp = chrono::Utc::now().timestamp() - 120;
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &expired_claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.trim().as_bytes()),
    )
    .unwrap();
    let r = app.get_as(&expired, &path).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["message"], "token expired");
    app.stop().await;
}

fn jwt_fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../api/tests/fixtures/jwt/{name}"))
}

#[tokio::test]
async fn access_tokens_may_be_es256_signed_and_only_that_key_s_are_accepted() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.jwt_algorithm = "ES256".into();
        c.jwt_public_key_file = Some(jwt_fixture("es256-public.pem"));
        c.jwt_private_key_file = Some(jwt_fixture("es256-private.pem"));
    })
    .await;
    let (user, token) = app.user("es256@altegon.com").await;
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    let list = format!("/meetings/list/{user}");
    assert_eq!(app.get_as(&token, &list).await.status(), 200);

    // A token of another key, or HS256 with the server's secret, is refused.
    let secret = app.config().jwt_secret().unwrap();
    let hs = altegon_api::auth::JwtKeys::hs256(
        &secret,
        &app.config().jwt_issuer,
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(60),
    );
    let forged = hs.issue_access(&user, vec!["admin".into()]).unwrap();
    assert_eq!(app.get_as(&forged, &list).await.status(), 401);
    let other = hs
        .clone()
        .with_access_keys(
            altegon_api::auth::AccessAlgorithm::Es256,
            &std::fs::read(jwt_fixture("es256-public.pem")).unwrap(),
            Some(&std::fs::read(jwt_fixture("es256-other-private.pem")).unwrap()),
        )
        .unwrap()
        .issue_access(&user, vec![])
        .unwrap();
    assert_eq!(app.get_as(&other, &list).await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn with_only_a_public_key_tokens_are_verified_and_login_is_unavailable() {
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.jwt_algorithm = "RS256".into();
        c.jwt_public_key_file = Some(jwt_fixture("rs256-public.pem"));
    })
    .await;
    let user = app.register("idp@altegon.com").await;
    let r = app
        .post(
            "/auth/login",
            serde_json::json!({ "userName": "idp@altegon.com", "password": crate::support::PASSWORD }),
        )
        .await;
    assert_eq!(r.status(), 503);
    // A token the identity provider signed with the private key is accepted.
    let provider = altegon_api::auth::JwtKeys::hs256(
        &app.config().jwt_secret().unwrap(),
        &app.config().jwt_issuer,
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(60),
    )
    .with_access_keys(
        altegon_api::auth::AccessAlgorithm::Rs256,
        &std::fs::read(jwt_fixture("rs256-public.pem")).unwrap(),
        Some(&std::fs::read(jwt_fixture("rs256-private.pem")).unwrap()),
    )
    .unwrap();
    let token = provider.issue_access(&user, vec![]).unwrap();
    assert_eq!(
        app.get_as(&token, &format!("/meetings/list/{user}"))
            .await
            .status(),
        200
    );
    app.stop().await;
}
