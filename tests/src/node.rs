//! Runs the npm-installed test clients under `tools/` (`scripts/test.sh`
//! installs them): each takes a JSON plan as its argument and prints what it saw.

use serde_json::Value;

use crate::recording_client::tools_dir;

/// Runs `tools/{script}` with `plan`; fails the test when it fails. Answers what
/// it printed.
pub async fn run_script(script: &str, plan: &Value) -> String {
    let tools = tools_dir();
    let out = tokio::process::Command::new("node")
        .arg(tools.join(script))
        .arg(plan.to_string())
        .current_dir(&tools)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `tools/{script}` with `plan` and answers the JSON of its last line.
pub async fn last_result(script: &str, plan: &Value) -> Value {
    let stdout = run_script(script, plan).await;
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}"))
}
