//! The blob store's behaviour, the same on the local folder and on Azure Blob
//! Storage (Azurite): streamed round trips, size limits that leave nothing
//! behind, idempotent deletes, and read-only SAS URLs that expire.

use std::time::Duration;

use altegon_media::blob::{AzureAccount, BlobBackend, BlobError, BlobStore, LocalUrlSigner};
use altegon_tests::azurite::{self, Azurite};
use bytes::Bytes;
use futures::{Stream, TryStreamExt};

fn signer() -> LocalUrlSigner {
    LocalUrlSigner::new(&[9; 32], "http://127.0.0.1:1").expect("signer")
}

fn chunks(n: usize, size: usize) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures::stream::iter((0..n).map(move |i| Ok(Bytes::from(vec![(i % 251) as u8; size]))))
}

async fn azure(az: &Azurite) -> BlobStore {
    let account = AzureAccount {
        account: azurite::ACCOUNT.into(),
        key: azurite::KEY.to_owned().into(),
        endpoint: Some(az.endpoint()),
        container: "conformance".into(),
    };
    BlobStore::open(BlobBackend::Azure(account), signer())
        .await
        .expect("azure store opens (and creates its container)")
}

async fn local(dir: &tempfile::TempDir) -> BlobStore {
    BlobStore::open(
        BlobBackend::Local {
            root: dir.path().to_path_buf(),
        },
        signer(),
    )
    .await
    .expect("local store opens")
}

async fn conformance(store: &BlobStore) {
    // Round trip of a multi-part upload (3 parts of 8 MiB and a tail).
    let stored = store
        .put_stream(
            "recordings/u/r/1/x/meeting 1.mp4",
            chunks(26, 1 << 20),
            u64::MAX,
        )
        .await
        .expect("upload");
    assert_eq!(stored.size, 26 << 20);
    let read = store
        .get("recordings/u/r/1/x/meeting 1.mp4")
        .await
        .expect("read");
    assert_eq!(read.size, 26 << 20);
    let bytes: Vec<Bytes> = read.stream.try_collect().await.expect("bytes");
    let all = bytes.concat();
    assert_eq!(all.len(), 26 << 20);
    assert_eq!(all[25 << 20], 25);

    // Past the limit: refused, and nothing is left under that name.
    let err = store
        .put_stream("recordings/u/r/1/x/big.mp4", chunks(12, 1 << 20), 10 << 20)
        .await
        .expect_err("too large");
    assert!(matches!(err, BlobError::TooLarge { .. }), "{err}");
    assert_eq!(
        store
            .size("recordings/u/r/1/x/big.mp4")
            .await
            .expect("head"),
        None
    );

    // Deletes are idempotent; reads of deleted blobs are "not found".
    store
        .delete("recordings/u/r/1/x/meeting 1.mp4")
        .await
        .expect("delete");
    store
        .delete("recordings/u/r/1/x/meeting 1.mp4")
        .await
        .expect("delete again");
    assert!(matches!(
        store.get("recordings/u/r/1/x/meeting 1.mp4").await,
        Err(BlobError::NotFound)
    ));
}

#[tokio::test]
async fn the_local_backend_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("dir");
    conformance(&local(&dir).await).await;
}

#[tokio::test]
async fn the_azure_backend_passes_the_conformance_suite_on_azurite() {
    let az = Azurite::start().await;
    conformance(&azure(&az).await).await;
}

#[tokio::test]
async fn azure_sas_urls_read_one_blob_and_are_refused_when_altered_or_expired() {
    let az = Azurite::start().await;
    let store = azure(&az).await;
    store
        .put_stream("a/b.mp4", chunks(1, 1000), u64::MAX)
        .await
        .expect("upload");
    let http = reqwest::Client::new();

    let (url, _) = store
        .signed_read_url("a/b.mp4", Duration::from_secs(3600))
        .await
        .expect("sas");
    let r = http.get(&url).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.expect("body").len(), 1000);

    // Read only: the same URL does not allow writing or deleting.
    let r = http
        .put(&url)
        .header("x-ms-blob-type", "BlockBlob")
        .body("x")
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 403);
    let r = http.delete(&url).send().await.expect("delete");
    assert_eq!(r.status(), 403);

    // Another blob with the same signature, or an altered signature: refused.
    let other = url.replacen("/a/b.mp4", "/a/c.mp4", 1);
    assert_eq!(http.get(&other).send().await.expect("get").status(), 403);
    let tampered = url.replacen("sp=r", "sp=rw", 1);
    assert_eq!(http.get(&tampered).send().await.expect("get").status(), 403);

    // Expired.
    let (short, _) = store
        .signed_read_url("a/b.mp4", Duration::from_secs(1))
        .await
        .expect("sas");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(http.get(&short).send().await.expect("get").status(), 403);
}
