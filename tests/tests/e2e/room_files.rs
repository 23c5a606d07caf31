//! Files shared in a room: upload, details, download, delete-all, names that try to
//! leave the room's folder, and who may do what.

use serde_json::Value;

use altegon_tests::azurite::Azurite;

use crate::storage::walk;
use crate::support::{Log, TestApp};

#[tokio::test]
async fn room_files_are_uploaded_described_downloaded_and_deleted() {
    room_file_lifecycle(None).await;
}

#[tokio::test]
async fn room_files_work_the_same_on_azure_blob_storage() {
    let azurite = Azurite::start().await;
    room_file_lifecycle(Some(&azurite)).await;
}

async fn room_file_lifecycle(azurite: Option<&Azurite>) {
    let connection = azurite.map(Azurite::connection_string);
    let app = TestApp::start_with(Log::Sqlite, |c| {
        if let Some(cs) = connection {
            c.blob_backend = "azure".into();
            c.azure_storage_connection_string = Some(cs.into());
        }
    })
    .await;
    let (_, token) = app.user("owner@altegon.com").await;
    let (_, guest) = app.user("guest@altegon.com").await;
    let room = app.room(&token, false).await;
    let name = "ZekliOpenAPI for Customers - Instant.docx";
    let bytes: Vec<u8> = (0..27685u32).map(|i| (i % 253) as u8).collect();

    let r = app
        .upload_as(&token, &format!("/room/{room}/upload"), name, bytes.clone())
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["msg"], "File uploaded successfully!");
    let stored = format!("{room}_{name}");
    assert_eq!(body["data"]["originalName"], name);
    assert_eq!(body["data"]["filename"], stored.as_str());
    assert_eq!(body["data"]["size"], 27685);
    assert_eq!(body["data"]["roomId"], room.as_str());
    assert_eq!(
        body["data"]["path"],
        format!("documents/{room}/{stored}").as_str()
    );

    // Anyone signed in reads a public room's files.
    let encoded = stored.replace(' ', "%20");
    let r = app
        .get_as(&guest, &format!("/room/{room}/files/{encoded}"))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["msg"], "File retrieved successfully!");
    assert_eq!(body["data"]["filename"], stored.as_str());
    assert_eq!(body["data"]["size"], 27685);
    assert!(body["data"]["uploadDate"].as_str().unwrap().ends_with('Z'));
    let r = app
        .get_as(&guest, &format!("/room/{room}/files/{encoded}/download"))
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("ZekliOpenAPI%20for%20Customers")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // The guest neither uploads nor deletes.
    let r = app
        .upload_as(&guest, &format!("/room/{room}/upload"), "x.txt", vec![1])
        .await;
    assert_eq!(r.status(), 403);
    let r = app.delete_as(&guest, &format!("/room/{room}/files")).await;
    assert_eq!(r.status(), 403);

    let r = app
        .get_as(&token, &format!("/room/{room}/files/{room}_missing.txt"))
        .await;
    assert_eq!(r.status(), 404);

    let r = app.delete_as(&token, &format!("/room/{room}/files")).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"]["deletedCount"], 1);
    assert!(walk(&app.config().blob_dir()).is_empty());
    let r = app
        .get_as(&token, &format!("/room/{room}/files/{encoded}/download"))
        .await;
    assert_eq!(r.status(), 404, "the bytes are gone too");
    let r = app
        .get_as(&token, &format!("/room/{room}/files/{encoded}"))
        .await;
    assert_eq!(r.status(), 404);
    let r = app.delete_as(&token, &format!("/room/{room}/files")).await;
    assert_eq!(r.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn names_that_would_leave_the_room_folder_are_refused() {
    let app = TestApp::start(Log::Sqlite).await;
    let (_, token) = app.user("owner@altegon.com").await;
    let room = app.room(&token, false).await;
    for bad in [
        "../../etc/passwd",
        "/etc/passwd",
        "..",
        "a\0b",
        "a\nb",
        "sub/dir.txt",
    ] {
        let r = app
            .upload_as(&token, &format!("/room/{room}/upload"), bad, vec![1, 2])
            .await;
        assert_eq!(r.status(), 400, "{bad:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], "file", "{bad:?}");
    }
    for bad in ["..%2F..%2Fetc%2Fpasswd", "a%00b", "a%0Ab"] {
        let r = app
            .get_as(&token, &format!("/room/{room}/files/{bad}"))
            .await;
        assert_eq!(r.status(), 400, "{bad}");
    }
    assert!(walk(&app.config().blob_dir()).is_empty());
    // A file without a `file` part, or no multipart at all.
    let form = reqwest::multipart::Form::new().text("other", "x");
    let r = app
        .client
        .post(format!("{}/room/{room}/upload", app.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn a_private_room_s_files_are_for_its_owner_and_size_is_limited() {
    let app = TestApp::start_with(Log::Sqlite, |c| c.max_room_file_bytes = 1024).await;
    let (_, token) = app.user("owner@altegon.com").await;
    let (_, guest) = app.user("guest@altegon.com").await;
    let room = app.room(&token, true).await;
    let r = app
        .upload_as(
            &token,
            &format!("/room/{room}/upload"),
            "a.txt",
            vec![1; 1024],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .upload_as(
            &token,
            &format!("/room/{room}/upload"),
            "b.txt",
            vec![1; 1025],
        )
        .await;
    assert_eq!(r.status(), 413);
    let r = app
        .get_as(&guest, &format!("/room/{room}/files/{room}_a.txt"))
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .get_as(&token, &format!("/room/{room}/files/{room}_a.txt"))
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .upload_as(
            &token,
            "/room/68affe24fabc0702c5d30c29/upload",
            "a.txt",
            vec![1],
        )
        .await;
    assert_eq!(r.status(), 404, "no such room");
    app.stop().await;
}
