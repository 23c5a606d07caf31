//! The recording server's real client (`tools/recording-client.js`, socket.io-client
//! from npm) and the media it sends: WebM clips made with ffmpeg, and ffprobe to
//! check what comes out. `scripts/test.sh` installs ffmpeg and the npm tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use altegon_media::ingest::ffmpeg::Ffmpeg;
use serde_json::Value;

/// The folder of the npm-installed tools.
pub fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools")
}

/// Runs the client with `plan` and returns the steps it printed, one JSON value each.
pub async fn run(plan: &Value) -> Vec<Value> {
    let tools = tools_dir();
    assert!(
        tools.join("node_modules/socket.io-client").exists(),
        "socket.io-client is not installed: run `bash scripts/test.sh` (it installs it) \
         or `npm ci --prefix tests/tools`"
    );
    crate::node::run_script("recording-client.js", plan)
        .await
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The first step named `name`.
pub fn step<'a>(steps: &'a [Value], name: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {steps:#?}"))
}

/// Writes a `secs`-second VP8 WebM test pattern of `width`×`height`, with an Opus
/// tone when `audio`.
pub async fn make_webm(path: &Path, width: u32, height: u32, secs: u32, audio: bool) {
    let ffmpeg = Ffmpeg::locate(Path::new("ffmpeg"), Path::new("ffprobe"))
        .await
        .expect("ffmpeg runs (bash scripts/test.sh installs it; or apt-get install ffmpeg)");
    ffmpeg
        .test_pattern(path, (width, height), secs, audio)
        .await
        .expect("ffmpeg makes a clip");
}

/// ffprobe's view of a file: `format` and `streams`.
pub fn ffprobe(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe failed on {}", path.display());
    serde_json::from_slice(&out.stdout).expect("ffprobe json")
}
