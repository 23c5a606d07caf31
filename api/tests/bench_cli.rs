//! The bench command keeps working (figures themselves are not checked here).

mod support;
use support::binary;

#[test]
fn bench_append_reports_figures_beside_its_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path())
        .args([
            "bench",
            "append",
            "--backend",
            "sqlite",
            "--seconds",
            "1",
            "--warmup",
            "0",
            "--writers",
            "4",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("sqlite event store"), "{stdout}");
    assert!(stdout.contains("sqlite baseline INSERT"), "{stdout}");
    assert!(stdout.contains("ratio event store / baseline"), "{stdout}");
}

#[test]
fn bench_ingest_reports_throughput_and_processing_beside_their_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools");
    let out = binary(dir.path())
        .args([
            "bench",
            "ingest",
            "--recordings",
            "2",
            "--mib-per-recording",
            "1",
            "--video-secs",
            "2",
            "--tools",
        ])
        .arg(&tools)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| recording server"), "{stdout}");
    assert!(
        stdout.contains("| baseline: plain Node socket.io server"),
        "{stdout}"
    );
    assert!(stdout.contains("× the baseline"), "{stdout}");
    assert!(
        stdout.contains("| baseline: the same ffmpeg run alone"),
        "{stdout}"
    );
}

#[test]
fn bench_reporting_reports_each_route_beside_its_query() {
    let dir = tempfile::tempdir().unwrap();
    let pg = std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let out = binary(dir.path())
        .args([
            "bench",
            "reporting",
            "--sessions",
            "2000",
            "--participants",
            "2",
            "--hosts",
            "2",
            "--requests",
            "10",
            "--pg-url",
            &pg,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for route in [
        "GET total",
        "GET per day and domain",
        "GET by location",
        "query alone: statistics",
    ] {
        assert!(stdout.contains(route), "{route} missing: {stdout}");
    }
    assert!(stdout.contains("target: p99 under 50 ms"), "{stdout}");
}

#[test]
fn bench_realtime_reports_fan_out_beside_node() {
    let dir = tempfile::tempdir().unwrap();
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools");
    let out = binary(dir.path())
        .args([
            "bench",
            "realtime",
            "--clients",
            "20",
            "--rate",
            "10",
            "--seconds",
            "1",
            "--tools",
        ])
        .arg(&tools)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("| altegon-meet relay | 200 | 100.0 %"),
        "{stdout}"
    );
    assert!(stdout.contains("| baseline: Node socket.io"), "{stdout}");
    assert!(stdout.contains("deliveries per CPU-second:"), "{stdout}");
}
