//! Users' recording storage over HTTP, on both blob backends: uploads, the usage
//! arithmetic and its warnings, limits, deletes, SAS downloads (through Azurite
//! on Azure, through this server locally), and everyone else kept out.

use altegon_api::config::Config;
use altegon_tests::azurite::Azurite;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{Log, TestApp};

const MIB: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy)]
enum Blobs {
    Local,
    Azure,
}

/// A server on `blobs`, with `adjust` applied; keeps Azurite alive with it.
async fn start(blobs: Blobs, adjust: impl FnOnce(&mut Config)) -> (TestApp, Option<Azurite>) {
    start_on(Log::Sqlite, blobs, adjust).await
}

async fn start_on(
    log: Log,
    blobs: Blobs,
    adjust: impl FnOnce(&mut Config),
) -> (TestApp, Option<Azurite>) {
    let azurite = match blobs {
        Blobs::Local => None,
        Blobs::Azure => Some(Azurite::start().await),
    };
    let connection = azurite.as_ref().map(Azurite::connection_string);
    let app = TestApp::start_with(log, |c| {
        if let Some(cs) = connection {
            c.blob_backend = "azure".into();
            c.azure_storage_connection_string = Some(SecretString::from(cs));
            c.azure_storage_container = "recordings".into();
        }
        adjust(c);
    })
    .await;
    (app, azurite)
}

fn file_of(size: usize, seed: u8) -> Vec<u8> {
    (0..size)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

struct Owner {
    id: String,
    token: String,
    room: String,
}

impl Owner {
    fn base(&self, recording: &str) -> String {
        format!(
            "/recordings/user/{}/room/{}/recording/{recording}",
            self.id, self.room
        )
    }
}

async fn owner(app: &TestApp, email: &str) -> Owner {
    let (id, token) = app.user(email).await;
    let room = app.room(&token, false).await;
    app.start_recording(&token, &room, "1756364334628_738386")
        .await;
    Owner { id, token, room }
}

async fn info(app: &TestApp, token: &str, user: &str) -> Value {
    let r = app
        .get_as(token, &format!("/recordings/user/{user}/storage-info"))
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["data"].clone()
}

async fn storage_lifecycle(log: Log, blobs: Blobs) {
    let (app, _azurite) = start_on(log, blobs, |_| {}).await;
    let a = owner(&app, "owner@altegon.com").await;
    let (_, stranger) = app.user("stranger@altegon.com").await;
    let (_, admin) = app.admin("admin@altegon.com").await;
    let upload = format!("{}/upload-to-blob", a.base("1756364334628_738386"));

    // Upload 3 MiB.
    let first = file_of(3 * MIB, 1);
    let r = app
        .upload_as(&a.token, &upload, "meeting_2025-10-14.mp4", first.clone())
        .await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let body: Value = r.json().await.unwrap();
    let data = &body["data"];
    assert_eq!(data["fileName"], "meeting_2025-10-14.mp4");
    assert_eq!(data["fileSize"], 3 * MIB);
    assert_eq!(data["recordingId"], "1756364334628_738386");
    assert!(
        data["blobUrl"]
            .as_str()
            .unwrap()
            .ends_with("/meeting_2025-10-14.mp4")
    );
    assert_eq!(data["storageInfo"]["totalUsage"], 3 * MIB);

    // The same name again is a conflict, and leaves usage alone.
    let r = app
        .upload_as(&a.token, &upload, "meeting_2025-10-14.mp4", vec![1, 2, 3])
        .await;
    assert_eq!(r.status(), 409);

    let i = info(&app, &a.token, &a.id).await;
    assert_eq!(i["totalUsage"], 3 * MIB);
    assert_eq!(i["totalUsageGB"], "0.00");
    assert_eq!(i["storageLimit"], 5_368_709_120u64);
    assert_eq!(i["storageLimitGB"], "5.00");
    assert_eq!(i["availableStorage"], 5_368_709_120u64 - 3 * MIB as u64);
    assert_eq!(i["availableStorageGB"], "5.00");
    assert_eq!(i["isLimitExceeded"], false);
    assert_eq!(i["exceedAmount"], 0);
    assert_eq!(i["exceedAmountGB"], "0.00");
    assert_eq!(i["usagePercentage"], 0);
    assert_eq!(i["recordingsCount"], 1);
    assert_eq!(i["warnings"], json!([]));
    assert_eq!(i["recordings"][0]["fileName"], "meeting_2025-10-14.mp4");
    assert_eq!(i["recordings"][0]["fileSize"], 3 * MIB);
    assert_eq!(i["recordings"][0]["roomId"], a.room.as_str());

    // A SAS URL downloads exactly the uploaded bytes; an altered one is refused.
    let sas_route = format!(
        "{}/file/meeting_2025-10-14.mp4/sas-url",
        a.base("1756364334628_738386")
    );
    let r = app.get_as(&a.token, &sas_route).await;
    assert_eq!(r.status(), 200);
    let sas: Value = r.json().await.unwrap();
    let url = sas["data"]["sasUrl"].as_str().unwrap().to_owned();
    assert_eq!(sas["data"]["expiresInMinutes"], 60);
    let http = reqwest::Client::new();
    let r = http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), first.as_slice());
    let tampered = url.replacen("sig=", "sig=AA", 1);
    assert_eq!(http.get(&tampered).send().await.unwrap().status(), 403);
    let unsigned = url.split('?').next().unwrap().to_owned();
    assert!(matches!(
        http.get(&unsigned).send().await.unwrap().status().as_u16(),
        403 | 404
    ));

    // Nobody else touches this storage.
    for r in [
        app.get_as(
            &stranger,
            &format!("/recordings/user/{}/storage-info", a.id),
        )
        .await,
        app.get_as(&stranger, &sas_route).await,
        app.delete_as(
            &stranger,
            &format!("{}/meeting_2025-10-14.mp4", a.base("1756364334628_738386")),
        )
        .await,
        app.upload_as(&stranger, &upload, "x.mp4", vec![0; 10])
            .await,
        app.put_as(
            &a.token,
            &format!("/recordings/user/{}/storage-limit", a.id),
            json!({ "newLimit": 10_737_418_240u64 }),
        )
        .await,
        app.get_as(&a.token, "/recordings/admin/exceeded-storage-users")
            .await,
    ] {
        assert_eq!(r.status(), 403, "{}", r.url());
    }

    // The admin lowers the limit to 4 MiB: 75% used, then a second upload passes it.
    let r = app
        .put_as(
            &admin,
            &format!("/recordings/user/{}/storage-limit", a.id),
            json!({ "newLimit": 4 * MIB }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["storageLimit"], 4 * MIB);
    assert_eq!(body["data"]["storageLimitGB"], "0.00");
    let i = info(&app, &a.token, &a.id).await;
    assert_eq!(i["usagePercentage"], 75);
    assert_eq!(
        i["warnings"],
        json!([{ "type": "usage", "message": "You have used 75% of your storage limit." }])
    );
    let r = app
        .put_as(
            &admin,
            &format!("/recordings/user/{}/storage-limit", a.id),
            json!({ "newLimit": -1 }),
        )
        .await;
    assert_eq!(r.status(), 400);

    let second = file_of(2 * MIB, 2);
    let r = app.upload_as(&a.token, &upload, "part2.mp4", second).await;
    assert_eq!(
        r.status(),
        201,
        "past the limit is allowed and flagged by default"
    );
    let i = info(&app, &a.token, &a.id).await;
    assert_eq!(i["totalUsage"], 5 * MIB);
    assert_eq!(i["isLimitExceeded"], true);
    assert_eq!(i["exceedAmount"], MIB);
    assert_eq!(i["availableStorage"], 0);
    assert_eq!(i["usagePercentage"], 125);
    assert_eq!(i["recordingsCount"], 2);
    assert_eq!(i["warnings"][0]["type"], "limit_exceeded");

    let r = app
        .get_as(&admin, "/recordings/admin/exceeded-storage-users")
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["data"],
        json!([{
            "userId": a.id, "totalUsage": 5 * MIB, "storageLimit": 4 * MIB,
            "exceedAmount": MIB, "recordingsCount": 2,
        }])
    );

    // Delete the first file: usage follows, the bytes are gone, a second delete is 404.
    let r = app
        .delete_as(
            &a.token,
            &format!("{}/meeting_2025-10-14.mp4", a.base("1756364334628_738386")),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["msg"], "Recording deleted successfully.");
    assert_eq!(
        body["data"],
        json!({ "totalUsage": 2 * MIB, "availableStorage": 2 * MIB, "recordingsCount": 1 })
    );
    assert_eq!(http.get(&url).send().await.unwrap().status(), 404);
    let r = app
        .delete_as(
            &a.token,
            &format!("{}/meeting_2025-10-14.mp4", a.base("1756364334628_738386")),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app.get_as(&a.token, &sas_route).await;
    assert_eq!(r.status(), 404);
    let body: Value = app
        .get_as(&admin, "/recordings/admin/exceeded-storage-users")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn storage_works_end_to_end_on_the_local_backend() {
    storage_lifecycle(Log::Sqlite, Blobs::Local).await;
}

#[tokio::test]
async fn storage_works_end_to_end_with_postgresql_log_and_read_models() {
    storage_lifecycle(Log::Postgres, Blobs::Local).await;
}

#[tokio::test]
async fn storage_works_end_to_end_on_azure_blob_storage() {
    storage_lifecycle(Log::Sqlite, Blobs::Azure).await;
}

async fn expired_sas_is_refused(blobs: Blobs) {
    let (app, _azurite) = start(blobs, |c| c.sas_ttl_secs = 1).await;
    let a = owner(&app, "owner@altegon.com").await;
    let upload = format!("{}/upload-to-blob", a.base("1756364334628_738386"));
    let r = app
        .upload_as(&a.token, &upload, "a.mp4", vec![7; 1000])
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .get_as(
            &a.token,
            &format!("{}/file/a.mp4/sas-url", a.base("1756364334628_738386")),
        )
        .await;
    let url = r.json::<Value>().await.unwrap()["data"]["sasUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_local_signed_url_is_refused() {
    expired_sas_is_refused(Blobs::Local).await;
}

#[tokio::test]
async fn an_expired_azure_sas_is_refused_by_azurite() {
    expired_sas_is_refused(Blobs::Azure).await;
}

#[tokio::test]
async fn size_limits_give_413_and_enforced_quotas_403_and_nothing_is_kept() {
    let (app, _) = start(Blobs::Local, |c| {
        c.max_upload_bytes = 2 * MIB as u64;
        c.storage_default_limit_bytes = 3 * MIB as u64;
        c.storage_enforce_limit = true;
    })
    .await;
    let a = owner(&app, "owner@altegon.com").await;
    let upload = format!("{}/upload-to-blob", a.base("1756364334628_738386"));
    let r = app
        .upload_as(&a.token, &upload, "big.mp4", vec![0; 2 * MIB + 1])
        .await;
    assert_eq!(r.status(), 413);
    let r = app
        .upload_as(&a.token, &upload, "a.mp4", vec![0; 2 * MIB])
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .upload_as(&a.token, &upload, "b.mp4", vec![0; 2 * MIB])
        .await;
    assert_eq!(r.status(), 403, "the enforced quota refuses it");
    let i = info(&app, &a.token, &a.id).await;
    assert_eq!(i["totalUsage"], 2 * MIB);
    assert_eq!(i["recordingsCount"], 1);
    let blob_files = walk(&app.config().blob_dir());
    assert_eq!(blob_files.len(), 1, "{blob_files:?}");
    app.stop().await;
}

#[tokio::test]
async fn uploads_need_a_started_recording_in_that_room_and_safe_names() {
    let (app, _) = start(Blobs::Local, |_| {}).await;
    let a = owner(&app, "owner@altegon.com").await;
    let unknown = format!("{}/upload-to-blob", a.base("1_404"));
    let r = app.upload_as(&a.token, &unknown, "a.mp4", vec![1]).await;
    assert_eq!(r.status(), 404);
    let upload = format!("{}/upload-to-blob", a.base("1756364334628_738386"));
    for bad in ["..", "a\u{1}b.mp4"] {
        let r = app.upload_as(&a.token, &upload, bad, vec![1]).await;
        assert_eq!(r.status(), 400, "{bad:?}");
    }
    let r = app
        .client
        .post(format!("{}{upload}", app.base))
        .bearer_auth(&a.token)
        .body("not multipart")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(walk(&app.config().blob_dir()).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_finished_recording_on_the_server_is_uploaded_by_path_inside_its_folder_only() {
    let (app, _) = start(Blobs::Local, |_| {}).await;
    let a = owner(&app, "owner@altegon.com").await;
    let dir = app.config().recordings_dir().join("1756364334628_738386");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("final.mp4"), file_of(MIB, 3)).unwrap();
    std::fs::write(app.config().data_dir.join("outside.mp4"), b"secret").unwrap();
    let upload = format!("{}/upload-to-blob", a.base("1756364334628_738386"));
    let r = app
        .post_as(
            &a.token,
            &upload,
            json!({ "filePath": "1756364334628_738386/final.mp4" }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["fileName"], "final.mp4");
    assert_eq!(body["data"]["fileSize"], MIB);
    for bad in ["../outside.mp4", "/etc/passwd", "1756364334628_738386"] {
        let r = app
            .post_as(&a.token, &upload, json!({ "filePath": bad }))
            .await;
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], "filePath");
    }
    app.stop().await;
}

/// Streams 1 GiB through the local backend and reports the process's peak memory
/// growth, which must stay under 64 MiB (run under nextest: one test, one process).
#[tokio::test]
async fn a_one_gib_upload_streams_with_bounded_memory() {
    let (app, _) = start(Blobs::Local, |_| {}).await;
    let a = owner(&app, "owner@altegon.com").await;
    let upload = format!("{}/upload-to-blob", a.base("1756364334628_738386"));
    const CHUNK: usize = 256 * 1024;
    const TOTAL: usize = 1024 * MIB;
    let chunk = bytes::Bytes::from(vec![0x5a; CHUNK]);
    let body = futures::stream::iter(
        (0..TOTAL / CHUNK).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(body),
        TOTAL as u64,
    )
    .file_name("full-day.mp4");
    let form = reqwest::multipart::Form::new().part("file", part);
    // Start the peak count afresh (argon2 hashing during setup raised it).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss_kib("VmRSS");
    let started = std::time::Instant::now();
    let r = app
        .client
        .post(format!("{}{upload}", app.base))
        .bearer_auth(&a.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["fileSize"], TOTAL);
    let peak = rss_kib("VmHWM");
    let growth_mib = peak.saturating_sub(before) / 1024;
    println!(
        "1 GiB upload: {:.1} s, {:.0} MiB/s, RSS before {} MiB, peak {} MiB, growth {growth_mib} MiB",
        elapsed.as_secs_f64(),
        1024.0 / elapsed.as_secs_f64(),
        before / 1024,
        peak / 1024,
    );
    if std::env::var_os("NEXTEST").is_some() {
        assert!(growth_mib < 64, "peak memory grew by {growth_mib} MiB");
    }
    let stored: u64 = walk(&app.config().blob_dir())
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(stored, TOTAL as u64);
    app.stop().await;
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

pub(crate) fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
