//! Schemathesis (PyPI) against the server's own OpenAPI document, with an
//! administrator's token, for every operation: no 5xx, no undocumented status,
//! every answer matching its schema, valid input accepted and invalid input
//! refused. Settings and the few documented exceptions live in
//! `tests/tools/schemathesis.toml`; `scripts/test.sh` installs the pinned version
//! (`tests/tools/requirements.txt`) into `tests/tools/.venv`.
//!
//! `ALTEGON_SCHEMATHESIS_EXAMPLES` sets the examples per operation (default 20);
//! `ALTEGON_SCHEMATHESIS_BIN` points at another `st`.

use std::path::PathBuf;

use axum::routing::post;

use crate::support::{Log, TestApp};

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools")
}

fn schemathesis_bin() -> PathBuf {
    std::env::var_os("ALTEGON_SCHEMATHESIS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools_dir().join(".venv/bin/st"))
}

/// Azure Speech's token endpoint, so the speech route answers as configured.
async fn speech_token_stand_in() -> String {
    let sts = axum::Router::new().route(
        "/sts/v1.0/issueToken",
        post(|headers: axum::http::HeaderMap| async move {
            match headers.get("ocp-apim-subscription-key") {
                Some(key) if key == "speech-key" => (axum::http::StatusCode::OK, "speech-token"),
                _ => (axum::http::StatusCode::UNAUTHORIZED, ""),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, sts).await });
    format!("http://{addr}/sts/v1.0/issueToken")
}

#[tokio::test]
async fn every_operation_keeps_to_its_schema_under_generated_input() {
    let bin = schemathesis_bin();
    assert!(
        bin.exists(),
        "schemathesis is not installed at {} (scripts/test.sh installs it)",
        bin.display()
    );
    let speech = speech_token_stand_in().await;
    let app = TestApp::start_with(Log::Sqlite, |c| {
        c.speech_key = Some("speech-key".to_owned().into());
        c.speech_region = Some("eastus2".into());
        c.speech_token_url = Some(speech);
        // Generated webhook URLs name hosts that do not exist; nothing resolves them.
        c.webhook_allow_http = true;
        c.webhook_allow_private_addresses = true;
    })
    .await;
    let (_, token) = app.admin("schemathesis@example.com").await;
    let examples =
        std::env::var("ALTEGON_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "20".to_owned());

    let output = tokio::process::Command::new(&bin)
        .current_dir(tools_dir())
        .args(["--no-color", "--config-file", "schemathesis.toml", "run"])
        .arg(format!("{}/openapi.json", app.base))
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .args(["--max-examples", &examples, "--workers", "2", "--seed", "1"])
        .output()
        .await
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
    let figure = |label: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    // The figures docs/security.md reports (shown with --no-capture).
    if let Some(summary) = stdout.split("Test cases:").nth(1) {
        println!("schemathesis: {}", summary.trim().replace('\n', " "));
    }
    let selected = figure("Selected:");
    let (chosen, total) = selected.split_once('/').unwrap_or_default();
    let chosen: usize = chosen.parse().unwrap_or_default();
    // Every operation but logout and revoke (they would end the run's token).
    assert_eq!(
        chosen + 2,
        total.parse::<usize>().unwrap_or_default(),
        "{stdout}"
    );
    assert!(chosen > 40, "{stdout}");
    assert_eq!(figure("Tested:"), chosen.to_string(), "{stdout}");
    app.stop().await;
}
