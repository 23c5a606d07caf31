//! The dashboard in headless Chromium (driven by `tools/dashboard-check.js` with
//! playwright-core): sign in, see the charts match the seeded sessions, change the
//! filters, see them change. Screenshots go to `target/test-artifacts/`.

use std::collections::BTreeMap;

use altegon_domain::{RoomId, UserId};
use altegon_tests::recording_client::tools_dir;
use serde_json::{Value, json};

use crate::sessions::{Known, matches, seed};
use crate::support::{Log, PASSWORD, TestApp};

fn artifacts() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifact folder");
    dir
}

fn by_type(known: &[&Known]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for k in known {
        *out.entry(k.session_type.clone()).or_default() += 1;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dashboard_signs_in_draws_the_reports_and_follows_the_filters() {
    let chromium = std::env::var("ALTEGON_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "headless Chromium is needed at {chromium}: bash scripts/test.sh installs it \
         (apt-get install chromium), or set ALTEGON_CHROMIUM"
    );
    assert!(
        tools_dir().join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `npm ci --prefix tests/tools`"
    );
    let mut app = TestApp::start(Log::Sqlite).await;
    let email = "host@altegon.com";
    let (host, token) = app.user(email).await;
    let room = app.room(&token, false).await;
    let mut known = Vec::new();
    let host_id: UserId = host.parse().unwrap();
    let room_id: RoomId = room.parse().unwrap();
    app.seed_log(async |bus| seed(bus, host_id, room_id, &mut known).await)
        .await;

    let shots = artifacts();
    let plan = json!({
        "url": app.base,
        "email": email,
        "password": PASSWORD,
        "chromium": chromium,
        "screenshots": shots,
        "filters": { "f-type": "webinar", "f-start": "2025-10-12", "f-end": "2025-10-18" },
    });
    let out = tokio::process::Command::new("node")
        .arg(tools_dir().join("dashboard-check.js"))
        .arg(plan.to_string())
        .current_dir(tools_dir())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run node");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert!(!seen["loginError"].as_str().unwrap().is_empty());

    // Signed in, no filters: every completed session of the host.
    let all: Vec<&Known> = known.iter().filter(|k| matches(k, &host, &[])).collect();
    let before = &seen["before"];
    assert_eq!(before["error"], "");
    assert_eq!(before["total"], all.len());
    let types: BTreeMap<String, i64> = before["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t[0].as_str().unwrap().to_owned(), t[1].as_i64().unwrap()))
        .collect();
    assert_eq!(types, by_type(&all));
    let day_total: i64 = before["dayBars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[2].as_i64().unwrap())
        .sum();
    assert_eq!(
        day_total as usize,
        all.len(),
        "the day chart stacks every session"
    );
    assert_eq!(before["legend"], json!(["altegon.com", "partner.io"]));
    assert_eq!(before["locationRows"].as_array().unwrap().len(), 3);
    assert_eq!(before["locationBars"].as_array().unwrap().len(), 3);

    // Filtered to webinars of one week.
    let filter = [
        ("sessionType", "webinar"),
        ("startDateRange", "2025-10-12"),
        ("endDateRange", "2025-10-18"),
    ];
    let some: Vec<&Known> = known
        .iter()
        .filter(|k| matches(k, &host, &filter))
        .collect();
    let after = &seen["after"];
    assert_eq!(after["error"], "");
    assert_eq!(after["total"], some.len());
    assert!(some.len() < all.len());
    let types: Vec<&str> = after["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[0].as_str().unwrap())
        .collect();
    assert!(types.iter().all(|t| *t == "webinar"), "{types:?}");
    for bar in after["dayBars"].as_array().unwrap() {
        let day = bar[0].as_str().unwrap();
        assert!(("2025-10-12"..="2025-10-18").contains(&day), "{day}");
    }
    for shot in seen["screenshots"].as_array().unwrap() {
        let path = std::path::Path::new(shot.as_str().unwrap());
        assert!(
            std::fs::metadata(path).unwrap().len() > 10_000,
            "{}",
            path.display()
        );
    }
    app.stop().await;
}
