use altegon_commands::summary::*;
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct F { user_name: String, message: String, at: chrono::DateTime<chrono::Utc> }
#[tokio::test]
async fn dump() {
    let p = std::env::var("FIX").unwrap_or(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/meeting-30min.json").into());
    let l: Vec<F> = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let l: Vec<_> = l.into_iter().map(|f| TranscriptLine { user_name: f.user_name, message: f.message, at: f.at }).collect();
    let n = OfflineSummarizer.meeting_notes(&l).await.unwrap();
    println!("{}", serde_json::to_string_pretty(&n).unwrap());
}
