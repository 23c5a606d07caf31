//! The bench command keeps working (figures themselves are not checked here).

mod support;
use support::binary;

/// Runs `altegon-meet bench …` in a fresh data dir; fails on a non-zero exit and
/// returns what it printed.
fn bench(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = binary(dir.path()).arg("bench").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn tools() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/tools")
        .display()
        .to_string()
}

#[test]
fn bench_append_reports_figures_beside_its_baseline() {
    let stdout = bench(&[
        "append",
        "--backend",
        "sqlite",
        "--seconds",
        "1",
        "--warmup",
        "0",
        "--writers",
        "4",
    ]);
    assert!(stdout.contains("sqlite event store"), "{stdout}");
    assert!(stdout.contains("sqlite baseline INSERT"), "{stdout}");
    assert!(stdout.contains("ratio event store / baseline"), "{stdout}");
}

#[test]
fn bench_ingest_reports_throughput_and_processing_beside_their_baselines() {
    let tools = tools();
    let stdout = bench(&[
        "ingest",
        "--recordings",
        "2",
        "--mib-per-recording",
        "1",
        "--video-secs",
        "2",
        "--tools",
        &tools,
    ]);
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
    let pg = std::env::var("ALTEGON_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let stdout = bench(&[
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
    ]);
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
fn bench_realtime_reports_fan_out_beside_node_the_library_alone_and_the_floor() {
    let tools = tools();
    let stdout = bench(&[
        "realtime",
        "--clients",
        "20",
        "--rate",
        "10",
        "--seconds",
        "1",
        "--tools",
        &tools,
    ]);
    assert!(
        stdout.contains("| altegon-meet relay | 200 | 100.0 %"),
        "{stdout}"
    );
    assert!(stdout.contains("| baseline: Node socket.io"), "{stdout}");
    for reference in [
        "| socketioxide 0.18 alone, same broadcast | 200 | 100.0 %",
        "| floor: one pre-framed write per delivery | 200 | 100.0 %",
    ] {
        assert!(stdout.contains(reference), "{stdout}");
    }
    assert!(stdout.contains("deliveries per CPU-second:"), "{stdout}");
    assert!(stdout.contains("the floor is"), "{stdout}");
}

#[test]
fn bench_webhooks_reports_deliveries_beside_plain_posts() {
    let stdout = bench(&["webhooks", "--endpoints", "3", "--events", "10"]);
    assert!(stdout.contains("| dispatcher:"), "{stdout}");
    assert!(stdout.contains("| baseline:"), "{stdout}");
    assert!(stdout.contains("dispatcher / baseline"), "{stdout}");
}
